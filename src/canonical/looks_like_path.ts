import { normalizedStart } from "./resolve_url.ts";

/**
 * How a value that names a file starts: `~/`, `/`, `./`, `../`, `$HOME`, `%USERPROFILE%`, `%APPDATA%\`, a drive (`C:\`), a UNC
 * or NT prefix (`\\`, `\??\`), a best-fit separator (`∕`, `∖`, and `¥` / `₩` after dots or a drive), `file:`.
 */
const PATH_START_REGEXP =
  /^(?:~(?:$|[\\/\u2215\u2216])|\/|\.{1,2}(?:$|[\\/\u2215\u2216\u00a5\u20a9])|\$HOME\b|\$\{HOME\}|%USERPROFILE%|%HOME%|%[A-Za-z_][\w()]*%\\|[A-Za-z]:[\\/\u2215\u2216\u00a5\u20a9]|\\\\|\\\?\?\\|[\u2215\u2216]|file:)/i;

/**
 * True when a bare string clearly names a filesystem location.
 * @param s a string value
 * @returns whether to judge it as a path
 */
export function looksLikePath(s: string): boolean {
  const t = s.trim().replace(/^["'`]/, "");
  // NFKC never produces or removes a newline, so the raw string can be searched for one.
  return t.length > 0 && !t.includes("\n") && PATH_START_REGEXP.test(normalizedStart(t));
}
