/** Strings at least this long are written in pieces of this many characters. */
const LONG_CHARS = 64 * 1024;

// What JSON.stringify escapes in a string: quote, backslash, control characters and (unpaired) surrogates.
// deno-lint-ignore no-control-regex
const MAY_NEED_ESCAPE_REGEXP = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * Where a slice of text starting at `start` should end: `size` characters on, or one less (one more when the
 * slice is one character) so that a surrogate pair is never cut in two.
 * @param s the text
 * @param start where the slice starts
 * @param size the slice's length in UTF-16 units
 * @returns the end index (exclusive)
 */
export function sliceEnd(s: string, start: number, size: number): number {
  const end = Math.min(s.length, start + size);
  const high = s.charCodeAt(end - 1), low = s.charCodeAt(end);
  if (end >= s.length || high < 0xd800 || high > 0xdbff || low < 0xdc00 || low > 0xdfff) return end;
  return end - 1 > start ? end - 1 : end + 1;
}

/**
 * `JSON.stringify(value)` as pieces whose concatenation is exactly that text, for a value holding
 * multi-megabyte strings. V8's `JSON.stringify` of a 10 MB string holds about twice its size while it builds
 * the result; here a long string that needs no escaping is not copied at all (the writer slices it), and one
 * that does is escaped a slice at a time, never cutting a surrogate pair (escaping is per character
 * otherwise, so the slices escape to the same text). Everything else goes through `JSON.stringify` itself.
 *
 * Made for values that came out of `JSON.parse` (plain objects and arrays, no `toJSON`); object keys are
 * taken in `Object.keys` order, which is the order `JSON.stringify` uses.
 *
 * @param value a parsed JSON value
 * @param longChars strings this long or longer are cut into pieces of this size
 * @returns the pieces, in order
 * @example
 * ```ts
 * import { jsonPieces } from "./json_pieces.ts";
 * const v = { id: 1, text: "x".repeat(100_000) + "\n" };
 * if (jsonPieces(v).join("") !== JSON.stringify(v)) throw new Error("differs");
 * ```
 */
export function jsonPieces(value: unknown, longChars: number = LONG_CHARS): string[] {
  const out: string[] = [];
  let cur = "";
  const longString = (s: string) => {
    if (cur !== "") out.push(cur);
    cur = "";
    if (!MAY_NEED_ESCAPE_REGEXP.test(s)) {
      out.push('"', s, '"');
      return;
    }
    out.push('"');
    for (let i = 0; i < s.length;) {
      const end = sliceEnd(s, i, longChars);
      out.push(JSON.stringify(s.slice(i, end)).slice(1, -1));
      i = end;
    }
    cur = '"';
  };
  const walk = (v: unknown): void => {
    if (typeof v === "string" && v.length >= longChars) longString(v);
    else if (v === null || typeof v !== "object") cur += JSON.stringify(v) ?? "null";
    else if (Array.isArray(v)) {
      cur += "[";
      for (let i = 0; i < v.length; i++) {
        if (i > 0) cur += ",";
        walk(v[i]);
      }
      cur += "]";
    } else {
      cur += "{";
      let first = true;
      for (const k of Object.keys(v)) {
        const e = (v as Record<string, unknown>)[k];
        if (e === undefined || typeof e === "function" || typeof e === "symbol") continue;
        cur += first ? JSON.stringify(k) + ":" : "," + JSON.stringify(k) + ":";
        first = false;
        walk(e);
      }
      cur += "}";
    }
  };
  walk(value);
  if (cur !== "") out.push(cur);
  return out;
}
