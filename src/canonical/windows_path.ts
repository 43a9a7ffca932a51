/**
 * How Windows reads a path (issue 16, class 8): device and NT prefixes (`\\?\`, `\\.\`, `\??\`), UNC and
 * admin shares (`\\?\UNC\host\share`, `\\localhost\C$`, any loopback spelling), drive-relative paths (`C:x`),
 * 8.3 short names (`PROGRA~1`), NTFS streams (`file::$DATA`, `dir::$INDEX_ALLOCATION`, `file:stream`),
 * trailing dots and spaces, case-insensitive names, and best-fit ("WorstFit") characters that a code-page
 * conversion turns into `\` or `/`. Each is an additional reading of one value: `resolvePath` judges every
 * form, so a form that cannot be read with certainty can only add a denial.
 *
 * Forms are written as `resolvePath` writes all forms, normalized absolute paths with `/` separators: a drive
 * as `/c:`, a UNC root `\\host\share` as `/unc:/host/share` (so `..` and `//` normalization never merge it with a
 * POSIX path), names folded as NTFS compares them (see {@link foldWindowsCase}).
 * @module
 */
import { parseIpv4Loose, parseIpv6 } from "./resolve_url.ts";

/** Characters a best-fit conversion to an ANSI code page turns into `\` (`¥` in cp932, `₩` in cp949, …). */
const BEST_FIT_BACKSLASH_REGEXP = /[\u00a5\u20a9\u2216\u29f5\u29f9\ufe68\uff3c\uffe5\uffe6]/g;
/** Characters a best-fit conversion turns into `/`. */
const BEST_FIT_SLASH_REGEXP = /[\u2044\u2215\u29f8\uff0f]/g;
const BEST_FIT_REGEXP = /[\u00a5\u20a9\u2216\u29f5\u29f9\ufe68\uff3c\uffe5\uffe6\u2044\u2215\u29f8\uff0f]/;
/** A value only Windows reads this way: a backslash, a drive, a device prefix or a best-fit separator. */
const WINDOWS_SHAPED_REGEXP =
  /\\|^\/?[A-Za-z][:|][\\/]|^[\\/]{2}[?.][\\/]|^[\\/]\?\?[\\/]|[\u00a5\u20a9\u2216\u29f5\u29f9\ufe68\uff3c\uffe5\uffe6\u2044\u2215\u29f8\uff0f]/;
/** A Windows-rooted folder: `C:\…`, `C:/…`, `C:` or `\\server\share`. */
const WINDOWS_ROOT_REGEXP = /^(?:[A-Za-z]:(?:[\\/]|$)|\\\\[^\\])/;
/** `\\?\`, `\\.\` (Win32 device namespace) and `\??\` (NT object manager), separators already `/`. */
const DEVICE_PREFIX_REGEXP = /^(?:\/\/[?.]\/|\/\?\?\/)/;
/** A drive form (`/c:/x`) or a UNC form (`/unc:/host/share/x`). */
export const UNC_OR_DRIVE_FORM_REGEXP = /^\/(?:[a-z]|unc):(?:\/|$)/i;
/** A value that may hold an 8.3 short name (any separator, best-fit ones too). */
const SHORT_NAME_HINT_REGEXP = /~\d/;
/** A segment that may be an 8.3 short name: a prefix, `~` and digits, an optional extension. */
const SHORT_NAME_REGEXP = /^([^~]*)~\d+(?:\.([^.]*))?$/;

/** What {@link windowsForms} needs from `resolvePath`. */
export interface WindowsContext {
  /** The working folder, `/`-separated and absolute: `/c:/proj` on Windows, `/proj` on a POSIX platform. */
  cwd: string;
  /** The current drive letter (lowercase) when the working folder is on one; root-relative paths start there. */
  drive?: string;
  /** Expands `~`, `$HOME`, `%USERPROFILE%` to the home folder (`/`-separated). */
  expandHome: (p: string) => string;
}

/** The Windows forms of one value, and why it cannot be read to a path with certainty, if it cannot. */
export interface WindowsForms {
  /** Absolute forms; drive and UNC forms folded as NTFS compares names. */
  forms: string[];
  /** Set when a reading names something no path stands for (a device, a share table, another drive's folder). */
  unproven?: string;
}

/**
 * True when Windows reads the value differently from POSIX: it holds a backslash or a best-fit separator,
 * starts with a drive (`C:\`, `/C:/`, `C|/`) or a device prefix (`\\?\`, `//./`, `\??\`).
 * @param s a path value
 * @returns whether Windows readings add anything
 */
