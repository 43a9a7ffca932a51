import { CONTENT_KEYS } from "../argument_keys.ts";
import type { Reader } from "./reader.ts";

/**
 * Free text (`content`, `body`, `query`, `message`, `pattern`…) is written or searched, not opened: it is not
 * read as a path, unless the tool's input schema describes the field as a path. (A URL or command in it was
 * already left alone: those readers only read their own keys, or values that start like a URL.)
 *
 * Corpus: `tests/decision/cases/paths/` (`content-not-path`), `tests/decision/cases/guards/`
 * (`metadata-in-body-text`).
 */
export const contentReader: Reader = {
  id: "content",
  corpus: ["paths", "guards"],
  matches: (_s, at) => CONTENT_KEYS.has(at.k) && at.hint !== "path",
  read: () => "done",
};
