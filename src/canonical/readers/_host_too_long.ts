import { urlText } from "../resolve_url.ts";

/** Longer than any host a resolver accepts (253 characters, or an IDN's percent-encoded or Unicode form). */
const MAX_HOST_CHARS = 2048;

/**
 * True when the part of a value before any `/ \\ ? #` is too long to be a host: parsing 5 MB of text as a host
 * percent-encodes all of it (about 0.9 s), and no host is that long. Measured as a URL parser reads it: C0
 * controls at the ends and tabs and newlines inside do not count.
 * @param s a value read as a host
 * @returns whether it is skipped
 */
export function hostTooLong(s: string): boolean {
  const t = urlText(s.trim());
  const h = /[\t\n\r]/.test(t) ? t.replace(/[\t\n\r]/g, "") : t;
  const hostEnd = h.replace(/^[\\/]+/, "").search(/[/\\?#]/);
  return (hostEnd === -1 ? h.length : hostEnd) > MAX_HOST_CHARS;
}