export function isWindowsShaped(s: string): boolean {
  return WINDOWS_SHAPED_REGEXP.test(s);
}

/**
 * True when a folder is a Windows one (`C:\Users\u`, `C:/x`, `\\server\share`): a working folder or home like
 * that means the server runs on Windows.
 * @param p a folder
 * @returns whether it is Windows-rooted
 */
export function isWindowsRoot(p: string): boolean {
  return WINDOWS_ROOT_REGEXP.test(p);
}

/**
 * A Windows folder written as `resolvePath` writes forms: `C:\Users\U` → `/c:/users/u`, `\\srv\share\x` →
 * `/unc:/srv/share/x`. Anything else is returned as is.
 * @param p a folder
 * @returns its `/`-separated, folded form
 */
export function windowsFolder(p: string): string {
  if (!isWindowsRoot(p)) return p;
  const s = p.replaceAll("\\", "/");
  return foldWindowsCase(normalizeWindows(/^[A-Za-z]:/.test(s) ? `/${s}` : `/unc:${s.slice(1)}`, true));
}

/**
 * Names folded as NTFS compares them: each character upper-cased through a one-to-one table (characters
 * whose upper case is several, like `ß`, stay as they are), then ASCII shown lower case. `K` and the Kelvin
 * sign stay apart (NTFS opens two files), `É` and `é` meet.
 * @param p a drive or UNC form
 * @returns the folded form
 */
export function foldWindowsCase(p: string): string {
  // deno-lint-ignore no-control-regex
  if (!/[^\u0000-\u007f]/.test(p)) return p.toLowerCase();
  // deno-lint-ignore no-control-regex
  return p.replace(/[A-Z]+|[^\u0000-\u007f]+/g, (run) => {
    if (run.charCodeAt(0) < 0x80) return run.toLowerCase();
    let out = "";
    for (const ch of run) out += foldChar(ch);
    return out;
  });
}

/** Folded characters seen so far (a character's fold never changes; bounded, so a long value cannot grow it). */
const FOLDED = new Map<string, string>();

function foldChar(ch: string): string {
  let f = FOLDED.get(ch);
  if (f !== undefined) return f;
  const up = ch.toUpperCase();
  const one = up.length === ch.length ? up : ch;
  f = one.charCodeAt(0) < 0x80 ? one.toLowerCase() : one;
  if (FOLDED.size < 4096) FOLDED.set(ch, f);
  return f;
}

/**
 * Every form Windows could open for a value: best-fit characters mapped, device prefixes removed, admin shares
 * mapped to their drive, streams cut, 8.3 names expanded. Forms that cannot stand for one path set `unproven`:
 * `\\?\GLOBALROOT\Device\…`, `\\.\PhysicalDrive0`, `\\?\Volume{…}\`, a named share on this machine, a
 * drive-relative path on another drive (`D:x`).
 * @param text one reading of the value (quotes removed, `file:` URLs read)
 * @param ctx working folder, current drive and home expansion
 * @returns the forms and, when one reading has no certain path, why
 */
export function windowsForms(text: string, ctx: WindowsContext): WindowsForms {
  let unproven: string | undefined;
  const flag = (why: string) => unproven ??= why;
  const forms = new Set<string>();
  const stripped = new Set<string>();
  for (const spelled of bestFitReadings(text)) {
    const slashed = spelled.replaceAll("\\", "/");
    const expanded = slashed.includes("%") ? expandVariables(slashed, ctx, flag) : slashed;
    const readings = new Set([ctx.expandHome(slashed), ctx.expandHome(expanded)]);
    for (const r of [...readings].flatMap((x) => deviceReadings(x, ctx, flag))) {
      for (const abs of absoluteWindows(r, ctx)) {
        const rooted = UNC_OR_DRIVE_FORM_REGEXP.test(abs);
        // The literal form differs only where a name has a stream or ends in a dot or space.
        for (const strip of hasTrimmedName(abs, true) ? [true, false] : [true]) {
          const f = normalizeWindows(abs, strip);
          const form = rooted ? foldWindowsCase(f) : f;
          forms.add(form);
          if (strip) stripped.add(form);
        }
      }
    }
  }
  // 8.3 names last, once per distinct form Win32 opens (a literal form differs only in its last names' dots).
  if (SHORT_NAME_HINT_REGEXP.test(text)) {
    for (const f of stripped) for (const x of shortNameForms(f)) forms.add(x);
  }
  const out: WindowsForms = { forms: [...forms] };
  if (unproven !== undefined) out.unproven = unproven;
  return out;
}

