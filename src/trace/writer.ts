import { join } from "node:path";
import { AgentPermsError } from "../errors.ts";
import type { TraceEventV1 } from "./schema.ts";

/**
 * The default trace directory: `$XDG_STATE_HOME/agentperms/traces`, else `~/.local/state/agentperms/traces`.
 * Never the working directory (GUI clients start servers in `/`).
 * @param env reads one environment variable
 * @returns an absolute directory
 */
export function defaultTraceDir(env: (name: string) => string | undefined): string {
  const xdg = env("XDG_STATE_HOME");
  if (xdg && xdg.startsWith("/")) return join(xdg, "agentperms", "traces");
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) {
    throw new AgentPermsError(
      "usage",
      "Cannot find a trace directory: neither XDG_STATE_HOME nor HOME is set",
      {
        hint: "Pass --trace-dir DIR",
      },
    );
  }
  return join(home, ".local", "state", "agentperms", "traces");
}

/** Anything that accepts trace events (the file writer, or a list in tests). */
export interface TraceSink {
  /** Appends one event. Never throws. */
  write(event: TraceEventV1): void;
  /** Writes what `write` queued, now (the proxy calls it before passing a message on). */
  flush?(): void;
  /**
   * Resolves once every line written so far is on the disk itself (fsync), not only in the file: true, or
   * false when the fsync failed (told to `onError`). A sink without a disk resolves true at once.
   */
  durable?(): Promise<boolean>;
  /** Closes the sink. */
  close(): void;
}

/** Options for {@link TraceWriter.open}. */
export interface TraceWriterOptions {
  /** Told once when a write or an fsync fails (the proxy keeps serving). */
  onError?: (message: string) => void;
  /** The directory is the default one: set it to 0700 even when it exists. */
  ownDir?: boolean;
  /**
   * "group" (default): after each batch is written, fsync the file, one fsync for every batch written while
   * the previous one ran (group commit), off the event loop; {@link TraceWriter.durable} waits for it.
   * "none": the lines go to the kernel only (they survive the process, not the machine).
   */
  sync?: "group" | "none";
  /** The fsync to run (tests count calls). Default: `file.syncData()` (fdatasync). */
  fsync?: (file: Deno.FsFile) => Promise<void>;
}

/**
 * How long after a write its fsync may wait, so that the writes of a burst (or of calls one after another)
 * share one fsync: each costs 150-175 us of CPU in the thread that runs it, and 50-180 us of the main thread
 * (starting the op and taking its result; measured with the event loop busy), wherever it runs: handing it
 * to a worker costs the main thread as much (a wake-up per fsync; 13-20 ms and an isolate per writer to
 * start one). 50 ms, not 5: the gateway's sequential calls (~1 ms each) paid 0.23-0.27 fsyncs per call at
 * 5 ms and 0.025 at 50 (gateway CPU per call 0.04-0.19 ms lower, same runs). What this changes: a line is
 * in the file before the message it records is passed on, as before (a killed proxy loses nothing); only a
 * crash of the machine itself (power, kernel) may lose the lines of the last 50 ms plus one fsync, instead
 * of 5 ms.
 */
export const COMMIT_DELAY_MS = 50;

/**
 * Appends trace events to one JSONL file per proxy process: mode 0600, opened with O_APPEND. Events are
 * written as whole lines, one `write` call per batch (the events of one turn of the event loop, or what the
 * proxy flushes before it passes a message on), so a killed process leaves at most a torn last line and
 * concurrent proxies never interleave inside a line.
 *
 * The write is synchronous and comes first (write-ahead: the proxy flushes before it passes a message on, so
 * a call's line is in the file before the server sees the call, whatever happens to the proxy). Surviving
 * the machine takes an fsync, which costs milliseconds: it runs off the event loop, and one fsync covers
 * every batch written while the previous fsync ran (group commit: a burst of 64 calls costs one or two
 * fsyncs, not 64). Whoever must not go on before a line is on the disk awaits {@link TraceWriter.durable}.
 */
