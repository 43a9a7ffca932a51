import { createHash } from "node:crypto";
import { sliceEnd } from "./json_pieces.ts";

/** Strings are fed to the hash in slices of this many UTF-16 units (no multi-megabyte copy). */
const SLICE_CHARS = 64 * 1024;

// The first sha256 of a process loads Deno's node:crypto internals, and that load runs pending microtasks: in
// the proxy, an answer queued for the client would leave before its trace line (write-ahead broken). Loading
// them here, at import, keeps the first call's hash free of that side effect. Each hash then starts as a copy
// of this empty one: 1.9 µs against 2.6 µs for createHash (the proxy hashes every answer it traces).
const EMPTY_SHA256 = createHash("sha256");
createHash("sha256").update("").digest();

/** How many hex digits of the sha256 a trace keeps (64 bits: enough to tell two results apart). */
export const RESULT_HASH_HEX = 16;

/**
 * The sha256 of a parsed JSON value's canonical (RFC 8785) text, as `canonicalize()` writes it: object keys
 * sorted by UTF-16 code units, strings and numbers as `JSON.stringify` writes them, `undefined` members left
 * out. The text is fed to the hash in pieces instead of built whole, so hashing a result of many megabytes
 * costs no copy of it (the proxy hashes every answer it traces).
 *
 * Made for values that came out of `JSON.parse` (plain objects and arrays, no `toJSON`). Where `canonicalize()`
 * throws (a lone surrogate, which RFC 8785 forbids) this hashes `JSON.stringify`'s escaped form instead: a
 * server's answer is always hashed.
 *
 * @param value a parsed JSON value
 * @param opts `hexChars`: how many hex digits to return (default all 64)
 * @returns the hash, lower-case hex
 * @example
 * ```ts
 * import canonicalize from "canonicalize";
 * import { createHash } from "node:crypto";
 * import { hashCanonical } from "./hash_canonical.ts";
 * const v = { b: [1, "x"], a: null };
 * const want = createHash("sha256").update(canonicalize(v)!).digest("hex");
 * if (hashCanonical(v) !== want) throw new Error("differs");
 * ```
 */
export function hashCanonical(value: unknown, opts: { hexChars?: number } = {}): string {
  const h = EMPTY_SHA256.copy();
  // Small pieces are gathered into one string per update: a call into the hash per comma costs more than it.
  let buf = "";
  feed((piece) => {
    buf += piece;
    if (buf.length >= SLICE_CHARS) {
      h.update(buf);
      buf = "";
    }
  }, value);
  h.update(buf);
  const hex = h.digest("hex");
  return opts.hexChars === undefined ? hex : hex.slice(0, opts.hexChars);
}

type Frame =
  | { arr: unknown[]; i: number }
  | { obj: Record<string, unknown>; keys: string[]; i: number; first: boolean };

/** Gives the canonical text of `value` to `put` in pieces, depth-first with its own stack (a deep value cannot overflow). */
function feed(put: (piece: string) => void, value: unknown): void {
  const stack: Frame[] = [];
  // Writes a primitive, or opens a container and pushes its frame.
  const enter = (v: unknown) => {
    if (typeof v === "string") feedString(put, v);
    else if (v === null || typeof v !== "object") put(JSON.stringify(v) ?? "null");
    else if (Array.isArray(v)) {
      put("[");
      stack.push({ arr: v, i: 0 });
    } else {
      put("{");
      const obj = v as Record<string, unknown>;
      stack.push({ obj, keys: Object.keys(obj).sort(), i: 0, first: true });
    }
  };
  enter(value);
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if ("arr" in f) {
      if (f.i < f.arr.length) {
        if (f.i > 0) put(",");
        const e = f.arr[f.i++];
        // As JSON.stringify (and canonicalize) write them: a hole or undefined element is null.
        enter(e === undefined ? null : e);
        continue;
      }
      put("]");
    } else {
      let k: string | undefined;
      while (f.i < f.keys.length && k === undefined) {
        const key = f.keys[f.i++]!;
        if (f.obj[key] !== undefined) k = key;
      }
      if (k !== undefined) {
        put(f.first ? JSON.stringify(k) + ":" : "," + JSON.stringify(k) + ":");
        f.first = false;
        enter(f.obj[k]);
        continue;
      }
      put("}");
    }
    stack.pop();
  }
}

function feedString(put: (piece: string) => void, s: string): void {
  if (s.length < SLICE_CHARS) {
    put(JSON.stringify(s));
    return;
  }
  // Escaping is per character (and per surrogate pair), so escaped slices join to the escaped whole.
  put('"');
  for (let i = 0; i < s.length;) {
    const end = sliceEnd(s, i, SLICE_CHARS);
    put(JSON.stringify(s.slice(i, end)).slice(1, -1));
    i = end;
  }
  put('"');
}
