/**
 * The line-oriented edges shared by the stdio transports (the stdio server runner and the HTTP bridge's
 * client side): a pump from bytes to frames and a coalescing line outbox. Private to the proxy folder.
 * @module
 */
import type { ByteSink, ByteSource } from "./_byte_io.ts";
import { concat, type Frame, LineSplitter } from "./framing.ts";

/**
 * Reads `source` until it ends and hands each line (or oversize report) to `onFrame`.
 * @param source the byte source
 * @param max the per-message cap in bytes
 * @param onFrame called with each frame
 * @param onLongLine called when a line passes 4 MiB while it arrives (optional)
 */
export async function pump(
  source: ByteSource,
  max: number,
  onFrame: (f: Frame) => void,
  onLongLine?: () => void,
): Promise<void> {
  // Every source hands out a new buffer per read (checked for Deno's streams, node:net and child pipes), so
  // lines need no copy.
  const splitter = new LineSplitter(max, { freshChunks: true, onLongLine });
  await source.run((chunk) => splitter.push(chunk, onFrame));
  splitter.end(onFrame);
}

/** A line sink that coalesces the lines queued in one turn of the event loop into one write. */
export interface Outbox {
  /** Queues one line: text, bytes, or the pieces of one text (written one after the other, no copy). */
  (line: string | Uint8Array | string[]): void;
  /** Flushes what is queued and closes the stream (errors ignored: the peer may be gone). */
  close(): Promise<void>;
}

const NEWLINE = new Uint8Array([10]);
/** Raw lines shorter than this are copied into the batch's one write buffer; longer ones are written as is. */
const COPY_BELOW_BYTES = 64 * 1024;

/**
 * A line sink over `sink` that coalesces the lines queued in one turn into one write.
 * @param sink where the bytes go
 * @param beforeWrite called before each write (the router's trace lines are written first: write-ahead)
 * @param afterWrite called after each write (backpressure)
 * @returns the sink
 */
export function outbox(sink: ByteSink, beforeWrite: () => void, afterWrite: () => void): Outbox {
  const enc = new TextEncoder();
  let queued: (string | Uint8Array | string[])[] = [];
  let allText = true; // and all shorter than COPY_BELOW_BYTES
  let scheduled = false;
  let open = true;
  const flush = () => {
    scheduled = false;
    if (!open || queued.length === 0) return;
    beforeWrite();
    const out: (Uint8Array | string)[] = [];
    if (allText) out.push(enc.encode((queued as string[]).join("\n") + "\n"));
    else {
      // Mixed, or a large line: small pieces are copied into one buffer; a large line (a server's
      // multi-megabyte answer, a large call) goes to the sink as it is, bytes or text, which writes it in
      // slices: joining or encoding it whole would copy it.
      let small: Uint8Array[] = [];
      const flushSmall = () => {
        if (small.length === 0) return;
        out.push(concat(small));
        small = [];
      };
      const put = (q: string | Uint8Array) => {
        if (q.length < COPY_BELOW_BYTES) small.push(typeof q === "string" ? enc.encode(q) : q);
        else {
          flushSmall();
          out.push(q);
        }
      };
      for (const q of queued) {
        if (Array.isArray(q)) q.forEach(put);
        else put(q);
        small.push(NEWLINE);
      }
      flushSmall();
    }
    queued = [];
    allText = true;
    for (const chunk of out) {
      if (!sink.write(chunk)) open = false;
    }
    afterWrite();
  };
  const send = ((line: string | Uint8Array | string[]) => {
    if (!open) return;
    queued.push(line);
    if (typeof line !== "string" || line.length >= COPY_BELOW_BYTES) allText = false;
    if (!scheduled) {
      scheduled = true;
      queueMicrotask(flush);
    }
  }) as Outbox;
  send.close = async () => {
    flush();
    open = false;
    await sink.close();
  };
  return send;
}
