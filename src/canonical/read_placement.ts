/**
 * Where a path can hide besides a plain string value (issue 16, class 7): a folder argument joined with a
 * name argument, several paths in one string, an object key, a JSON document inside a string.
 * @module
 */
import { looksLikePath } from "./looks_like_path.ts";

/**
 * Argument names (normalized: lower case, no `-_` or spaces) whose value is the folder that the call's name
 * arguments are relative to: `savePath` + `filename`, `dir` + `name`, `repo_path` + `files[]`, `cwd` + `path`.
 */
const BASE_KEY_REGEXP =
  /^(?:(?:save|output|out|target|base|work|working|root|parent|upload|download|dest|destination)?(?:dir|dirs|directory|folder)|savepath|savedir|savefolder|outdir|outputdir|repopath|repodir|repositorypath|reporoot|root|rootdir|rootpath|cwd|workdir|workingdirectory|workingdir|basepath|basedir|projectpath|projectdir|projectroot|workspace|workspacepath|workspaceroot)$/;

/** Argument names whose relative value a server joins onto the call's folder argument. */
const NAME_KEY_REGEXP =
  /^(?:name|names|basename|filename|filenames|file|files|filepath|filepaths|path|paths|relativepath|relpath|subpath|subdir|entry|entries|output|outputfile|outfile|saveas|newname)$/;

/**
 * True when the argument is the folder other arguments of the same object are relative to.
 * @param k a normalized key
 * @returns whether it is a base folder
 */
export function isBaseKey(k: string): boolean {
  return BASE_KEY_REGEXP.test(k);
}

/**
 * True when the argument names something inside the call's folder argument.
 * @param k a normalized key
 * @returns whether a base folder applies to it
 */
export function isNameKey(k: string): boolean {
  return NAME_KEY_REGEXP.test(k);
}

/**
 * True when a path value does not depend on a base folder: absolute, home-relative, a drive, UNC or URI.
 * @param s a path value
 * @returns whether joining it to a folder changes nothing
 */
export function isAnchoredPath(s: string): boolean {
  return /^\s*["'`]?(?:[\\/]|~|\$HOME\b|\$\{HOME\}|%[A-Za-z]+%|[A-Za-z]:|file:)/i.test(s.normalize("NFKC"));
}

/**
 * The pieces of a string that may be a list of paths: split at `,`, `;`, newlines and `:` (not the `:` of a
 * drive letter `C:\`, nor of a URI scheme `file:`). Pieces that are only a line or column number (`a.ts:12`) are
 * dropped. One pass over the string.
 * @param s a value under a path-like key
 * @returns the pieces, trimmed, or none when the string holds no separator
 */
export function splitPathList(s: string): string[] {
  if (!/[,;\n\r:]/.test(s) || /^\s*[a-z][a-z0-9+.-]*:\/\//i.test(s)) return [];
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = s[i];
    if (i < s.length && c !== "," && c !== ";" && c !== "\n" && c !== "\r" && c !== ":") continue;
    // `C:\x` and `C:/x`: a drive letter, not a separator.
    if (c === ":" && i - start === 1 && /[A-Za-z]/.test(s[start]!) && /[\\/]/.test(s[i + 1] ?? "")) continue;
    // `\\?\C:\x`, `\\.\C:\x`, `\??\C:\x`: a drive after a Windows device prefix.
    if (c === ":" && i - start <= 16 && DEVICE_DRIVE_REGEXP.test(s.slice(start, i))) continue;
    // `file:` inside a list (`a,file:///etc/x`): the scheme's colon is not a separator.
    if (c === ":" && /^\s*file$/i.test(s.slice(Math.max(start, i - 16), i))) continue;
    const piece = s.slice(start, i).trim();
    if (piece !== "" && !/^\d+$/.test(piece)) out.push(piece);
    start = i + 1;
  }
  return out.length > 1 ? out : [];
}

/**
 * The pieces of a string that is a list of paths separated by spaces, tabs or newlines (`./src/a.ts /etc/passwd`),
 * when at least two of them start like a path: those pieces. A name with a space in it (`My Documents/x`)
 * gives at most one piece that starts like a path, and is read whole.
 * @param s a value under a path-like key
 * @returns the pieces that start like a path, or none
 */
export function splitSpacedPathList(s: string): string[] {
  if (!/\S\s+\S/.test(s)) return [];
  const pieces = s.split(/\s+/).filter((p) => p !== "" && looksLikePath(p));
  return pieces.length > 1 ? pieces : [];
}

/** The start of a piece that is a Windows device prefix and a drive letter (`\\?\C`), before the drive's colon. */
const DEVICE_DRIVE_REGEXP = /^\s*(?:[\\/]{2}[?.][\\/]|[\\/]\?\?[\\/])[A-Za-z]$/;

/** Characters of JSON text inside string values one call may parse (all levels together). */
export const MAX_EMBEDDED_JSON_CHARS = 1024 * 1024;
/** How many JSON-in-a-string levels are read (each level is a substring of the one above: linear in total). */
export const MAX_EMBEDDED_JSON_LEVELS = 4;

/**
 * The JSON document a string value holds, when it is one: an object or array (`{…}`, `[…]`), parsed with the
 * budget left for the call.
 * @param s a string value
 * @param budget characters still allowed, decreased by the length read
 * @returns the parsed object or array, or undefined when it is not JSON or over the budget
 */
export function readEmbeddedJson(s: string, budget: { chars: number }): object | undefined {
  const t = s.trim();
  const open = t[0], close = t[t.length - 1];
  if (!((open === "{" && close === "}") || (open === "[" && close === "]"))) return undefined;
  if (t.length > budget.chars) return undefined;
  budget.chars -= t.length;
  try {
    const v: unknown = JSON.parse(t);
    return v !== null && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
}
