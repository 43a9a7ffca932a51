import { isUtf8 } from "node:buffer";
/** Default per-message size cap: 64 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** One framed line, or a line that was too long and was dropped. */
export type Frame =
  | { kind: "line"; bytes: Uint8Array }
  | {
    kind: "oversize";
    size: number;
    /** The first and last bytes of the dropped line (up to 256 each), to find its id and answer it. */
    head?: Uint8Array;
    tail?: Uint8Array;
  };

const EDGE = 256;

/**
 * Splits a byte stream into NDJSON lines on `\n` only (never `\r`, never JSON-aware reassembly), with a
 * size cap: a line longer than `maxBytes` is dropped whole (its bytes are not kept) and reported as
 * `oversize`, so a huge or endless line cannot exhaust memory.
 */
export class LineSplitter {
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  #skipping = false;
  #skipped = 0;
  #head: Uint8Array | undefined;
  #tail: Uint8Array | undefined;
  readonly #max: number;
  readonly #fresh: boolean;
  readonly #onLongLine: (() => void) | undefined;
  readonly #longLineBytes: number;

  /**
   * @param maxBytes the largest line accepted, without its newline
   * @param opts `freshChunks`: every chunk pushed is a buffer nobody writes to again (Deno's stdin and child
   * stdout streams hand out a new buffer per read), so partial lines are kept without copying: a 10 MB line
   * then costs its chunks and one joined copy, not three copies. `onLongLine`: called once per line when the
   * part of it read so far first reaches `longLineBytes` (default 4 MiB), before the rest arrives
   */
  constructor(
    maxBytes: number = DEFAULT_MAX_MESSAGE_BYTES,
    opts: { freshChunks?: boolean; onLongLine?: () => void; longLineBytes?: number } = {},
  ) {
    this.#max = maxBytes;
    this.#fresh = opts.freshChunks ?? false;
    this.#onLongLine = opts.onLongLine;
    this.#longLineBytes = opts.longLineBytes ?? 4 * 1024 * 1024;
  }

