import { REF_KEYS } from "../argument_keys.ts";
import type { Reader } from "./reader.ts";

/**
 * A ref-like argument (branch, revision, target, remote…) is kept for the option-injection guard, and read on
 * by the readers after this one (a ref can also be a path or a URL).
 *
 * Corpus: `tests/decision/cases/option-injection/`, `tests/decision/cases/guards/` (`option-injection-*`,
 * `target-ref-not-path`).
 */
export const refReader: Reader = {
  id: "ref",
  corpus: ["option-injection", "guards"],
  matches: (_s, at) => REF_KEYS.has(at.k),
  read(s, at, out) {
    out.ref(s, at);
    return "next";
  },
};
