import { urlText } from "./resolve_url.ts";
import {
  foldWindowsCase,
  hasTrimmedName,
  isWindowsRoot,
  isWindowsShaped,
  trimEndOf,
  UNC_OR_DRIVE_FORM_REGEXP,
  windowsFolder,
  windowsForms,
} from "./windows_path.ts";
/** How to resolve a path string the way the server (or the OS under it) would. */
export interface ResolveOptions {
  /** Absolute directory relative paths are resolved against (the server's cwd). */
  cwd: string;
  /** The user's home directory, for `~`, `$HOME`, `%USERPROFILE%`. */
  home: string;
  /**
   * Resolves symlinks: returns the real path of an existing path, or undefined when it does not exist.
   * Omit for a pure, filesystem-free resolution (offline tests).
   */
  realpath?: (abs: string) => string | undefined;
  /**
   * The home directory of a named user from the password database (`~root` is `/root`), or undefined when
   * there is no such user. When omitted, a `userHome` property of `realpath` is used (`hostRealpath` carries
   * one that reads /etc/passwd); without either, `~name` is guessed as a sibling of `home` (and `/root`,
   * `/var/root` for root).
   */
  userHome?: (name: string) => string | undefined;
  /**
   * Read every value as Windows does (drive letters, UNC, `\\?\`, root-relative on the current drive, names
   * compared case-insensitively) instead of adding Windows readings only to Windows-shaped values. Default:
   * true when `cwd` or `home` is a Windows folder (`C:\…`, `\\server\share`). Set it when the policy is a
   * Windows one but the platform judging it is not (see docs/policy.md, "Windows forms").
   */
  windows?: boolean;
  /**
   * The value is the exact name (a shell word after quote removal): besides the reading with surrounding
   * spaces and quotes removed (as servers strip them), the name with them is read too (`id_rsa ` is another
   * file than `id_rsa`).
   */
  exact?: boolean;
}

/** A path argument after canonicalization. */
export interface ResolvedPath {
  /** The string as it appeared in the call. */
  raw: string;
  /**
   * Every absolute, normalized reading of the string: the lexical form, the realpath form when a symlink
   * is involved, and the percent-decoded / backslash readings when they differ. A call is judged on all of
   * them: every form must pass, any form may deny.
   */
  forms: string[];
  /** True when the string held a NUL byte (always denied by the `nul-byte` guard). */
  nul: boolean;
  /**
   * Set when a Windows reading names something no path stands for (`\\?\GLOBALROOT\Device\…`, a named share
   * on this machine, another drive's current folder): a policy that limits paths cannot prove the call safe.
   */
  unproven?: string;
  /**
   * Set when a `file:` URI cannot be read to a path with certainty (a WHATWG parser rejects it, so Node and
   * a Python server disagree on what it names): the `file-url` guard denies it.
   */
  uncertain?: string;
}

const PCT_REGEXP = /%[0-9a-fA-F]{2}/;
const DRIVE_REGEXP = /^([A-Za-z]):(?:\/|$)/;
const STREAM_TYPE_REGEXP = /^[a-z_]+$/i;

/**
 * Resolves a path (or `file:` URI) to every absolute normalized form a server could end up opening.
 * Handles quotes and whitespace (servers strip them), NFKC folding, `~`, `$HOME`, `${HOME}`, `%USERPROFILE%`,
 * `file://` URIs, percent-encoding, backslashes and drive letters, `.`/`..`/`//`, trailing dots and spaces,
 * NTFS streams, and symlinks (through `opts.realpath`, on the deepest existing ancestor).
 *
 * @param input the path string from a call or a policy entry
 * @param opts cwd, home and an optional realpath function
 * @returns the raw string, its forms and whether it held a NUL byte
 */
