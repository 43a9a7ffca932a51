import { addCounts, batchLines, type CheckCounts, noCounts } from "./_check_calls.ts";
import type { CheckWorkerBatch, CheckWorkerInit, CheckWorkerReply } from "./_check_worker.ts";

/** Bytes per batch: large enough that a message costs little beside the work, small enough to share out. */
const BATCH_BYTES = 256 * 1024;
/** Batches in flight per worker: one being judged, one waiting, so a worker never idles between them. */
const IN_FLIGHT_PER_WORKER = 2;

/** What a pooled run returns. */
export interface PoolResult {
  /** Lines read (blank ones included, as line numbers count them). */
  lines: number;
  counts: CheckCounts;
}

/** Options for {@link checkInPool}. */
export interface PoolOptions {
  /** The policy and options every worker compiles. */
  init: Omit<CheckWorkerInit, "kind">;
  /** Worker threads to start beside this one. */
  workers: number;
  /** Judges lines in this thread: the same `checkLines` the workers run, with this thread's judge. */
  judgeHere: (lines: string[], firstLine: number, counts: CheckCounts) => string;
  /** Where output goes, in input order. */
  write: (text: string) => void;
  /**
   * False: judge here only when no worker could start, else wait for a worker (tests use it to make sure
   * the workers judge). Default true.
   */
  judgeHereToo?: boolean;
}

/**
 * Judges the lines of a `--calls` file in this thread and on Deno workers started beside it. The file is
 * cut into batches of whole lines; each goes to a worker that has room, or is judged here when none has
 * (a worker is only given batches once it has loaded the code and compiled the policy, so a small file is
 * done here before the workers are ready, and a run whose workers cannot start at all is simply done
 * here). Each batch's output is written as soon as it and every batch before it are done, so the output
 * keeps the input's order and never waits in memory for the whole file; reading waits while every worker
 * is full.
 *
 * @param source the file's bytes
 * @param opts see {@link PoolOptions}
 * @returns the line count and verdict counts
 * @throws {Error} when a worker fails after it started (the output is then incomplete; nothing is guessed)
 */
export async function checkInPool(source: AsyncIterable<Uint8Array>, opts: PoolOptions): Promise<PoolResult> {
  const counts = noCounts();
  const done = new Map<number, string>();
  let nextToWrite = 0;
  const finish = (seq: number, out: string) => {
    done.set(seq, out);
    for (let o = done.get(nextToWrite); o !== undefined; o = done.get(nextToWrite)) {
      done.delete(nextToWrite++);
      if (o) opts.write(o);
    }
  };
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const wakeUp = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let inFlight = 0;
  const workers = startWorkers(opts.workers, { kind: "init", ...opts.init }, {
    onDone: (m) => {
      inFlight--;
      addCounts(counts, m.counts);
      finish(m.seq, m.out);
      wakeUp();
    },
    onFailure: (message) => {
      failure ??= new Error(`a check worker failed: ${message}`);
      wakeUp();
    },
    onChange: wakeUp,
  });
  let seq = 0;
  let lineCount = 0;
  let firstLine = 1;
  const hereToo = opts.judgeHereToo ?? true;
  const dispatch = async (bytes: Uint8Array) => {
    if (failure) throw failure;
    let lines = 1;
    for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) lines++;
    const free = () => workers.find((w) => w.ready && w.busy < IN_FLIGHT_PER_WORKER);
    let w = free();
    while (!w && !hereToo && !failure && workers.some((w) => !w.dead)) {
      await new Promise<void>((r) => (wake = r));
      w = free();
    }
    if (failure) throw failure;
    if (w) {
      w.busy++;
      inFlight++;
      const msg: CheckWorkerBatch = { kind: "batch", seq: seq++, firstLine, bytes };
      w.worker.postMessage(msg, [bytes.buffer as ArrayBuffer]);
    } else {
      const here = noCounts();
      const out = opts.judgeHere(batchLines(bytes, firstLine === 1), firstLine, here);
      addCounts(counts, here);
      finish(seq++, out);
    }
    firstLine += lines;
    lineCount += lines;
  };
  try {
    // Bytes not sent yet: whole lines go out in batches, cut at a newline (a UTF-8 character boundary).
    let held: Uint8Array[] = [];
    let heldBytes = 0;
    for await (const chunk of source) {
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < BATCH_BYTES) continue;
      const nl = chunk.lastIndexOf(10);
      if (nl === -1) continue; // a line longer than a batch: read on until it ends
      const all = concat(held, heldBytes);
      const cut = heldBytes - chunk.length + nl;
      held = [all.slice(cut + 1)];
      heldBytes = held[0]!.length;
      await dispatch(all.subarray(0, cut));
      // Let finished batches be written (and workers start) before judging more here.
      await new Promise<void>((r) => setTimeout(r, 0));
    }
    // What follows the last newline is a last line (readLines keeps it); a final newline ends no line.
    if (heldBytes > 0) {
      const all = concat(held, heldBytes);
      await dispatch(all[all.length - 1] === 10 ? all.subarray(0, all.length - 1) : all);
    }
    while (inFlight > 0 && !failure) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
    return { lines: lineCount, counts };
  } finally {
    for (const w of workers) w.worker.terminate();
  }
}

interface PoolWorker {
  worker: Worker;
  /** Compiled the policy: may be given batches. */
  ready: boolean;
  /** Failed to start: never will be. */
  dead: boolean;
  busy: number;
}

/** Starts `n` workers; each becomes `ready` once it has compiled the policy. One that cannot start is left out. */
function startWorkers(
  n: number,
  init: CheckWorkerInit,
  on: {
    onDone: (m: Extract<CheckWorkerReply, { kind: "done" }>) => void;
    onFailure: (message: string) => void;
    onChange: () => void;
  },
): PoolWorker[] {
  const pool: PoolWorker[] = [];
  for (let i = 0; i < n; i++) {
    let worker: Worker;
    try {
      worker = new Worker(new URL("./_check_worker.ts", import.meta.url).href, { type: "module" });
    } catch {
      break; // no workers here (e.g. a compiled binary without the worker module): this thread does it all
    }
    const w: PoolWorker = { worker, ready: false, dead: false, busy: 0 };
    worker.onmessage = (e: MessageEvent<CheckWorkerReply>) => {
      const m = e.data;
      if (m.kind === "ready") {
        w.ready = true;
        on.onChange();
      } else if (m.kind === "done") {
        w.busy--;
        on.onDone(m);
      } else if (w.ready) on.onFailure(m.message);
      else {
        // A worker that fails before it is ready was never given work: this thread does its share.
        w.dead = true;
        on.onChange();
      }
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      if (w.ready) on.onFailure(e.message);
      w.ready = false;
      w.dead = true;
      on.onChange();
    };
    worker.postMessage(init);
    pool.push(w);
  }
  return pool;
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  const only = parts[0]!;
  if (parts.length === 1 && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength) return only;
  const out = new Uint8Array(length);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
