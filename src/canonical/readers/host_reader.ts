import { CONTENT_KEYS, isHostKey, MAYBE_HOST_KEYS } from "../argument_keys.ts";
import type { Reader } from "./reader.ts";
import { hostTooLong } from "./_host_too_long.ts";

/**
 * A host argument (`host`, `hostname`, `domain`, `ip`…) is a bare host, read as a client that adds a scheme
 * reads it (`localhost:3000` is a host and a port; every address a DNS-rebinding name spells is judged too),
 * even when it looks like a URL or a path. A value shaped like a host under a key that often holds one
 * (`server`, `address`, `proxy`, `registry`…) and the host of an scp-like address under any key but free text
 * (`git@evil.example.com:acme/app.git`) are read as hosts too, and left to the readers after this one. A value
 * too long to be a host is skipped (no resolver accepts it).
 *
 * Corpus: `tests/decision/cases/guards/` (`host-*`, `metadata-*`), `tests/decision/cases/embedded-ip/`.
 */
export const hostReader: Reader = {
  id: "host",
  corpus: ["guards", "embedded-ip"],
  matches: (s, at) =>
    isHostKey(at.k) ||
    (MAYBE_HOST_KEYS.has(at.k) && s.length <= 4096 && HOST_SHAPED_REGEXP.test(s.trim())) ||
    (!CONTENT_KEYS.has(at.k) && scpLikeHost(s) !== undefined),
  read(s, at, out) {
    if (hostTooLong(s)) return "done";
    if (isHostKey(at.k)) {
      out.url(s, at, true);
      return "done";
    }
    // `git@evil.example.com:acme/app.git`: git and scp connect to the host before the colon. The value may also
    // be a path or a ref to the readers after this one.
    const scp = scpLikeHost(s);
    if (scp !== undefined) out.url(scp, at, true);
    else out.url(s, at, true);
    return "next";
  },
};

/**
 * A value shaped like a host, a `host:port` or an address, optionally followed by a path: a dotted name, an
 * IPv4 or IPv6 address, `localhost`. A word without a dot (`prod`, `origin`) or with a space is not one.
 */
const HOST_SHAPED_REGEXP =
  /^(?:\[[0-9A-Fa-f:.%\w]+\]|[0-9A-Fa-f]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*|localhost|(?:[A-Za-z0-9_-]+\.)+[A-Za-z0-9_-]+\.?)(?::\d{1,5})?(?:[/?#][^\s]*)?$/i;

/**
 * The host of an scp-like address (`user@host:path`, as git, scp and rsync read it), or undefined when the
 * value is not one (a URL, a drive, a mail address without a `:path`).
 * @param s a string value
 * @returns the host
 */
export function scpLikeHost(s: string): string | undefined {
  const m = /^\s*[^@\/\s:]+@(\[[0-9A-Fa-f:.%\w]+\]|[A-Za-z0-9][A-Za-z0-9.-]*):(?!\/\/)/.exec(s);
  return m?.[1];
}
