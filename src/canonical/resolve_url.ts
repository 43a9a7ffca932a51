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
  /** Normalized IPv6 when the host is an IPv6 literal (a zone id such as `%eth0` removed). */
  ipv6?: string;
  /**
   * Every address written inside a host name (DNS-rebinding and wildcard-DNS names: `169-254-169-254.x`,
   * `a9fea9fe.x`, `fd00-ec2--254.x`), dotted IPv4 or normalized IPv6. The guards and `denied_hosts` check each;
   * `allowed_hosts` judges the name itself.
   */
  embedded?: string[];
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

// deno-lint-ignore no-control-regex
const ASCII_REGEXP = /^[\x00-\x7f]*$/;

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
  const start = n < s.length ? s.slice(0, n) : s;
  // ASCII is its own NFKC form (no ASCII character decomposes or composes): most arguments skip ICU.
  return ASCII_REGEXP.test(start) ? start : start.normalize("NFKC");
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
  const s = urlText(input.trim()).normalize("NFKC").replaceAll("\0", "");
  if (opts.bareHost && !SCHEME_REGEXP.test(s)) return bareWhatwg(input, s);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return undefined;
  }
  const scheme = u.protocol.toLowerCase();
  return described(input, scheme, u.hostname, u.port || DEFAULT_PORTS[scheme] || "");
}

/** A bare `host[:port][/path]` as a client that adds `https://` reads it (leading slashes and backslashes too). */
function bareWhatwg(input: string, s: string): ResolvedUrl | undefined {
  let u: URL;
  try {
    u = new URL(`http://${s.replace(/^[\\/]+/, "")}`);
  } catch {
    return undefined;
  }
  return described(input, "", u.hostname, u.port);
}

/** The host of a parsed URL in its canonical form, with every address it is or embeds. */
function described(raw: string, scheme: string, hostname: string, port: string): ResolvedUrl {
  let host = hostname.toLowerCase();
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  host = host.replace(/\.$/, "");
  if (host.includes("%")) {
    try {
      host = decodeURIComponent(host);
    } catch { /* keep as is */ }
  }
  const out: ResolvedUrl = { raw, scheme, host, port };
  if (host.includes(":")) {
    const hextets = parseIpv6(host.replace(/%.*$/s, "")); // a zone id names the interface, not the address
    if (hextets) {
      out.ipv6 = formatIpv6(hextets);
      const v4 = ipv4FromHextets(hextets);
      if (v4) out.ipv4 = v4;
    } else out.ipv6 = host;
  } else {
    const v4 = parseIpv4Loose(host);
    if (v4) out.ipv4 = v4;
    else {
      const embedded = embeddedAddresses(host);
      if (embedded.length > 0) {
        out.embedded = embedded;
        const first = embedded.find((a) => !a.includes(":"));
        if (first && WILDCARD_DNS_REGEXP.test(host)) out.ipv4 = first;
      }
    }
  }
  return out;
}

/**
 * Every reading of a URL (or, with `bareHost`, of a bare host) that a real client could connect to: the WHATWG
 * reading (`new URL`, Node, browsers, Deno's fetch), and the reading of Python's `urlsplit` (urllib, httpx,
 * requests' hostname), which ends the authority only at `/ ? #` (not at `\`) and takes the host after the last
 * `@`. A bare value is read as a client that prepends `https://` reads it: leading `//`, `\/` and `\\` are
 * dropped, `host:port/path` is a host and a port. A value no reader can take to a host gives one reading with
 * the host "" (no allowed host matches it).
 * @param input the value as given
 * @param opts `bareHost` when the value sits under a host or URL key and is not a URL itself
 * @returns one reading per distinct host and port, never empty
 */