/** Where Windows puts the folders its environment variables name, relative to the home folder (`~`) or fixed. */
const WINDOWS_VARIABLES: Record<string, string> = {
  homedrive: "c:",
  systemdrive: "c:",
  systemroot: "c:/windows",
  windir: "c:/windows",
  programdata: "c:/programdata",
  allusersprofile: "c:/programdata",
  programfiles: "c:/program files",
  "programfiles(x86)": "c:/program files (x86)",
  programw6432: "c:/program files",
  commonprogramfiles: "c:/program files/common files",
  public: "c:/users/public",
  userprofile: "~",
  home: "~",
  homepath: "~",
  appdata: "~/appdata/roaming",
  localappdata: "~/appdata/local",
  temp: "~/appdata/local/temp",
  tmp: "~/appdata/local/temp",
};

/**
 * `%NAME%` as `ExpandEnvironmentStrings` and `cmd.exe` expand it: the usual folders of a Windows machine
 * (`%SystemRoot%`, `%APPDATA%`, `%HOMEDRIVE%%HOMEPATH%`…); any other variable names a folder only the server
 * knows (unproven). The literal name is read too (an API that does not expand opens it as written).
 */
function expandVariables(s: string, ctx: WindowsContext, flag: (why: string) => void): string {
  const home = ctx.expandHome("~");
  // `%C3%A9` is percent-encoding, not a variable: a name of two hex digits is skipped.
  const named = /%(?![0-9A-Fa-f]{2}%)([A-Za-z_][\w()]*)%/g;
  return s.replace(/%homedrive%%homepath%/gi, home).replace(named, (all, name: string) => {
    const v = WINDOWS_VARIABLES[name.toLowerCase()];
    if (v === undefined) {
      flag(`"${s.slice(0, 80)}" holds ${all}, a variable only the server's environment knows`);
      return all;
    }
    return v.startsWith("~") ? home + v.slice(1) : v;
  });
}

/** The value as written, and as a best-fit conversion (and NFKC) would hand it to a Windows API. */
function bestFitReadings(text: string): string[] {
  if (!BEST_FIT_REGEXP.test(text)) return [text];
  const mapped = text.replace(BEST_FIT_BACKSLASH_REGEXP, "\\").replace(BEST_FIT_SLASH_REGEXP, "/");
  const folded = text.normalize("NFKC");
  const both = folded === text ? mapped : folded.replace(BEST_FIT_BACKSLASH_REGEXP, "\\").replace(
    BEST_FIT_SLASH_REGEXP,
    "/",
  );
  return [...new Set([text, mapped, both])];
}

/**
 * The value, and what it names once `\\?\` / `\\.\` / `\??\`, `UNC\` and admin shares are read; drive-relative
 * paths (`C:x`) read against the current drive's folder.
 */
