import { isCommandKey } from "../argument_keys.ts";
import { looksLikePath } from "../looks_like_path.ts";
import { isAnchoredPath } from "../read_placement.ts";
import { readShell } from "../read_shell.ts";
import { isWindowsMode } from "../resolve_path.ts";
import { looksLikeUrl } from "../resolve_url.ts";
import type { Reader } from "./reader.ts";
import { hostTooLong } from "./_host_too_long.ts";

/**
 * The words of a command string split at every quote and operator: a second reading beside the parser's,
 * which finds `/etc/passwd` inside `python -c "open('/etc/passwd')"` and in here-document data. A word with
 * `=` also gives what follows it.
 */
function quoteSplitWords(s: string): string[] {
  const out = new Set<string>();
  for (const t of s.split(/[\s;|&<>()`'"]+/)) {
    if (t.length === 0) continue;
    out.add(t);
    const eq = t.indexOf("=");
    if (eq > 0 && eq < t.length - 1) out.add(t.slice(eq + 1));
  }
  return [...out];
}

/** The text with each range blanked out (here-document data, which is not read as paths). */
function withoutRanges(s: string, ranges: [number, number][]): string {
  // The parser counts UTF-8 bytes: with other characters than ASCII the offsets are not string indices, and
  // the text is read whole (nothing is hidden).
  if (ranges.length === 0 || /[^\t\n\r -~]/.test(s)) return s;
  let out = "";
  let at = 0;
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    if (a < at) continue;
    out += s.slice(at, a) + " ";
    at = b;
  }
  return out + s.slice(at);
}

/**
 * A shell command (`command`, `cmd`, `script`, `shell`…), parsed as a POSIX shell parses it (mvdan-sh, see
 * `read_shell.ts`): every static path word and URL is judged, relative words where `cd`, `pushd`, `-C` or a
 * `cwd` argument beside the command put them (and, for denied paths and patterns only, in the server's own
 * folder); anything only known when it runs (`$VAR`, `$(…)`, `eval`, `cd $X`…) is unproven. A command no shell
 * could read makes the call malformed (a shell runs what it read before the error). The words split at every
 * quote are a second reading. Too long a command is not parsed and proves nothing.
 *
 * Corpus: `tests/decision/cases/shell/`, `tests/decision/cases/paths/` (`command-*`),
 * `tests/decision/cases/placement/` (`cwd-command`).
 */
export const commandReader: Reader = {
  id: "command",
  corpus: ["shell", "paths", "placement"],
  matches: (_s, at) => isCommandKey(at.k),
  read(s, at, out) {
    const cwd0 = out.opts.cwd;
    const sh = readShell(s, { budget: out.shellBudget });
    if (sh.error !== undefined) {
      // A shell runs what it can read before it reports the error, so an unreadable command is not judged on
      // half of its words: fail closed.
      out.malformed(`the command at ${at.pointer} cannot be read as a shell would read it: ${sh.error}`);
      return "done";
    }
    for (const why of sh.dynamic) out.unproven(why, at);
    for (const p of sh.paths) {
      // A `cwd` / `workdir` argument beside the command is where it runs: relative words are judged there, and
      // in the server's own folder for denied paths and patterns only.
      const start = at.bases.length === 0 ? [cwd0] : at.bases.map((b) => b.forms[0] ?? cwd0);
      const anchored = isAnchoredPath(p.word);
      const readings = p.bases.length === 0 || anchored ? start : [
        ...start,
        ...start.flatMap((c) => p.bases.map((b) => out.resolve(b, c).forms[0] ?? c)),
      ];
      // A shell word is the exact name (`id_rsa\ ` is "id_rsa "): read with its spaces as well as without.
      for (const cwd of new Set(readings)) out.path(p.word, at, { cwd, denyOnly: p.denyOnly, exact: true });
      if (at.bases.length > 0 && !anchored) out.path(p.word, at, { denyOnly: true, exact: true });
    }
    for (const u of sh.urls) if (looksLikeUrl(u)) out.url(u, at, false);
    for (const h of sh.hosts) if (!hostTooLong(h)) out.url(h, at, true);
    if (sh.dynamic.some((d) => d.startsWith("the command is too long"))) return "done";
    const seen = new Set([...sh.paths.map((p) => p.word), ...sh.notFiles]);
    // On Windows (cmd.exe, PowerShell) a backslash is a separator, not an escape: a relative word with one
    // (`secrets\.env`, `..\..\x`) names a file there, judged by denied paths and patterns.
    const windows = isWindowsMode(out.opts);
    for (const tok of quoteSplitWords(withoutRanges(s, sh.dataRanges))) {
      if (seen.has(tok)) continue;
      if (looksLikePath(tok)) out.path(tok, at);
      else if (looksLikeUrl(tok)) out.url(tok, at, false);
      else if (windows && tok.includes("\\") && !tok.startsWith("-") && tok.length <= 4096) {
        out.path(tok, at, { denyOnly: !/(?:^|\\)\.\.(?:\\|$)/.test(tok) });
      }
    }
    return "done";
  },
};
