/** A URL (or bare host) found in a call, parsed the way an HTTP client would. */
export interface ResolvedUrl {
  /** The string as it appeared. */
  raw: string;
  /** Lowercased scheme with the colon (`https:`), or "" for a bare host value. */
  scheme: string;
  /** Lowercased host as the client would connect to it; IPv6 without brackets. */
  host: string;
  /** Effective port ("" when the scheme has no default and none was given). */
  port: string;
  /** Dotted IPv4 when the host is (or embeds, or maps) an IPv4 address in any encoding. */
  ipv4?: string;
  /** Normalized IPv6 when the host is an IPv6 literal. */
  ipv6?: string;
}

const SCHEME_REGEXP = /^[a-z][a-z0-9+.-]*:\/\//i;
/**
 * Schemes WHATWG parsers treat as special: they need no `//` (`https:evil.com`, `https:/evil.com` and
 * `https:\\evil.com` all reach host evil.com).
 */
const SPECIAL_SCHEME_REGEXP = /^(?:https?|wss?|ftp|file):/i;
/** Characters that can stand before the scheme's colon once tabs and newlines are removed (or look like them). */
const SCHEME_AHEAD_REGEXP = /^[a-z0-9+.\-\t\n\r\u0080-\uffff]*?[:\ufe13\ufe55\uff1a]/i; // and colons NFKC makes ":"

/**
 * A string as a WHATWG URL parser reads it before parsing: C0 controls and spaces at either end dropped, and
 * tabs and newlines removed anywhere (`"ht\ttps://evil.com"` and `"\u0001file:///etc/passwd"` are URLs to
 * `new URL`, Node's `fileURLToPath` and Python's `urlsplit`). Tabs and newlines are only removed from a
 * string whose start can still be a scheme followed by a colon, so long text is not copied for nothing.
 * @param s a trimmed string
 * @returns the string a URL parser would parse
 */
export function urlText(s: string): string {
  let a = 0, b = s.length;
  while (a < b && s.charCodeAt(a) <= 32) a++;
  while (b > a && s.charCodeAt(b - 1) <= 32) b--;
  const t = a === 0 && b === s.length ? s : s.slice(a, b);
  return SCHEME_AHEAD_REGEXP.test(t) && /[\t\n\r]/.test(t) ? t.replace(/[\t\n\r]/g, "") : t;
}
const DEFAULT_PORTS: Record<string, string> = {
  "http:": "80",
  "https:": "443",
  "ws:": "80",
  "wss:": "443",
  "ftp:": "21",
};

/**
 * True when a string starts like a URL with an authority (`scheme://`), or with a special scheme and a colon
 * (`https:evil.com`), read as a URL parser reads it (see {@link urlText}).
 * @param s a candidate
 * @returns whether it should be judged as a URL
 */
export function looksLikeUrl(s: string): boolean {
  const t = urlText(s.trim());
  const start = normalizedStart(t);
  if (SCHEME_REGEXP.test(start) || SPECIAL_SCHEME_REGEXP.test(start)) return true;
  // A scheme has no length limit: when the start was cut and is only scheme characters (perhaps with the
  // "://" cut short at its end), what follows decides. (Whether it was cut is a question about t: NFKC may
  // shorten it, e.g. an astral look-alike letter is two UTF-16 units and becomes one.)
  if (t.length <= startLength(t) || !SCHEME_PREFIX_REGEXP.test(start)) return false;
  // Read on in pieces. NFKC(t) is the NFKC of its pieces when each piece ends just before a character whose
  // decomposition starts with an ASCII character: ASCII is never the second of a composition and never
  // reorders. A run of plain ASCII scheme characters needs no normalizing at all, so it is skipped up to its
  // last character. (Normalizing a 10 MB "xxx…" argument whole cost 20 MB and 40 ms.)
  let p = 0;
  let carry = ""; // a "://" cut short at the end of the last piece
  while (p < t.length) {
    if (carry === "") {
      ASCII_SCHEME_RUN_REGEXP.lastIndex = p;
      const run = ASCII_SCHEME_RUN_REGEXP.exec(t)![0].length;
      if (run > 1) p += run - 1;
    }
    const q = safeCut(t, p + START_CHARS);
    if (q === undefined) return SCHEME_REGEXP.test(t.normalize("NFKC")); // no place to cut nearby
    const piece = carry + t.slice(p, q).normalize("NFKC");
    if (SCHEME_TAIL_REGEXP.test(piece)) return true;
    if (!SCHEME_TAIL_PREFIX_REGEXP.test(piece)) return false;
    carry = piece.endsWith(":/") ? ":/" : piece.endsWith(":") ? ":" : "";
    p = q;
  }
  return false;
}

/**
 * The first index at or after `from`, within START_CHARS more units, where `t` can be cut without changing its
 * NFKC form: before an ASCII character, or one whose NFKC form starts with one.
 * @param t the text
 * @param from where to start looking
 * @returns the index (`t.length` past the end), or undefined when there is none close enough
 */
function safeCut(t: string, from: number): number | undefined {
  if (from >= t.length) return t.length;
  const end = Math.min(t.length, from + START_CHARS);
  for (let i = from; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c < 0x80) return i;
    if (c >= 0xdc00 && c <= 0xdfff) continue; // the second half of a pair
    if (String.fromCodePoint(t.codePointAt(i)!).normalize("NFKC").charCodeAt(0) < 0x80) return i;
  }
  return undefined;
}