export class TraceWriter implements TraceSink {
  /** The file being written. */
  readonly path: string;
  #file: Deno.FsFile | undefined;
  #enc = new TextEncoder();
  #buf = new Uint8Array(16 * 1024);
  #onError: (message: string) => void;
  #failed = false;
  #queue: TraceEventV1[] = [];
  #scheduled = false;
  #fsync: ((file: Deno.FsFile) => Promise<void>) | undefined;
  /** Batches written so far, and how many of them an fsync has covered. */
  #written = 0;
  #synced = 0;
  /** The fsync running now and the batches it covers. */
  #syncing: Promise<boolean> | undefined;
  #syncingCovers = 0;
  /** Waiters for the fsync after the running one (they wrote after it started). */
  #next: { promise: Promise<boolean>; resolve: (ok: boolean | Promise<boolean>) => void } | undefined;
  #syncFailed = false;
  /** The delayed group-commit fsync, when one is scheduled. */
  #commitTimer: ReturnType<typeof setTimeout> | undefined;
  /** fsyncs started, for tests and benches. */
  fsyncs = 0;

  private constructor(
    path: string,
    file: Deno.FsFile,
    onError: (message: string) => void,
    fsync: ((file: Deno.FsFile) => Promise<void>) | undefined,
  ) {
    this.path = path;
    this.#file = file;
    this.#onError = onError;
    this.#fsync = fsync;
  }

  /**
   * Creates the directory (0700, with any missing parents) and the file (0600). A directory that exists keeps
   * its mode (it may be the user's, given with `--trace-dir`) unless `ownDir` says it is AgentPerms' own.
   * @param dir the trace directory
   * @param name the file name (e.g. `<time>-<server>-<session>.jsonl`)
   * @param opts see {@link TraceWriterOptions}
   * @returns the writer
   * @throws {AgentPermsError} io_failed when the directory or file cannot be created
   */
  static open(dir: string, name: string, opts: TraceWriterOptions = {}): TraceWriter {
    const path = join(dir, name);
    try {
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (opts.ownDir && Deno.build.os !== "windows") Deno.chmodSync(dir, 0o700);
      const file = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
      // mode applies only when the file is created; enforce it for an existing file too.
      if (Deno.build.os !== "windows") Deno.chmodSync(path, 0o600);
      const fsync = opts.sync === "none" ? undefined : opts.fsync ?? ((f: Deno.FsFile) => f.syncData());
      return new TraceWriter(path, file, opts.onError ?? (() => {}), fsync);
    } catch (e) {
      throw new AgentPermsError("io_failed", `Cannot open trace file "${path}": ${(e as Error).message}`, {
        cause: e,
        hint: "Pass --trace-dir with a writable directory",
      });
    }
  }