function deviceReadings(s: string, ctx: WindowsContext, flag: (why: string) => void): string[] {
  const out: string[] = [];
  let rest = s;
  // `\\?\` may repeat through `\??\` (`\\?\GLOBALROOT\??\C:\x`): read prefixes until none is left.
  for (let i = 0; i < 4; i++) {
    const m = DEVICE_PREFIX_REGEXP.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
    // The prefix only turns normalization off (the literal form keeps trailing dots and `..`): what follows is
    // the whole reading.
    if (/^[a-z][:|]\//i.test(rest)) return [`${rest[0]}:${rest.slice(2)}`];
    if (/^unc(?:\/|$)/i.test(rest)) return shareReadings(`//${rest.slice(4)}`, flag);
    if (/^globalroot(?:\/|$)/i.test(rest)) continue;
    out.push(s);
    flag(
      `"${s.slice(0, 80)}" names a Windows device or volume (${
        JSON.stringify(rest.split("/")[0] ?? "")
      }), not a path that rules can be checked against`,
    );
    return out;
  }
  if (rest !== s) {
    flag(
      `"${s.slice(0, 80)}" names a Windows device (GLOBALROOT), not a path that rules can be checked against`,
    );
    return [s];
  }
  if (/^\/device\//i.test(s)) {
    flag(`"${s.slice(0, 80)}" is an NT device path, not a path that rules can be checked against`);
  }
  if (/^\/\/[^/]/.test(s)) return shareReadings(s, flag);
  const pipe = /^\/?([a-z])\|(\/.*|$)/is.exec(s); // file:///C|/x, a legacy drive
  if (pipe) return [s, `${pipe[1]}:${pipe[2] || "/"}`];
  const rel = /^([a-z]):(?!\/)(.*)$/is.exec(s);
  if (rel) {
    // `C:x`: relative to the folder current on drive C: (the working folder when C: is its drive).
    const drive = rel[1]!.toLowerCase();
    if (drive === ctx.drive) return [rel[2] === "" ? "." : rel[2]!];
    flag(
      `"${
        s.slice(0, 80)
      }" is relative to the current folder of drive ${drive.toUpperCase()}:, which only the server knows`,
    );
    return [`${drive}:/${rel[2]}`];
  }
  return [s];
}

/**
 * `\\host\C$\x` is `C:\x` on that host, and this machine may be that host under any name: the drive reading is
 * judged too. `\\host\ADMIN$` is the Windows folder. A named share on this machine (a loopback host) is a
 * folder only the share table knows.
 */
function shareReadings(unc: string, flag: (why: string) => void): string[] {
  const m = /^\/\/([^/]+)(?:\/([^/]*))?(.*)$/s.exec(unc);
  if (!m) return [unc];
  const host = m[1]!, share = (m[2] ?? "").toLowerCase(), rest = m[3] ?? "";
  const local = isLoopbackHost(host);
  // On a loopback host the share is certainly this machine's: the drive is the only reading.
  const remote = local ? [] : [unc];
  if (/^[a-z]\$$/.test(share)) return [...remote, `${share[0]}:${rest || "/"}`];
  if (share === "admin$") return [...remote, `c:/windows${rest}`];
  if (share === "print$") return [...remote, `c:/windows/system32/spool/drivers${rest}`];
  if (share !== "" && share !== "ipc$" && local) {
    flag(`"${unc.slice(0, 80)}" is a share on this machine: only its share table knows which folder it is`);
  }
  return [unc];
}

/**
 * True when a UNC host is this machine: `localhost` (any case, a trailing dot), any IPv4 loopback spelling
 * (`127.1`, `2130706433`, `0x7f.1`), `0.0.0.0`, IPv6 `::1` (bracketed, or as `0--1.ipv6-literal.net`), and
 * IPv4-mapped loopback. A WebDAV suffix (`@SSL@443`) is ignored.
 * @param host a UNC host
 * @returns whether it is a loopback name
 */
export function isLoopbackHost(host: string): boolean {
  let h = trimEndOf(host.toLowerCase().replace(/@.*$/s, ""), ".");
  if (h === "localhost" || h.endsWith(".localhost") || h === "localhost.localdomain") return true;
  if (h.endsWith(".ipv6-literal.net")) h = h.slice(0, -".ipv6-literal.net".length).replaceAll("-", ":");
  h = h.replace(/^\[|\]$/g, "").replace(/[%s].*$/s, "");
  const v4 = parseIpv4Loose(h);
  if (v4 !== undefined) return v4.startsWith("127.") || v4 === "0.0.0.0";
  const g = parseIpv6(h);
  if (g === undefined) return false;
  const zeroHead = g.slice(0, 5).every((x) => x === 0);
  if (zeroHead && g[5] === 0 && g[6] === 0 && (g[7] === 1 || g[7] === 0)) return true;
  return zeroHead && g[5] === 0xffff && (g[6]! >> 8) === 127;
}

/** A reading made absolute: UNC and drive forms as they are, root-relative on the current drive, else the cwd. */
function absoluteWindows(p: string, ctx: WindowsContext): string[] {
  // `\\host\share`; a host of dots is no server name (`\\..\x` is read as `\x`).
  if (/^\/\/[^/]/.test(p)) return [/^\/\/\.+(?:\/|$)/.test(p) ? p.slice(1) : `/unc:${p.slice(1)}`];
  const d = /^\/?([a-z]):(\/.*|$)/is.exec(p);
  if (d) return [`/${d[1]!.toLowerCase()}:${d[2] || "/"}`];
  // Root-relative: on the current drive. Where it is unknown (a POSIX working folder), the system drive C:
  // (where Users, Windows and ProgramData are) beside the POSIX reading.
  if (p.startsWith("/")) return ctx.drive === undefined ? [p, `/c:${p}`] : [`/${ctx.drive}:${p}`];
  return [`${ctx.cwd}/${p}`];
}

/**
 * Normalizes below the root (`/c:` or `//host/share`; `..` never climbs above it, as `GetFullPathName` reads
 * it). With `strip`, each name is cut as Win32 opens it: a stream (`name:stream`, `name::$INDEX_ALLOCATION`)
 * and trailing dots and spaces removed; without, names are kept literal (a `\\?\` path skips that step).
 */
function normalizeWindows(abs: string, strip: boolean): string {
  const root = /^\/unc:\/[^/]+(?:\/(?!\.\.?(?:\/|$))[^/]*)?|^\/[a-z]:/i.exec(abs)?.[0] ?? "";
  const out: string[] = [];
  for (let seg of abs.slice(root.length).split("/")) {
    if (strip) {
      const colon = seg.indexOf(":");
      if (colon >= 0) seg = seg.slice(0, colon);
      if (/[^. ]/.test(seg)) seg = trimEndOf(seg, ". ");
    }
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  const body = out.join("/");
  if (root === "") return `/${body}`;
  return body === "" ? root : `${root}/${body}`;
}

/**
 * An 8.3 short name (`PROGRA~1`, `SSH~1`, `ID_RSA~1.PUB`) may stand for any name it abbreviates, and there is no
 * Windows here to ask which. Three more forms: the prefix as a name (`ssh`), with the leading dot Windows drops
 * (`.ssh`), and a glob any abbreviated name matches (`*s*s*h*`), which reaches every denied root it could be.
 * The literal form stays: under an allowlist it is only inside when its folder is, so every expansion is.
 */
function shortNameForms(form: string): string[] {
  if (!SHORT_NAME_HINT_REGEXP.test(form)) return [];
  const segs = form.split("/");
  let plain: string[] | undefined, dotted: string[] | undefined, glob: string[] | undefined;
  for (let i = 1; i < segs.length; i++) {
    const seg = segs[i]!;
    const m = seg.includes("~") ? SHORT_NAME_REGEXP.exec(seg) : null;
    if (!m) continue;
    plain ??= [...segs];
    dotted ??= [...segs];
    glob ??= [...segs];
    const prefix = m[1]!, ext = m[2] === undefined ? "" : `.${m[2]}`;
    plain[i] = `${prefix}${ext}`;
    dotted[i] = `.${prefix}${ext}`;
    // A hashed short name (`AB12F3~1`: two letters and four hex digits) keeps only its first letters.
    const kept = prefix.length >= 5 && /[0-9a-f]{4}$/i.test(prefix) ? prefix.slice(0, -4) : prefix;
    glob[i] = `*${kept === "" ? "" : `${globOf(kept)}*`}${ext === "" ? "" : `.${globOf(ext.slice(1))}*`}`;
  }
  return plain && dotted && glob ? [plain.join("/"), dotted.join("/"), glob.join("/")] : [];
}

/** `abc` → `a*b*c`: the letters of a short name, in order, anything between them; other characters any one. */
function globOf(s: string): string {
  return [...s].map((c) => (/[a-z0-9]/i.test(c) ? c : "?")).join("*");
}

/**
 * A string without the run of the given characters at its end, in one pass (a `[. ]+$` regex backtracks over
 * every start in a long run: quadratic).
 * @param s a string
 * @param chars the characters to drop
 * @returns the string without them at its end
 */
export function trimEndOf(s: string, chars: string): string {
  let end = s.length;
  while (end > 0 && chars.includes(s[end - 1]!)) end--;
  return end === s.length ? s : s.slice(0, end);
}

/**
 * True when Win32 would shorten a name of the path: one that ends in dots or spaces after another character
 * (`key.pem.`, `src `, `.. `, not `.` and `..` themselves), and with `streams` one holding a `:` stream. One
 * pass per name.
 * @param p a `/`-separated path
 * @param streams whether a `:` inside a name counts
 * @returns whether the literal form differs from the Win32 one
 */
export function hasTrimmedName(p: string, streams: boolean): boolean {
  for (const seg of p.split("/")) {
    if (streams && seg.slice(0, -1).includes(":")) return true;
    const n = seg.length;
    const last = seg[n - 1];
    if (n < 2 || (last !== "." && last !== " ")) continue;
    const body = trimEndOf(seg, ". ");
    // A name before the run (`key.pem.`), or a space in it before its last character (`. .`).
    if (body !== "" || seg.slice(0, n - 1).includes(" ")) return true;
    // Only dots, then spaces: `.. ` (two dots or more).
    const dots = trimEndOf(seg, " ");
    if (dots.length < n && dots.length >= 2) return true;
  }
  return false;
}
