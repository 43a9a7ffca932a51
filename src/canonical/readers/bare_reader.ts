import { looksLikePath } from "../looks_like_path.ts";
import type { Reader } from "./reader.ts";
import { optionValueRead } from "./option_reader.ts";

/** A relative name with a folder or a leading dot, no spaces (a sentence is not a name), at most 1,024 long. */
const RELATIVE_NAME_REGEXP = /^(?=.{1,1024}$)(?:\.[\w-]|[\w@+-][\w.@+~-]*\/)[^\s:*?"<>|]*$/s;

/**
 * Any other string: a path when it clearly starts like one (`/…`, `~/…`, `../…`, `C:\…`, `\\host\…`, `file:`),
 * or the path a `--flag=value` carries (unless the option reader already read it), and, for denied paths and
 * patterns only, a relative name with a folder or a leading dot (`secrets/.env`). Nothing else is read.
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
      else if (flagValue === undefined && RELATIVE_NAME_REGEXP.test(s)) {
        // `secrets/.env`, `.npmrc` under a key no reader knows: a name in the server's folder to some servers,
        // a ref, a MIME type or a label to others. Denied paths and patterns judge it, allowlists do not.
        out.path(s, at, { denyOnly: true });
      }
    }
    return "done";
  },
};