  /**
   * Feeds one chunk and calls `emit` for every complete line in it.
   * @param chunk bytes as read
   * @param emit receives each frame in order
   */
  push(chunk: Uint8Array, emit: (f: Frame) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.#skipping) {
        this.#skipped += piece.length;
        this.#keepTail(piece);
      } else if (this.#partBytes + piece.length > this.#max) {
        this.#skipping = true;
        this.#skipped = this.#partBytes + piece.length;
        const first = this.#parts[0] ?? piece;
        this.#head = (first.length >= EDGE ? first : concat([...this.#parts, piece])).slice(0, EDGE);
        this.#tail = undefined;
        this.#keepTail(piece);
        this.#parts = [];
        this.#partBytes = 0;
      } else if (nl !== -1 && this.#parts.length === 0) {
        // Fast path: the whole line is inside this chunk; no copy.
        emit({ kind: "line", bytes: piece });
        start = nl + 1;
        continue;
      } else {
        // Copy unless the chunks are fresh: a reader may reuse its buffer for the next chunk.
        this.#parts.push(this.#fresh ? piece : piece.slice());
        const before = this.#partBytes;
        this.#partBytes += piece.length;
        if (before < this.#longLineBytes && this.#partBytes >= this.#longLineBytes) this.#onLongLine?.();
      }
      if (nl === -1) return;
      this.#finishLine(emit);
      start = nl + 1;
    }
  }

  #keepTail(piece: Uint8Array): void {
    if (piece.length >= EDGE) this.#tail = piece.slice(piece.length - EDGE);
    else {
      const joined = this.#tail ? concat([this.#tail, piece]) : piece.slice();
      this.#tail = joined.length > EDGE ? joined.slice(joined.length - EDGE) : joined;
    }
  }

  /**
   * Ends the stream: a final line without a newline is still delivered.
   * @param emit receives the last frame, if any
   */
  end(emit: (f: Frame) => void): void {
    if (this.#skipping || this.#parts.length > 0) this.#finishLine(emit);
  }

  #finishLine(emit: (f: Frame) => void): void {
    if (this.#skipping) {
      emit({ kind: "oversize", size: this.#skipped, head: this.#head, tail: this.#tail });
      this.#skipping = false;
      this.#skipped = 0;
      this.#head = this.#tail = undefined;
      return;
    }
    // Built in a helper, not held in a local here: the chunks and the joined bytes must not stay reachable
    // from this frame while a multi-megabyte line is handled (the session frees them before parsing).
    emit({ kind: "line", bytes: this.#takeLine() });
  }

  #takeLine(): Uint8Array {
    const parts = this.#parts;
    this.#parts = [];
    this.#partBytes = 0;
    return parts.length === 1 ? parts[0]! : concat(parts);
  }
}

/**
 * Joins byte arrays into one new array.
 * @param parts in order
 * @returns their bytes, copied
 */
export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The outcome of parsing one line. */
export type ParsedFrame =
  | { ok: true; value: unknown }
  | { ok: false; empty: true }
  | { ok: false; empty?: false; error: string; code: -32700 | -32600 };

const DECODER = new TextDecoder("utf-8", { ignoreBOM: true });
const EMPTY = new Uint8Array(0);

/**
 * Decodes UTF-8 that must be valid. `isUtf8` checks without copying, then a non-fatal decoder decodes: for
 * valid input that is what a fatal decoder returns, and Deno's fatal decoder passes through a UTF-16 copy (a
 * 10 MB line cost 20 MB more at its peak and 4 times the time).
 * @param bytes the bytes
 * @returns the text, or undefined when the bytes are not valid UTF-8
 */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  return isUtf8(bytes) ? DECODER.decode(bytes) : undefined;
}

/**
 * Takes a line's text out of its frame: the frame's bytes are replaced by an empty array, so that once the
 * caller collects garbage, a multi-megabyte line is held only as text.
 * @param f a line frame; its bytes are gone afterwards
 * @returns the text, or undefined when the line is not valid UTF-8
 */
export function takeLineText(f: Extract<Frame, { kind: "line" }>): string | undefined {
  const text = decodeUtf8(f.bytes);
  f.bytes = EMPTY;
  return text;
}

/**
 * Parses one NDJSON line exactly once: UTF-8 must be valid, the JSON must be valid, no object may hold the
 * same key twice (`JSON.parse` keeps the last one, a server may keep the first, so the proxy and the server
 * could see different calls), and every key must be read as written (see `checkKeys`: V8 can misread an
 * escaped one-character key). Blank lines are reported as empty.
 *
 * @param bytes the line without its newline
 * @returns the parsed value, or why it was rejected
 */
export function parseFrame(bytes: Uint8Array): ParsedFrame {
  const text = decodeUtf8(bytes);
  return text === undefined ? notUtf8() : parseFrameText(text);
}

/** @returns the parse error for a line that is not valid UTF-8 */
export function notUtf8(): ParsedFrame {
  return { ok: false, error: "the message is not valid UTF-8", code: -32700 };
}

/**
 * Like {@link parseFrame}, for text that is already decoded.
 * @param text one line
 * @returns the parsed value, or why it was rejected
 */
export function parseFrameText(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    if (text.trim() === "") return { ok: false, empty: true };
    return { ok: false, error: `invalid JSON: ${(e as Error).message}`, code: -32700 };
  }
  if (value !== null && typeof value === "object") {
    const problem = checkKeys(text, value);
    if (problem !== undefined) return { ok: false, error: problem, code: -32700 };
  }
  return { ok: true, value };
}