export function resolveUrlReadings(input: string, opts: { bareHost?: boolean } = {}): ResolvedUrl[] {
  const s = urlText(input.trim()).normalize("NFKC").replaceAll("\0", "");
  const out: ResolvedUrl[] = [];
  const seen = new Set<string>();
  const add = (u: ResolvedUrl | undefined) => {
    if (!u) return;
    const k = `${u.scheme} ${u.host} ${u.port}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(u);
  };
  const hasScheme = SCHEME_REGEXP.test(s) ||
    (!opts.bareHost && /^[a-z][a-z0-9+.-]*:/i.test(s) && !HOST_PORT_REGEXP.test(s));
  if (hasScheme) {
    add(resolveUrl(input));
    add(pythonReading(input, s, false));
  } else {
    add(bareWhatwg(input, s));
    add(pythonReading(input, s, true));
  }
  if (out.length === 0) out.push({ raw: input, scheme: "", host: "", port: "" });
  return out;
}

/** `host:port`, `host:port/path`: a host and a port, not a scheme (no scheme is all digits after its colon). */
export const HOST_PORT_REGEXP = /^[^\s/\\:?#@]+:\d+(?:[/\\?#]|$)/;

/**
 * The host Python's `urllib.parse.urlsplit(...).hostname` reads: scheme `[A-Za-z][A-Za-z0-9+.-]*:`, then an
 * authority after `//` that ends at the first `/`, `?` or `#`; the host follows the last `@`, ends at the
 * first `:` (or the `]` of a bracketed literal) and is lowercased. Backslashes are ordinary characters.
 */
function pythonReading(raw: string, s: string, bare: boolean): ResolvedUrl | undefined {
  // urlsplit removes tabs and newlines anywhere (bpo-43882).
  let rest = /[\t\n\r]/.test(s) ? s.replace(/[\t\n\r]/g, "") : s;
  let scheme = "";
  if (!bare) {
    const m = /^([a-z][a-z0-9+.-]*):/i.exec(rest);
    if (!m) return undefined;
    scheme = m[1]!.toLowerCase() + ":";
    rest = rest.slice(m[0].length);
    if (!rest.startsWith("//")) return undefined;
    rest = rest.slice(2);
  } else rest = rest.replace(/^\/\//, "");
  const end = rest.search(/[/?#]/);
  const netloc = end === -1 ? rest : rest.slice(0, end);
  const hostport = netloc.slice(netloc.lastIndexOf("@") + 1);
  let host: string;
  let port = "";
  if (hostport.startsWith("[")) {
    const close = hostport.indexOf("]");
    if (close === -1) return undefined; // Python raises "Invalid IPv6 URL"
    host = hostport.slice(1, close);
    const p = /^:(\d*)/.exec(hostport.slice(close + 1));
    port = p?.[1] ?? "";
  } else {
    const colon = hostport.indexOf(":");
    host = colon === -1 ? hostport : hostport.slice(0, colon);
    port = colon === -1 ? "" : hostport.slice(colon + 1);
  }
  if (host === "" || !/^\d*$/.test(port)) return undefined;
  if (port === "" && !bare) port = DEFAULT_PORTS[scheme] ?? "";
  return described(raw, scheme, host, port.replace(/^0+(?=\d)/, ""));
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

/**
 * Parses an IPv6 literal (`::`, an embedded dotted IPv4 tail) into its eight 16-bit groups.
 * @param h the literal, without brackets or zone id
 * @returns the groups, or undefined when it is not IPv6
 */
export function parseIpv6(h: string): number[] | undefined {
  if (h.length > 64 || !/^[0-9a-f:.]+$/i.test(h)) return undefined;
  let body = h;
  const lastColon = h.lastIndexOf(":");
  if (h.includes(".", lastColon)) {
    // A dotted IPv4 tail is the last two groups.
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h.slice(lastColon + 1));
    if (!v4) return undefined;
    const b = v4.slice(1, 5).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    body = `${h.slice(0, lastColon + 1)}${(b[0]! << 8 | b[1]!).toString(16)}:${
      (b[2]! << 8 | b[3]!).toString(16)
    }`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const group = (x: string) => x === "" ? [] : x.split(":");
  const head = group(halves[0]!);
  const back = halves.length === 2 ? group(halves[1]!) : [];
  const all = [...head, ...back];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const n = all.length;
  if (halves.length === 1 ? n !== 8 : n > 7) return undefined;
  const nums = (xs: string[]) => xs.map((g) => parseInt(g, 16));
  const zeros = new Array(8 - n).fill(0);
  return [...nums(head), ...(halves.length === 2 ? zeros : []), ...nums(back)];
}

function formatIpv6(g: number[]): string {
  return g.map((x) => x.toString(16)).join(":").replace(/(^|:)0(:0)+(:|$)/, "::").replace(/:{3,}/, "::");
}

/**
 * The IPv4 address an IPv6 address carries: IPv4-mapped and -compatible (`::ffff:a.b.c.d`, `::a.b.c.d`),
 * NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`), 6to4 (`2002:AABB:CCDD::/16`) and Teredo (`2001::/32`, inverted).
 */
function ipv4FromHextets(g: number[]): string | undefined {
  const v4 = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zero(0, 5) && (g[5] === 0xffff || (g[5] === 0 && (g[6]! !== 0 || g[7]! > 1)))) return v4(g[6]!, g[7]!);
  if (g[0] === 0x64 && g[1] === 0xff9b) return v4(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!);
  if (g[0] === 0x2001 && g[1] === 0) return v4(g[6]! ^ 0xffff, g[7]! ^ 0xffff);
  return undefined;
}

// Wildcard and DNS-rebinding services that answer with the IP written in the name.
const WILDCARD_DNS_REGEXP =
  /(?:^|\.)(?:nip\.io|sslip\.io|xip\.io|traefik\.me|localtest\.me|lvh\.me|nip\.direct|rbndr\.us|1u\.ms|rebind\.it|xip\.name|backname\.io)$/;

/** Longest host name scanned for embedded addresses (DNS names are at most 253 characters). */
const MAX_EMBED_SCAN = 1024;

/**
 * Every address a host name spells out, as rebinding and wildcard DNS services (and any resolver an attacker
 * runs) answer with it: four consecutive numeric labels or dash-separated parts (`169-254-169-254`,
 * `make-169.254.169.254-rebind`, each part decimal, `0x` hex or `0` octal), one label that is a whole 32-bit
 * number in decimal, `0x` hex or 8 hex digits (`2852039166`, `a9fea9fe`), and a label that is an IPv6 address
 * with `-` for `:` (`fd00-ec2--254`, `fe80--1`). Linear in the name's length.
 * @param host a lowercased host name (not an IP literal)
 * @returns dotted IPv4 and normalized IPv6 addresses, without repeats
 */
export function embeddedAddresses(host: string): string[] {
  if (host.length > MAX_EMBED_SCAN) return [];
  const found = new Set<string>();
  const tokens = host.split(/[.-]/);
  const byte = (t: string): number | undefined => {
    let n: number;
    if (/^0x[0-9a-f]{1,2}$/.test(t)) n = parseInt(t.slice(2), 16);
    else if (/^0[0-7]{1,3}$/.test(t)) n = parseInt(t, 8);
    else if (/^\d{1,3}$/.test(t)) n = Number(t);
    else return undefined;
    return n <= 255 ? n : undefined;
  };
  const bytes = tokens.map(byte);
  for (let i = 0; i + 3 < tokens.length; i++) {
    const q = bytes.slice(i, i + 4);
    if (q.every((b) => b !== undefined)) found.add(q.join("."));
  }
  for (const label of host.split(".")) {
    for (const t of label.split("-")) {
      if (/^(?:\d{4,10}|0x[0-9a-f]{1,8}|[0-9a-f]{8})$/.test(t)) {
        const v = parseIpv4Loose(/^[0-9a-f]{8}$/.test(t) && !/^\d+$/.test(t) ? `0x${t}` : t);
        if (v) found.add(v);
        if (/^[0-9a-f]{8}$/.test(t) && /^\d+$/.test(t)) found.add(parseIpv4Loose(`0x${t}`)!);
      }
    }
    // Two 4-digit hex groups side by side (`a9fe-a9fe`) spell an IPv4 address as its two halves.
    const parts = label.split("-");
    for (let i = 0; i + 1 < parts.length; i++) {
      if (/^[0-9a-f]{4}$/.test(parts[i]!) && /^[0-9a-f]{4}$/.test(parts[i + 1]!)) {
        const v = parseIpv4Loose(`0x${parts[i]}${parts[i + 1]}`);
        if (v) found.add(v);
      }
    }
    if (label.includes("-")) {
      // Every run of dash-separated hex groups is read as an IPv6 address (`app-fd00-ec2--254` holds
      // fd00:ec2::254 after a name): at most 9 groups (8 and one empty for `--`) per run, so this stays linear.
      const groups = label.split("-");
      for (let i = 0; i < groups.length; i++) {
        for (let j = i + 2; j <= Math.min(groups.length, i + 9); j++) {
          if (!/^[0-9a-f]{0,4}$/.test(groups[j - 1]!)) break;
          if (!/^[0-9a-f]{0,4}$/.test(groups[i]!)) break;
          const g = parseIpv6(groups.slice(i, j).join(":"));
          if (!g) continue;
          found.add(formatIpv6(g));
          const v4 = ipv4FromHextets(g);
          if (v4) found.add(v4);
        }
      }
    }
  }
  return [...found];
}
