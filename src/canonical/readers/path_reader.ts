import { isPathLikeKey, PATH_KEYS } from "../argument_keys.ts";
import { splitPathList, splitSpacedPathList } from "../read_placement.ts";
import type { Reader } from "./reader.ts";

/**
 * A path argument (a path key such as `path`, `file`, `dir`, `destination`; a key shaped like one,
 * `sourcePath`, `configFile`; a schema field described as a path; an object key that is a path): resolved as
 * the OS would open it (every reading: `~`, `$HOME`, `file:`, percent-encoding, NFKC, trailing dots, symlinks
 * segment by segment, Windows forms), and each piece of a list (`a.txt,/etc/passwd`, one a line, `PATH`-style
 * `src:/home/u/.ssh`), because a server that splits the value opens each piece; beside `"recursive": true`, the
 * folder's whole tree (`dir/**`).
 *
 * Corpus: `tests/decision/cases/paths/`, `tests/decision/cases/kernel-paths/`, `tests/decision/cases/windows/`,
 * `tests/decision/cases/v1/`, `tests/decision/cases/placement/` (`*-list`, `key-*`).
 */
export const pathReader: Reader = {
  id: "path",
  corpus: ["paths", "kernel-paths", "windows", "v1", "placement"],
  matches: (s, at) => (at.hint === "path" || PATH_KEYS.has(at.k) || isPathLikeKey(at.k)) && s.trim() !== "",
  read(s, at, out) {
    out.path(s, at);
    // Beside `"recursive": true` the folder stands for everything below it (a denied folder inside denies).
    if (at.recursive && s.length <= 4096) out.path(`${s.replace(/[\\/]+$/, "")}/**`, at);
    for (const piece of [...splitPathList(s), ...splitSpacedPathList(s)]) {
      out.count();
      out.path(piece, at);
    }
    return "done";
  },
};
