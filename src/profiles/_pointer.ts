/**
 * JSON pointers (RFC 6901) into tool arguments, with `*` as a wildcard segment for every item of an array or
 * every value of an object (`/files/*\/path`, `/cc/*`). A literal `*` key is written `~2`.
 * @module
 */

/** One value found at a pointer, with the concrete pointer it was found at. */
export interface PointedValue {
  /** The concrete pointer (`/cc/1`). */
  at: string;
  /** The value. */
  value: unknown;
}

/** True when `p` is a pointer this module reads: empty (the whole document) or starting with `/`. */
export function isPointer(p: string): boolean {
  return p === "" || p.startsWith("/");
}

const unescape = (s: string) => s.replace(/~2/g, "*").replace(/~1/g, "/").replace(/~0/g, "~");
const escape = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1").replace(/\*/g, "~2");

// Pointers come from profiles and policies (data) and are read on every call: split and unescaped once
// (bounded all the same).
const SPLIT = new Map<string, { segs: string[]; keys: string[] }>();
function split(pointer: string): { segs: string[]; keys: string[] } {
  let got = SPLIT.get(pointer);
  if (got === undefined) {
    if (SPLIT.size >= 4096) SPLIT.clear();
    const segs = pointer.slice(1).split("/");
    got = { segs, keys: segs.map(unescape) };
    SPLIT.set(pointer, got);
  }
  return got;
}

/**
 * Every value a (wildcard) pointer reaches. A missing key reaches nothing; a wildcard over a non-container
 * reaches nothing.
 * @param doc the arguments
 * @param pointer e.g. `/owner`, `/files/*\/path`
 * @returns the values, in document order
 */
export function resolvePointer(doc: unknown, pointer: string): PointedValue[] {
  if (pointer === "") return [{ at: "", value: doc }];
  const { segs: raw, keys } = split(pointer);
  let cur: PointedValue[] = [{ at: "", value: doc }];
  for (let s = 0; s < raw.length; s++) {
    const seg = raw[s]!;
    const next: PointedValue[] = [];
    for (const { at, value } of cur) {
      if (value === null || typeof value !== "object") continue;
      if (seg === "*") {
        const entries = Array.isArray(value)
          ? value.map((v, i) => [String(i), v] as const)
          : Object.entries(value as Record<string, unknown>);
        for (const [k, v] of entries) next.push({ at: `${at}/${escape(k)}`, value: v });
        continue;
      }
      const key = keys[s]!;
      if (Array.isArray(value)) {
        if (!/^(0|[1-9][0-9]*)$/.test(key) || Number(key) >= value.length) continue;
        next.push({ at: `${at}/${key}`, value: value[Number(key)] });
      } else if (Object.hasOwn(value, key)) {
        next.push({ at: `${at}/${seg}`, value: (value as Record<string, unknown>)[key] });
      }
    }
    cur = next;
  }
  return cur;
}