export function resolvePath(input: string, opts: ResolveOptions): ResolvedPath {
  const nul = input.includes("\0");
  let t = input.replaceAll("\0", "").trim();
  // Matching quotes around the value, any number of pairs (one pass: no regex rescans the rest each time).
  while (t.length >= 2 && `"'\``.includes(t[0]!) && t[t.length - 1] === t[0]) t = t.slice(1, -1).trim();
  // The NFKC reading first (forms[0], the one the sandbox builds on), then the literal name the OS opens: a
  // folder literally named "ｄｏｃｓ" is not "docs" on a POSIX volume.
  const nfkc = t.normalize("NFKC");
  const readings = new Set<string>();
  let uncertain: string | undefined;
  const texts = nfkc === t ? [t] : [nfkc, t];
  const whole = input.replaceAll("\0", "");
  if (opts.exact && whole !== t && whole.trim() !== "") texts.push(whole);
  for (const text of texts) {
    // A file: URL is read as a URL parser reads it: "fi\tle:///x", "\u0001file:///x" and "file:///.s\nsh" too.
    const asUrl = urlText(text);
    if (/^file:/i.test(asUrl)) {
      const r = fileUrlReadings(asUrl);
      for (const x of r.paths) readings.add(x);
      uncertain ??= r.uncertain;
      continue;
    }
    readings.add(text);
    if (PCT_REGEXP.test(text)) readings.add(safeDecode(text));
  }
  // `~name/...` is another user's home for shells and Python's expanduser: judge that reading too.
  const userHome = opts.userHome ??
    (opts.realpath as { userHome?: (n: string) => string | undefined } | undefined)
      ?.userHome;
  let unproven: string | undefined;
  for (const r of [...readings]) {
    const m = /^~([A-Za-z0-9._-]+)(?=$|[\\/])/.exec(r);
    if (!m) continue;
    const rest = r.slice(m[0].length);
    const name = m[1]!;
    const known = userHome?.(name);
    if (known !== undefined) readings.add(known + rest);
    // A user the password database here does not know may exist where the server runs (or be read literally
    // by a shell): no reading is certain.
    else if (userHome !== undefined) unproven ??= `~${name} is a user not known here`;
    readings.add(`${parentOf(opts.home)}/${name}${rest}`);
    if (name === "root" && userHome === undefined) {
      readings.add(`/root${rest}`);
      readings.add(`/var/root${rest}`);
    }
  }
  // Windows readings (class 8): every value on a Windows platform, a Windows-shaped one (a backslash, a drive,
  // a device prefix, a best-fit separator) anywhere. They come after the POSIX forms, which stay first.
  const windows = isWindowsMode(opts);
  const winCwd = windowsFolder(opts.cwd);
  const winHome = windowsFolder(opts.home);
  const winCtx = {
    cwd: winCwd,
    drive: /^\/([a-z]):/.exec(winCwd)?.[1],
    expandHome: (p: string) => expandHome(p, winHome),
  };
  const winForms = new Set<string>();
  const forms = new Set<string>();
  for (const reading of readings) {
    if (windows || isWindowsShaped(reading)) {
      const w = windowsForms(reading, winCtx);
      for (const f of w.forms) winForms.add(f);
      unproven ??= w.unproven;
      if (windows) continue; // a Windows server never reads a POSIX path
    }
    const variants = new Set([reading.normalize("NFKC"), reading]);
    if (reading.includes("\\")) {
      for (const v of [...variants]) variants.add(v.replaceAll("\\", "/"));
      // `C:\x` is read as `C:/x` is (a drive, never a name in the working folder), so a Windows allowlist can
      // hold it.
      if (WINDOWS_ROOTED_REGEXP.test(reading)) {
        variants.delete(reading);
        variants.delete(reading.normalize("NFKC"));
      }
    }
    for (const v of variants) {
      const abs = toAbsolute(expandHome(v, opts.home), opts);
      // Windows and case-insensitive volumes drop trailing dots and spaces and `::$DATA`; POSIX opens the
      // literal name: both are judged.
      const lexical = foldDrive(normalizeAbsolute(abs));
      const literal = abs.includes("::$") || hasTrimmedName(abs, false)
        ? foldDrive(normalizeLiteral(abs))
        : lexical;
      forms.add(lexical);
      forms.add(literal);
      unproven ??= procLinkReading(abs, lexical, opts.cwd, forms);
      if (opts.realpath) {
        for (const f of lexical === literal ? [lexical] : [lexical, literal]) {
          const real = realpathDeepest(f, opts.realpath);
          if (real !== undefined) forms.add(real);
        }
        // The kernel resolves a symlink before the `..` after it: "link/../x" is x beside the link's target.
        if (DOTDOT_SEGMENT_REGEXP.test(abs)) {
          const walked = kernelWalk(abs, opts.realpath);
          if (walked !== undefined) forms.add(walked);
        }
      }
    }
  }
  for (const f of winForms) forms.add(f);
  const out: ResolvedPath = { raw: input, forms: [...forms], nul };
  if (uncertain !== undefined) out.uncertain = uncertain;
  if (unproven !== undefined) out.unproven = unproven;
  return out;
}

