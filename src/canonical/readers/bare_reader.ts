import { looksLikePath } from "../looks_like_path.ts";
import type { Reader } from "./reader.ts";
import { optionValueRead } from "./option_reader.ts";

/**
 * Any other string: a path when it clearly starts like one (`/…`, `~/…`, `../…`, `C:\…`, `\\host\…`, `file:`),
 * or the path a `--flag=value` carries (unless the option reader already read it). Nothing else is read.
 *
 * Corpus: `tests/decision/cases/paths/` (`unknown-key-path-value`, `flag-value`, `second-path-argument`).
 */
export const bareReader: Reader = {
  id: "bare",
  corpus: ["paths"],
  matches: () => true,
  read(s, at, out) {
    if (looksLikePath(s)) out.path(s, at);
    else if (!optionValueRead(s, at)) {
      const flagValue = /^--?[A-Za-z][\w-]*=(.*)$/s.exec(s)?.[1];
      if (flagValue !== undefined && looksLikePath(flagValue)) out.path(flagValue, at);
    }
    return "done";
  },
};
