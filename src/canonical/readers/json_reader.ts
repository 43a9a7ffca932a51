import { WRITTEN_TEXT_KEYS } from "../argument_keys.ts";
import { MAX_EMBEDDED_JSON_LEVELS, readEmbeddedJson } from "../read_placement.ts";
import type { Reader } from "./reader.ts";

/**
 * A JSON document inside a string (`{"config": "{\"path\": \"/etc/passwd\"}"}`): a server that parses it reads
 * its values, so they are read too, under the same key, budget and depth limits. Not in written text (a file's
 * contents, a message), where JSON is data. The value itself is read on by the readers after this one.
 *
 * Corpus: `tests/decision/cases/placement/` (`json-*`, `benign-json-*`).
 */
export const jsonReader: Reader = {
  id: "json",
  corpus: ["placement"],
  matches: (_s, at) => at.jsonLevel < MAX_EMBEDDED_JSON_LEVELS && !WRITTEN_TEXT_KEYS.has(at.k),
  read(s, at, out) {
    const doc = readEmbeddedJson(s, out.jsonBudget);
    if (doc !== undefined) out.walk(doc, at);
    return "next";
  },
};
