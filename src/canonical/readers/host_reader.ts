import { HOST_KEYS } from "../argument_keys.ts";
import type { Reader } from "./reader.ts";
import { hostTooLong } from "./_host_too_long.ts";

/**
 * A host argument (`host`, `hostname`, `domain`…) is a bare host, read as a client that adds a scheme reads it
 * (`localhost:3000` is a host and a port; every address a DNS-rebinding name spells is judged too), even when
 * it looks like a URL or a path. A value too long to be a host is skipped (no resolver accepts it).
 *
 * Corpus: `tests/decision/cases/guards/` (`host-*`, `metadata-*`), `tests/decision/cases/embedded-ip/`.
 */
export const hostReader: Reader = {
  id: "host",
  corpus: ["guards", "embedded-ip"],
  matches: (_s, at) => HOST_KEYS.has(at.k),
  read(s, at, out) {
    if (!hostTooLong(s)) out.url(s, at, true);
    return "done";
  },
};
