import { isUtf8 } from "node:buffer";
import { parseJsonStrict } from "../json/mod.ts";
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
  | {
    ok: true;
    value: unknown;
    /**
     * The line as it was written, when it holds no CR or LF (JSON allows both as white space between tokens):
     * it then reads as the same value under any JSON reader that splits lines, and may be passed on as is.
     * Set by {@link parseFrame} when asked (`keepText`).
     */
    text?: string;
  }
  | { ok: false; empty: true }
  | {
    ok: false;
    empty?: false;
    error: string;
    code: -32700 | -32600;
    /**
     * The request's id when the line parsed far enough to see it (a repeated or misread key): the error
     * answer carries it, so the client waiting for that id is not left hanging.
     */
    id?: string | number | RawJsonId;
  };

/** An id number kept exactly as written (`JSON.rawJSON`), e.g. `9007199254740993`. */
export type RawJsonId = { readonly rawJSON: string };

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
 * Parses one NDJSON line exactly once: UTF-8 must be valid, and the JSON is read by `parseJsonStrict` (no
 * object may hold the same key twice, so the proxy and the server cannot see different calls, and every key
 * must be read as written). Numbers stay exact (an id past 2^53 is forwarded and answered byte for byte).
 * Blank lines are reported as empty; a refused message whose id could be seen reports that id.
 *
 * @param bytes the line without its newline
 * @param opts `keepText`: also return the text when it may be passed on as written (see `ParsedFrame`)
 * @returns the parsed value, or why it was rejected
 */
export function parseFrame(bytes: Uint8Array, opts: { keepText?: boolean } = {}): ParsedFrame {
  const text = decodeUtf8(bytes);
  if (text === undefined) return notUtf8();
  const p = parseFrameText(text);
  if (opts.keepText && p.ok && text.indexOf("\n") === -1 && text.indexOf("\r") === -1) p.text = text;
  return p;
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
  const r = parseJsonStrict(text);
  if (r.ok) return r;
  if (r.problem === "empty") return { ok: false, empty: true };
  // A message that parsed but was refused for its keys is answered with its id (still -32700: the proxy
  // refuses to read it, as it refuses text that is not JSON).
  if (r.id !== undefined) {
    return { ok: false, error: r.error, code: -32700, id: r.id as string | number | RawJsonId };
  }
  return { ok: false, error: r.error, code: -32700 };
}

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
