import { urlText } from "./resolve_url.ts";
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
}

const QUOTES_REGEXP = /^(["'`])(.*)\1$/s;
const PCT_REGEXP = /%[0-9a-fA-F]{2}/;
const DRIVE_REGEXP = /^([A-Za-z]):(?:\/|$)/;
const NTFS_STREAM_REGEXP = /(?:::\$data)+$/i;
const TRAILING_DOTS_REGEXP = /[. ]+$/;

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
  for (let m = QUOTES_REGEXP.exec(t); m; m = QUOTES_REGEXP.exec(t)) t = (m[2] ?? "").trim();
  t = t.normalize("NFKC");
  let isUri = false;
  // A file: URL is read as a URL parser reads it: "fi\tle:///x", "\u0001file:///x" and "file:///.s\nsh" too.
  const asUrl = urlText(t);
  if (/^file:/i.test(asUrl)) {
    isUri = true;
    t = asUrl.slice(5);
    if (t.startsWith("//")) {
      const rest = t.slice(2);
      const slash = rest.indexOf("/");
      const host = slash < 0 ? rest : rest.slice(0, slash);
      const path = slash < 0 ? "/" : rest.slice(slash);
      t = host === "" || host.toLowerCase() === "localhost" ? path : `//${host}${path}`;
    }
    // file:///C:/x -> C:/x
    if (/^\/[A-Za-z]:/.test(t)) t = t.slice(1);
  }
  const readings = new Set<string>();
  const decoded = PCT_REGEXP.test(t) ? safeDecode(t) : undefined;
  if (isUri && decoded !== undefined) {
    readings.add(decoded);
  } else {
    readings.add(t);
    if (decoded !== undefined) readings.add(decoded);
  }
  // `~name/...` is another user's home for shells and Python's expanduser: judge that reading too.
  for (const r of [...readings]) {
    const m = /^~([A-Za-z0-9._-]+)(?=$|[\\/])/.exec(r);
    if (m) readings.add(`${parentOf(opts.home)}/${m[1]}${r.slice(m[0].length)}`);
  }
  const forms = new Set<string>();
  for (const reading of readings) {
    const variants = new Set([reading]);
    if (reading.includes("\\")) variants.add(reading.replaceAll("\\", "/"));
    for (const v of variants) {
      const lexical = normalizeAbsolute(toAbsolute(expandHome(v.normalize("NFKC"), opts.home), opts));
      forms.add(lexical);
      if (opts.realpath) {
        const real = realpathDeepest(lexical, opts.realpath);
        if (real !== undefined) forms.add(real);
      }
    }
  }
  return { raw: input, forms: [...forms], nul };
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s).normalize("NFKC");
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
    seg = seg.replace(NTFS_STREAM_REGEXP, "");
    if (/[^. ]/.test(seg)) seg = seg.replace(TRAILING_DOTS_REGEXP, "");
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return "/" + out.join("/");
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
