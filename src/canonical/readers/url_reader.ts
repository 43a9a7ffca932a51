import { isPathLikeKey, PATH_KEYS, URL_KEYS } from "../argument_keys.ts";
import { looksLikePath } from "../looks_like_path.ts";
import { HOST_PORT_REGEXP, looksLikeUrl, normalizedStart, urlText } from "../resolve_url.ts";
import type { Place, Reader } from "./reader.ts";
import { hostTooLong } from "./_host_too_long.ts";

function isUrlKey(at: Place): boolean {
  return URL_KEYS.has(at.k) || at.k.endsWith("url") || at.k.endsWith("uri") || at.hint === "url";
}

/**
 * The pieces of a list of URLs in one string (separated by commas, spaces, newlines, `;` or `|`) that start
 * like a URL; none when the value has no separator.
 */
function urlPieces(s: string): string[] {
  if (!/[,\s;|]/.test(s.trim())) return [];
  return s.split(/[,\s;|]+/).filter((p) => p !== "" && p !== s && looksLikeUrl(p));
}

/**
 * A URL argument (a URL key, a `format: uri` schema field, or any value that starts like a URL):
 * - a `file:` URL is a path (read as Node, WHATWG and Python read it); under a URL key that expects a network
 *   URL it also trips the `file-url` guard;
 * - a URL: every reading a client could make (WHATWG, Python's urlsplit), each host judged;
 * - not a URL, yet under a URL key: a path there is still a path (`{"uri": "/etc/passwd"}` opens a file on many
 *   servers; `//host/x` is also a host to a client that adds a scheme), and anything else is a bare host, as
 *   fetch tools that add `https://` read it (`localhost:3000/x`, `//evil.com`).
 * Only a value under a key that is both a URL key and a path key (`fileUrl`), that is neither a URL nor starts
 * like a path, is left to the readers after this one.
 *
 * Corpus: `tests/decision/cases/url-parsers/`, `tests/decision/cases/file-uri/`.
 */
export const urlReader: Reader = {
  id: "url",
  corpus: ["url-parsers", "file-uri"],
  matches: (s, at) => isUrlKey(at) || looksLikeUrl(s),
  read(s, at, out) {
    const urlKey = isUrlKey(at);
    if (/^file:/i.test(normalizedStart(urlText(s.trim())))) {
      if (urlKey && !(at.call.uriIsPath || at.k.endsWith("uri")) && at.hint !== "path") out.fileUrl(at);
      out.path(s, at);
      return "done";
    }
    if (looksLikeUrl(s)) {
      out.url(s, at, false);
      // `https://a/,https://b/` or one URL a line: a server that splits the value fetches each.
      for (const piece of urlPieces(s)) {
        out.count();
        out.url(piece, at, false);
      }
      return "done";
    }
    const pathKey = PATH_KEYS.has(at.k) || isPathLikeKey(at.k) || at.hint === "path";
    const t = urlText(s.trim());
    if (looksLikePath(s)) {
      out.path(s, at);
      // `//host/x`, `\\host\share`, `\/host`: a path to some, a host to a client that adds a scheme.
      if (!pathKey && /^[\\/]{2}/.test(t) && !hostTooLong(s)) out.url(s, at, true);
      return "done";
    }
    if (pathKey) return "next";
    if (hostTooLong(s)) return "done";
    // `mailto:`, `urn:`, `data:`: a scheme, read by WHATWG (a host of "" when it has none); `host:port` and
    // anything without a colon: a bare host.
    const scheme = /^[a-z][a-z0-9+.-]*:/i.test(t) && !HOST_PORT_REGEXP.test(t);
    out.url(s, at, !scheme);
    return "done";
  },
};