/**
 * Checks that the parsed value holds exactly the keys the text spells out: no object repeats a key, and
 * every key was read as written. The second is not a given: V8 15.0 (Deno 2.9.6) reads a one-character key
 * written with an escape (`"\u0061"`, `"\""`) as `"\\"` once some object of the same shape had that key, so
 * JSON.parse can return a key the sender never wrote. Keys without escapes are read right (a differential
 * test against a JavaScript parser found no difference over 19,000 such texts), so for them counting is
 * enough, with nothing built: each key becomes one own property unless an object repeats it. Texts with an
 * escaped key compare every decoded key, each decoded on its own (a lone string literal is not affected).
 * @returns why the message is rejected, or undefined
 */
function checkKeys(text: string, value: object): string | undefined {
  // No backslash at all (most messages): no key is escaped, and every quote delimits a string, so counting
  // the quotes followed by a colon counts every key (and the opening quote of a value that starts with a
  // colon, which can only raise the count). Equal to the parsed keys, then, means no key is repeated.
  const plain = text.indexOf("\\") === -1;
  const tokens = plain ? undefined : scanKeys(text, false);
  if (!tokens?.escaped) {
    if ((tokens ? tokens.count : countQuoteColons(text)) === countOwnKeys(value)) return undefined;
    const dup = findDuplicateKey(text);
    return dup === undefined ? undefined : `duplicate key "${dup}" in one object`;
  }
  const dup = findDuplicateKey(text);
  if (dup !== undefined) return `duplicate key "${dup}" in one object`;
  const written = new Map<string, number>();
  for (const k of scanKeys(text, true).keys!) written.set(k, (written.get(k) ?? 0) + 1);
  let unwritten: string | undefined;
  countOwnKeys(value, (k) => {
    const n = written.get(k);
    if (n === undefined) unwritten ??= k;
    else if (n === 1) written.delete(k);
    else written.set(k, n - 1);
  });
  if (unwritten !== undefined) {
    return `the JSON parser read a key the message does not hold (${
      JSON.stringify(unwritten)
    }); a message with escaped keys that cannot be read reliably is rejected`;
  }
  if (written.size > 0) {
    return `the JSON parser lost the key ${
      JSON.stringify(written.keys().next().value)
    }; a message with escaped keys that cannot be read reliably is rejected`;
  }
  return undefined;
}

/**
 * Scans the object keys written in valid JSON text: in JSON, a string followed by `:` is always a key.
 * @param text valid JSON
 * @param decode also return every key, decoded
 * @returns how many keys it spells out (repeats included), whether any is written with an escape, and with
 * `decode` the keys
 */
function scanKeys(
  text: string,
  decode: boolean,
): { count: number; escaped: boolean; keys?: string[] } {
  let count = 0;
  let escaped = false;
  const keys: string[] | undefined = decode ? [] : undefined;
  let i = text.indexOf('"');
  while (i !== -1) {
    const end = closingQuote(text, i);
    if (end === -1) break; // not valid JSON; the caller checked already
    let k = end + 1;
    while (k < text.length && text.charCodeAt(k) <= 32) k++;
    if (text.charCodeAt(k) === COLON) {
      count++;
      if (!escaped) {
        // Each key's own characters only: a search past its end could cross the whole text for every key.
        for (let c = i + 1; c < end; c++) {
          if (text.charCodeAt(c) === BACKSLASH) {
            escaped = true;
            break;
          }
        }
      }
      if (keys) keys.push(JSON.parse(text.slice(i, end + 1)) as string);
    }
    i = text.indexOf('"', end + 1);
  }
  return { count, escaped, keys };
}

/** Quotes followed by JSON white space and a colon, in text without a backslash. */
function countQuoteColons(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) {
    let k = i + 1;
    let c = text.charCodeAt(k);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(++k);
    if (c === COLON) n++;
  }
  return n;
}

/** The index of the quote that closes the string opening at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  let j = text.indexOf('"', open + 1);
  while (j !== -1 && text.charCodeAt(j - 1) === BACKSLASH) {
    let bs = 1;
    while (text.charCodeAt(j - 1 - bs) === BACKSLASH) bs++;
    if (bs % 2 === 0) break;
    j = text.indexOf('"', j + 1);
  }
  return j;
}

/** Containers still to visit in {@link countOwnKeys}: kept between calls, so a message allocates nothing. */
const VISIT: object[] = [];