  /**
   * Queues one event; the queue is written before the process returns to the event loop (a microtask), as
   * whole lines in one `write`, after the message that caused it has been passed on.
   */
  write(event: TraceEventV1): void {
    if (!this.#file) return;
    this.#queue.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Writes every queued event now. */
  flush(): void {
    this.#scheduled = false;
    if (!this.#file || this.#queue.length === 0) return;
    const lines = this.#queue.map((event) => {
      try {
        return JSON.stringify(event) + "\n";
      } catch (e) {
        return JSON.stringify({
          v: 1,
          kind: "malformed",
          time: event.time,
          sessionId: event.sessionId,
          server: event.server,
          mode: event.mode,
          detail: `trace event could not be serialized: ${(e as Error).message}`,
        }) + "\n";
      }
    });
    this.#queue = [];
    const bytes = this.#encode(lines.length === 1 ? lines[0]! : lines.join(""));
    try {
      // One write for whole lines; a short write (disk full) is completed so no line is left torn.
      let off = this.#file.writeSync(bytes);
      while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
    } catch (e) {
      if (!this.#failed) this.#onError(`cannot write trace "${this.path}": ${(e as Error).message}`);
      this.#failed = true;
      return;
    }
    this.#written++;
    // The fsync starts at most COMMIT_DELAY_MS later (or at once for whoever awaits durable()), so sequential
    // calls share one instead of paying one each; the line itself is already in the file.
    if (this.#fsync && this.#commitTimer === undefined) {
      const timer = setTimeout(() => {
        this.#commitTimer = undefined;
        void this.durable();
      }, COMMIT_DELAY_MS);
      Deno.unrefTimer(timer as unknown as number);
      this.#commitTimer = timer;
    }
  }

  /**
   * Waits until every line written so far is on the disk (group commit): joins the running fsync when it
   * was started after the last write, else the one that starts when the running one ends, shared by every
   * writer that arrives meanwhile. Never rejects.
   * @returns true once on the disk (or when nothing needs to be); false when an fsync failed or the writer
   * does not sync (`sync: "none"`) and lines were written
   */
  durable(): Promise<boolean> {
    const target = this.#written;
    if (target <= this.#synced) return Promise.resolve(true);
    if (!this.#fsync || !this.#file) return Promise.resolve(false);
    if (this.#syncing) {
      if (this.#syncingCovers >= target) return this.#syncing;
      if (!this.#next) {
        let resolve!: (ok: boolean | Promise<boolean>) => void;
        const promise = new Promise<boolean>((r) => (resolve = r));
        this.#next = { promise, resolve };
      }
      return this.#next.promise;
    }
    return this.#startSync();
  }

  #startSync(): Promise<boolean> {
    const file = this.#file;
    const fsync = this.#fsync;
    const covers = this.#written;
    if (!file || !fsync) return Promise.resolve(false);
    this.#syncingCovers = covers;
    this.fsyncs++;
    const run = (async () => {
      try {
        await fsync(file);
        this.#synced = Math.max(this.#synced, covers);
        return true;
      } catch (e) {
        if (this.#file && !this.#syncFailed) {
          this.#onError(`cannot fsync trace "${this.path}": ${(e as Error).message}`);
        }
        this.#syncFailed = true;
        return false;
      }
    })();
    this.#syncing = run.then((ok) => {
      this.#syncing = undefined;
      const next = this.#next;
      this.#next = undefined;
      if (next) next.resolve(this.#startSync());
      return ok;
    });
    return this.#syncing;
  }

  /**
   * UTF-8 of `text` in a buffer kept between writes (a new buffer per write costs more than the write itself:
   * an off-heap allocation, and a slower write of memory the kernel has not seen).
   */
  #encode(text: string): Uint8Array {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (text.length * 3 > this.#buf.length) {
      if (text.length * 3 > KEEP_BUFFER_BYTES) return this.#enc.encode(text);
      this.#buf = new Uint8Array(Math.max(this.#buf.length * 2, text.length * 3));
    }
    const { written } = this.#enc.encodeInto(text, this.#buf);
    return this.#buf.subarray(0, written);
  }

  /** Writes what is queued, fsyncs it (synchronously: the process is ending) and closes the file. */
  close(): void {
    this.flush();
    if (this.#commitTimer !== undefined) clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    if (this.#fsync && this.#file && this.#written > this.#synced) {
      try {
        this.#file.syncDataSync();
        this.#synced = this.#written;
      } catch (e) {
        if (!this.#syncFailed) this.#onError(`cannot fsync trace "${this.path}": ${(e as Error).message}`);
        this.#syncFailed = true;
      }
    }
    const next = this.#next;
    this.#next = undefined;
    next?.resolve(!this.#syncFailed);
    try {
      this.#file?.close();
    } catch {
      // already closed
    }
    this.#file = undefined;
  }
}

/** Batches up to this many bytes are encoded into the writer's kept buffer; larger ones get their own. */
const KEEP_BUFFER_BYTES = 1024 * 1024;

/** A sink that keeps events in memory (tests, the demo). */
export class MemoryTraceSink implements TraceSink {
  /** Events written so far. */
  readonly events: TraceEventV1[] = [];
  /** @inheritdoc */
  write(event: TraceEventV1): void {
    this.events.push(structuredClone(event));
  }
  /** @inheritdoc */
  durable(): Promise<boolean> {
    return Promise.resolve(true);
  }
  /** @inheritdoc */
  close(): void {}
}

/**
 * A trace file name that sorts by time and is unique per process.
 * @param now the start time
 * @param server the server name
 * @param sessionId the session id
 * @returns e.g. `20260101T000000Z-demo-ab12cd34.jsonl`
 */
export function traceFileName(now: Date, server: string, sessionId: string): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const safe = server.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 64) || "server";
  return `${t}-${safe}-${sessionId}.jsonl`;
}
