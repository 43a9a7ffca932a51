import { isAnchoredPath, isNameKey, splitPathList } from "../read_placement.ts";
import type { Reader } from "./reader.ts";

/**
 * A name beside a folder argument (`savePath` + `filename`, `dir` + `name`, `repo_path` + `files[]`, `cwd` +
 * `path`): the server joins the name onto the folder, so that is the reading every rule judges, for each form
 * of each folder and for each piece of a list. The working-folder reading is kept for denied paths and patterns
 * only (a server that ignores the folder). An anchored value (absolute, `~`, a drive, a URI) is left to the
 * readers after this one.
 *
 * Corpus: `tests/decision/cases/placement/`.
 */
export const joinedNameReader: Reader = {
  id: "joined-name",
  corpus: ["placement"],
  matches: (s, at) => at.bases.length > 0 && isNameKey(at.k) && s.trim() !== "" && !isAnchoredPath(s),
  read(s, at, out) {
    for (const base of at.bases) {
      for (const cwd of base.forms) out.path(s, at, { cwd });
    }
    out.path(s, at, { denyOnly: true });
    for (const piece of splitPathList(s)) {
      out.count();
      for (const base of at.bases) {
        out.path(piece, at, { cwd: isAnchoredPath(piece) ? out.opts.cwd : base.forms[0] ?? out.opts.cwd });
      }
    }
    return "done";
  },
};