/**
 * Counts the own keys of every object inside a parsed JSON value, without recursion (nesting has no limit).
 * @param value what `JSON.parse` returned
 * @param onKey called with each key, repeats across objects included
 * @returns the number of keys, over all its objects
 */
function countOwnKeys(value: object, onKey?: (key: string) => void): number {
  let n = 0;
  const base = VISIT.length;
  VISIT.push(value);
  try {
    while (VISIT.length > base) {
      const v = VISIT.pop()!;
      if (Array.isArray(v)) {
        for (const x of v) if (x !== null && typeof x === "object") VISIT.push(x);
        continue;
      }
      // Own keys only (JSON.parse makes a "__proto__" key an own property): an enumerable property someone
      // added to Object.prototype must not make up for a repeated key.
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        n++;
        onKey?.(k);
        const x = (v as Record<string, unknown>)[k];
        if (x !== null && typeof x === "object") VISIT.push(x);
      }
    }
  } finally {
    VISIT.length = base;
  }
  return n;
}

const QUOTE = 34, BACKSLASH = 92, LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93, COLON = 58;

const ID_AT_START_REGEXP = /^\s*\{(?:[^{}]*?,)?\s*"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")/;
const ID_AT_END_REGEXP = /[{,]\s*"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")\s*\}\s*$/;

/**
 * Guesses the JSON-RPC id of a line too large to parse, from its first and last bytes (where serializers put
 * `"id"` at the top level: first for most clients, last for the MCP SDK). Used only to answer the dropped
 * message, never to judge it.
 * @param f an oversize frame
 * @returns the id, or undefined when it cannot be seen
 */
export function oversizeId(f: Extract<Frame, { kind: "oversize" }>): string | number | undefined {
  const dec = new TextDecoder();
  const tryParse = (m: RegExpExecArray | null) => {
    if (!m) return undefined;
    try {
      const v = JSON.parse(m[1]!);
      return typeof v === "string" || typeof v === "number" ? v : undefined;
    } catch {
      return undefined;
    }
  };
  return (f.head ? tryParse(ID_AT_START_REGEXP.exec(dec.decode(f.head))) : undefined) ??
    (f.tail ? tryParse(ID_AT_END_REGEXP.exec(dec.decode(f.tail))) : undefined);
}

/**
 * Finds the first key that appears twice in the same JSON object. Assumes `text` is valid JSON (call it
 * after `JSON.parse` succeeded). Keys are compared after unescaping, so `"a"` and `"\u0061"` collide.
 *
 * @param text valid JSON
 * @returns the duplicated key, or undefined
 */
export function findDuplicateKey(text: string): string | undefined {
  // One entry per open container: an array of keys for an object (a Set once it grows), null for an array.
  const stack: (string[] | Set<string> | null)[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const j = closingQuote(text, i);
      if (j === -1) return undefined; // not valid JSON; the caller checked already
      const top = stack.length > 0 ? stack[stack.length - 1]! : null;
      if (top !== null) {
        // Inside an object: a string followed by ':' is a key.
        let k = j + 1;
        while (k < n && text.charCodeAt(k) <= 32) k++;
        if (text.charCodeAt(k) === COLON) {
          let key = text.slice(i + 1, j);
          if (key.includes("\\")) key = JSON.parse(`"${key}"`) as string;
          if (Array.isArray(top)) {
            if (top.includes(key)) return key;
            top.push(key);
            if (top.length > 16) stack[stack.length - 1] = new Set(top);
          } else {
            if (top.has(key)) return key;
            top.add(key);
          }
        }
      }
      i = j + 1;
      continue;
    }
    if (c === LBRACE) stack.push([]);
    else if (c === LBRACKET) stack.push(null);
    else if (c === RBRACE || c === RBRACKET) stack.pop();
    i++;
  }
  return undefined;
}