const SCHEME_PREFIX_REGEXP = /^[a-z][a-z0-9+.-]*(?::\/?)?$/i;
const ASCII_SCHEME_RUN_REGEXP = /[a-z0-9+.-]*/iy;
const SCHEME_TAIL_REGEXP = /^[a-z0-9+.-]*:\/\//i;
const SCHEME_TAIL_PREFIX_REGEXP = /^[a-z0-9+.-]*(?::\/?)?$/i;

/** Longest start of a string that tests on how it begins look at (far longer than any scheme or prefix). */
const START_CHARS = 4096;

/**
 * The NFKC form of how a string begins: the first 4,096 characters of a long string are normalized instead of
 * the whole, so a 10 MB argument costs no more than a short one. Tests anchored at the start see the same
 * characters: NFKC maps each character on its own or with the marks that follow it, never with ones 4,000
 * characters later, and it never turns characters into nothing.
 * @param s a trimmed string
 * @returns its start, normalized
 */
export function normalizedStart(s: string): string {
  const n = startLength(s);
  return (n < s.length ? s.slice(0, n) : s).normalize("NFKC");
}

/**
 * How many UTF-16 units of `s` {@link normalizedStart} looks at: START_CHARS, one more when that would cut a
 * surrogate pair (a lone half is not a letter), or the whole string when it is shorter.
 * @param s a string
 * @returns the length of the start
 */
function startLength(s: string): number {
  if (s.length <= START_CHARS) return s.length;
  const low = s.charCodeAt(START_CHARS), high = s.charCodeAt(START_CHARS - 1);
  return low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff ? START_CHARS + 1 : START_CHARS;
}

/**
 * Parses a URL like WHATWG clients do and extracts the host in its canonical form, including IPv4 written as
 * decimal, hex, octal or short forms, IPv4-mapped IPv6, and IPs embedded in wildcard-DNS names.
 * @param input a URL, or a bare `host[:port]` when `bareHost` is set
 * @param opts `bareHost` for values of host-like keys
 * @returns the parsed URL, or undefined when it is not a URL
 */
export function resolveUrl(input: string, opts: { bareHost?: boolean } = {}): ResolvedUrl | undefined {
  let s = urlText(input.trim()).normalize("NFKC").replaceAll("\0", "");
  if (opts.bareHost && !SCHEME_REGEXP.test(s)) s = `scheme-less://${s}`;
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return undefined;
  }
  const scheme = opts.bareHost && s.startsWith("scheme-less://") ? "" : u.protocol.toLowerCase();
  let host = u.hostname.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  host = host.replace(/\.$/, "");
  try {
    host = decodeURIComponent(host);
  } catch { /* keep as is */ }
  const port = u.port || DEFAULT_PORTS[scheme] || "";
  const out: ResolvedUrl = { raw: input, scheme, host, port };
  if (host.includes(":")) {
    out.ipv6 = host;
    const v4 = ipv4FromIpv6(host);
    if (v4) out.ipv4 = v4;
  } else {
    const v4 = parseIpv4Loose(host) ?? ipv4FromWildcardDns(host);
    if (v4) out.ipv4 = v4;
  }
  return out;
}

/**
 * Parses IPv4 in every form `inet_aton` and WHATWG accept: `a.b.c.d`, `a.b.c`, `a.b`, `a`, each part decimal,
 * `0x` hex or `0` octal.
 * @param host a host string
 * @returns dotted-quad form or undefined
 */
export function parseIpv4Loose(host: string): string | undefined {
  const parts = host.split(".");
  if (parts.length === 0 || parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) n = parseInt(p, 8);
    else if (/^(0|[1-9][0-9]*)$/.test(p)) n = Number(p);
    else return undefined;
    if (!Number.isFinite(n)) return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255)) return undefined;
  if (last >= 256 ** (4 - nums.length)) return undefined;
  let value = last;
  nums.forEach((n, i) => value += n * 256 ** (3 - i));
  return [value >>> 24 & 255, value >>> 16 & 255, value >>> 8 & 255, value & 255].join(".");
}

function ipv4FromIpv6(h: string): string | undefined {
  // ::ffff:a.b.c.d, ::ffff:XXXX:XXXX, ::a.b.c.d, 64:ff9b::X:X (NAT64)
  const m = /^(?:::ffff:|::|64:ff9b::|0:0:0:0:0:ffff:)(.+)$/i.exec(h);
  if (!m) return undefined;
  const rest = m[1] ?? "";
  if (rest.includes(".")) return parseIpv4Loose(rest);
  const hx = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(rest);
  if (!hx) return undefined;
  const hi = parseInt(hx[1]!, 16), lo = parseInt(hx[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
}

// Wildcard and DNS-rebinding services that answer with the IP written in the name.
const WILDCARD_DNS_REGEXP =
  /(?:^|\.)(?:nip\.io|sslip\.io|xip\.io|traefik\.me|localtest\.me|lvh\.me|nip\.direct|rbndr\.us|1u\.ms|rebind\.it|xip\.name|backname\.io)$/;

function ipv4FromWildcardDns(host: string): string | undefined {
  if (!WILDCARD_DNS_REGEXP.test(host)) return undefined;
  const dotted = /(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?=\.)/.exec(host);
  if (dotted) return dotted.slice(1, 5).map(Number).join(".");
  const hex = /(?:^|[.-])([0-9a-f]{8})(?=\.)/.exec(host);
  if (hex) return parseIpv4Loose(`0x${hex[1]}`);
  return undefined;
}