/** `/proc/self/root/x`, `/proc/1234/cwd/x`, `/dev/fd/3`: a magic link of the server's process. */
const PROC_LINK_REGEXP =
  /^\/proc\/(?:self|thread-self|\d+)\/(?:task\/\d+\/)?(root|cwd|exe|fd\/\d+|map_files\/[^/]+)(\/.*)?$/;
const DEV_FD_REGEXP = /^\/dev\/fd\/(\d+)(\/.*)?$/;

/**
 * The kernel's reading of a path through a `/proc/<pid>/` magic link, which a lexical reading misses
 * (`/proc/self/root/etc/passwd` is `/etc/passwd`): the `root` link is read as `/` (added to `forms`); the `cwd`
 * link is the server's working folder (read as `cwd`), and a file descriptor (`/proc/self/fd/3`,
 * `/dev/fd/3`, but not 0-2) or another process's folder names something only known where the server runs.
 * @param abs the absolute path before normalizing
 * @param lexical its normalized form
 * @param cwd the server's working folder as known here
 * @param forms the forms so far (the root reading is added)
 * @returns why no reading is certain, if so
 */
function procLinkReading(abs: string, lexical: string, cwd: string, forms: Set<string>): string | undefined {
  if (!abs.includes("/proc/") && !abs.includes("/dev/fd/") && !/\/(?:proc|dev)\/*$/.test(abs)) {
    return undefined;
  }
  // `..` right after a magic link leaves the link's target, which the lexical reading does not know.
  const raw = normalizeSlashes(abs);
  if (
    /\/proc\/(?:self|thread-self|\d+)\/(?:task\/\d+\/)?(?:root|cwd|exe|fd\/\d+)\/\.\.(?:\/|$)/.test(raw) ||
    /\/dev\/fd\/\d+\/\.\.(?:\/|$)/.test(raw)
  ) {
    return `${lexical} goes above a link of the server's process, which is only known where it runs`;
  }
  const m = PROC_LINK_REGEXP.exec(lexical);
  if (m) {
    const rest = m[2] ?? "";
    if (m[1] === "root") {
      forms.add(normalizeAbsolute(rest === "" ? "/" : rest));
      return undefined;
    }
    if (m[1] === "cwd") forms.add(normalizeAbsolute(`${cwd}${rest}`));
    if (/^fd\/[0-2]$/.test(m[1]!) && rest === "") return undefined;
    return `${lexical} is a link of the server's process, only known where it runs`;
  }
  const fd = DEV_FD_REGEXP.exec(lexical);
  if (fd && !(Number(fd[1]) <= 2 && fd[2] === undefined)) {
    return `${lexical} is an open file of the server's process, only known where it runs`;
  }
  return undefined;
}

/** `//` and `/./` collapsed, `..` kept. */
function normalizeSlashes(p: string): string {
  return p.replace(/\/+/g, "/").replace(/\/(?:\.\/)+/g, "/");
}

/**
 * True when values are read as Windows reads them: the `windows` option, or by default a Windows working
 * folder or home (`C:\…`, `\\server\share`).
 * @param opts the resolve options
 * @returns whether the Windows reading mode is on
 */
export function isWindowsMode(opts: Pick<ResolveOptions, "cwd" | "home" | "windows">): boolean {
  return opts.windows ?? (isWindowsRoot(opts.cwd) || isWindowsRoot(opts.home));
}

/** `C:\x`: a value on a drive (a POSIX reading of it is the one with `/`, as for `C:/x`). */
const WINDOWS_ROOTED_REGEXP = /^[A-Za-z]:\\/;

/** A drive form (`/C:/Users/X`) folded as Windows compares names; any other form as it is. */
function foldDrive(p: string): string {
  return UNC_OR_DRIVE_FORM_REGEXP.test(p) ? foldWindowsCase(p) : p;
}

const DOTDOT_SEGMENT_REGEXP = /(?:^|\/)\.\.(?:\/|$)/;

/**
 * Every path a `file:` URL names for a real consumer: Node's `fileURLToPath` and WHATWG `URL` (query and
 * fragment dropped, `\` a separator, `localhost` in any case or percent-encoding is no host, `file:etc/x` is
 * `/etc/x`, `%2e%2e` is `..`), Python's `urlsplit` + `url2pathname` (query and fragment dropped, `\` an
 * ordinary character, `file:etc/x` is relative to the working directory), and a server that strips the
 * `file://` prefix by hand (query and fragment kept as part of the name). A host other than localhost gives
 * both the path on this machine (Python serves a local address) and the UNC reading `//host/path`.
 * @param u the URL as a parser sees it (see `urlText`), starting with `file:`
 * @returns the readings, and why no reading is certain when a WHATWG parser rejects the URL
 */
function fileUrlReadings(u: string): { paths: string[]; uncertain?: string } {
  const paths = new Set<string>();
  const add = (p: string) => {
    if (/^\/[A-Za-z]:/.test(p)) paths.add(p.slice(1)); // file:///C:/x -> C:/x (Windows), /C:/x (POSIX)
    paths.add(p);
  };
  // By hand: "file:" and an empty or localhost authority removed, everything after kept.
  let t = u.slice(5);
  if (t.startsWith("//")) {
    const rest = t.slice(2);
    const slash = rest.indexOf("/");
    const host = slash < 0 ? rest : rest.slice(0, slash);
    const path = slash < 0 ? "/" : rest.slice(slash);
    // A host is compared as a URL parser compares it: percent-decoded and NFKC-folded (`%6C%6F…`, `ｌｏｃａｌ…`).
    const name = PCT_REGEXP.test(host) ? safeDecode(host) : host;
    t = name === "" || name.normalize("NFKC").toLowerCase() === "localhost" ? path : `//${host}${path}`;
    // `file:////server/share`: Windows (and a WHATWG parser that keeps the empty host) reads a UNC path.
    if (host === "" && /^\/\/[^/]/.test(path)) paths.add(`\\\\${path.slice(2)}`);
  }
  add(PCT_REGEXP.test(t) ? safeDecode(t) : t);
  // Python: the authority ends at / ? #; the path at ? or #.
  let py = u.slice(5);
  if (py.startsWith("//")) {
    const end = py.slice(2).search(/[/?#]/);
    py = end < 0 ? "" : py.slice(2 + end);
  }
  const q = py.search(/[?#]/);
  if (q >= 0) py = py.slice(0, q);
  add(safeDecode(py === "" ? "/" : py));
  // `file:~/x`, `file:x`: Python opens a relative path in the working folder, where `~` is a literal name.
  if (py !== "" && !py.startsWith("/")) paths.add(`./${safeDecode(py)}`);
  let uncertain: string | undefined;
  try {
    const url = new URL(u);
    const p = safeDecode(url.pathname);
    add(p);
    // A host, or a path that starts with `//` (`file:////server/share`), is a UNC path to Windows: written
    // with a backslash so the Windows reading sees it.
    if (url.hostname !== "") paths.add(`\\\\${url.hostname}${p}`);
    else if (/^\/\/[^/]/.test(p)) paths.add(`\\\\${p.slice(2)}`);
  } catch {
    uncertain = `the file: URL ${JSON.stringify(u.slice(0, 80))} cannot be read by a WHATWG URL parser`;
  }
  return { paths: [...paths], uncertain };
}

/**
 * The kernel's reading of an absolute path: each segment is resolved (symlinks followed) before the next, so a
 * `..` after a symlink leaves the link's target, not the link's folder. Past a segment that does not exist the
 * rest is read lexically (the kernel fails there, or creates the last one).
 * @param abs an absolute path, not normalized
 * @param realpath resolves an existing path (or a dangling link to its target)
 * @returns the path the kernel would reach
 */
function kernelWalk(abs: string, realpath: (p: string) => string | undefined): string | undefined {
  let cur = "/";
  let missing = false;
  for (const seg of abs.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      const cut = cur.lastIndexOf("/");
      cur = cut <= 0 ? "/" : cur.slice(0, cut);
      continue;
    }
    const next = cur === "/" ? `/${seg}` : `${cur}/${seg}`;
    const real = missing ? undefined : realpath(next);
    if (real === undefined) missing = true;
    cur = real ?? next;
  }
  return cur;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // Invalid sequences: decode what we can, byte by byte.
    return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

function parentOf(home: string): string {
  const h = home.replace(/[\\/]+$/, "");
  const cut = Math.max(h.lastIndexOf("/"), h.lastIndexOf("\\"));
  return cut <= 0 ? "" : h.slice(0, cut);
}

function expandHome(p: string, home: string): string {
  if (p === "~" || p.startsWith("~/") || p.startsWith("~\\")) return home + p.slice(1);
  const m = /^(?:\$HOME|\$\{HOME\}|%USERPROFILE%|%HOME%|\$env:USERPROFILE)(?=$|[\\/])/i.exec(p);
  if (m) return home + p.slice(m[0].length);
  return p;
}

function toAbsolute(p: string, opts: ResolveOptions): string {
  const unified = p.replace(DRIVE_REGEXP, (_, d: string) => `/${d.toLowerCase()}:/`);
  if (unified.startsWith("/")) return unified;
  return `${opts.cwd}/${unified}`;
}

/**
 * Normalizes an absolute POSIX-style path: collapses `//`, `.`, `..`, strips trailing slashes, trailing dots and
 * spaces of each segment (Windows drops them) and NTFS `::$DATA` stream suffixes.
 * @param p an absolute path
 * @returns the normalized path, always starting with `/`
 */
export function normalizeAbsolute(p: string): string {
  const out: string[] = [];
  for (let seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      out.pop();
      continue;
    }
    seg = withoutStreamTypes(seg);
    if (/[^. ]/.test(seg)) seg = trimEndOf(seg, ". ");
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return "/" + out.join("/");
}

/**
 * Like {@link normalizeAbsolute}, but keeps each segment as the POSIX kernel opens it: trailing dots and
 * spaces and `::$DATA` stay part of the name.
 * @param p an absolute path
 * @returns the normalized path, always starting with `/`
 */
export function normalizeLiteral(p: string): string {
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

/** A name without the `::$DATA`, `::$INDEX_ALLOCATION`… suffixes NTFS opens as the name itself. */
function withoutStreamTypes(seg: string): string {
  for (let cut = seg.lastIndexOf("::$"); cut >= 0; cut = seg.lastIndexOf("::$")) {
    if (!STREAM_TYPE_REGEXP.test(seg.slice(cut + 3))) break;
    seg = seg.slice(0, cut);
  }
  return seg;
}

function realpathDeepest(abs: string, realpath: (p: string) => string | undefined): string | undefined {
  let head = abs;
  const tail: string[] = [];
  for (let i = 0; i < 64; i++) {
    const real = realpath(head);
    if (real !== undefined) {
      const joined = tail.length ? `${real === "/" ? "" : real}/${tail.reverse().join("/")}` : real;
      const norm = normalizeAbsolute(joined);
      return norm === abs ? undefined : norm;
    }
    if (head === "/") return undefined;
    const cut = head.lastIndexOf("/");
    tail.push(head.slice(cut + 1));
    head = cut <= 0 ? "/" : head.slice(0, cut);
  }
  return undefined;
}

/**
 * Separator-boundary containment: `/src-private` is not inside `/src`.
 * @param path an absolute normalized path
 * @param root an absolute normalized path
 * @returns true when `path` is `root` or below it
 */
export function isWithin(path: string, root: string): boolean {
  if (root === "/") return true;
  return path === root || (path.startsWith(root) && path.charCodeAt(root.length) === 47);
}
