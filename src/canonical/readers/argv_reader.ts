import { ARGV_KEYS } from "../argument_keys.ts";
import { looksLikePath } from "../looks_like_path.ts";
import { looksLikeUrl } from "../resolve_url.ts";
import type { Reader } from "./reader.ts";

/**
 * One argv element (`args`, `argv`, `arguments`): handed to the program as is, never through a shell. It is a
 * path or a URL when it starts like one, and so is what a `--flag=value` element carries.
 *
 * Corpus: `tests/decision/cases/option-injection/` (`benign-kubectl-args`), `tests/decision/cases/paths/`
 * (`flag-value`, `argv-*`).
 */
export const argvReader: Reader = {
  id: "argv",
  corpus: ["option-injection", "paths"],
  matches: (_s, at) => ARGV_KEYS.has(at.k),
  read(s, at, out) {
    const flagValue = /^--?[A-Za-z][\w-]*=(.*)$/s.exec(s)?.[1];
    for (const w of flagValue === undefined ? [s] : [s, flagValue]) {
      if (looksLikePath(w)) out.path(w, at);
      else if (looksLikeUrl(w)) out.url(w, at, false);
    }
    return "done";
  },
};
