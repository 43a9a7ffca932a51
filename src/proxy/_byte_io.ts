import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, fstatSync } from "node:fs";
import net from "node:net";
import process from "node:process";
import type { Readable, Writable } from "node:stream";
import { sliceEnd } from "./json_pieces.ts";

/**
 * Bytes coming in. `run` calls `onChunk` for every chunk read, each a buffer nobody writes to again, and
 * resolves at end of stream (or on an error, which counts as the end).
 */
export interface ByteSource {
  /** Reads until the end. */
  run(onChunk: (chunk: Uint8Array) => void): Promise<void>;
  /** Stops reading; `run` resolves. */
  cancel(): void;
  /** Stops delivering chunks until `resume` (backpressure); a no-op where the source cannot pause. */
  pause(): void;
  /** Delivers chunks again. */
  resume(): void;
}

/** Bytes going out, written in order; a failed write (the peer went away) closes the sink quietly. */
export interface ByteSink {
  /** Queues bytes, or text written as UTF-8; returns false once the sink is closed. */
  write(data: Uint8Array | string): boolean;
  /** Ends the stream after what is queued; resolves when done or failed. */
  close(): Promise<void>;
  /**
   * Bytes written but not yet taken by the peer (text still waiting to be sliced counts its UTF-16 units; 0
   * where unknown).
   */
  backlog(): number;
  /** Calls `fn` once when the backlog has drained. */
  onDrain(fn: () => void): void;
}

/** How long closing a stream waits for a peer that does not read before dropping what is left. */
const CLOSE_WAIT_MS = 5000;

/**
 * A hand-off a web stream may carry under this key, for a peer in the same process (the gateway and the proxy
 * of one of its sessions): {@link streamSource} and {@link streamSink} then pass chunks by a call, without the
 * promises and queues a web stream takes per chunk (measured: about 18 µs of the gateway's CPU per call). A
 * stream read or written the usual way works as before.
 */
export const DIRECT_BYTES: unique symbol = Symbol("agentperms.directBytes");

/** The hand-off of a ReadableStream that carries {@link DIRECT_BYTES}. */
export interface DirectSource {
  /**
   * Delivers every chunk (first those that came before) to `onChunk`, each in its own microtask as a stream
   * read would, and calls `onEnd` once at the end. Called at most once; the stream is never read then.
   */
  attach(onChunk: (chunk: Uint8Array) => void, onEnd: () => void): void;
  /** The reader stops: no more chunks; `onEnd` is called. */
  cancel(): void;
}

/** The hand-off of a WritableStream that carries {@link DIRECT_BYTES}. */
export interface DirectSink {
  /** Takes one chunk (the caller never writes to it again). */
  write(chunk: Uint8Array): void;
  /** The end of the output. */
  close(): void;
}

/** A web ReadableStream as a source (tests; stdin that is a terminal or a file; a gateway session). */
export function streamSource(stream: ReadableStream<Uint8Array>): ByteSource {
  const direct = (stream as { [DIRECT_BYTES]?: DirectSource })[DIRECT_BYTES];
  if (direct) {
    let attached = false;
    return {
      run(onChunk) {
        if (attached) return Promise.resolve();
        attached = true;
        return new Promise<void>((resolve) => direct.attach(onChunk, resolve));
      },
      cancel: () => direct.cancel(),
      pause() {},
      resume() {},
    };
  }
  const reader = stream.getReader();
  return {
    async run(onChunk) {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          onChunk(value);
        }
      } catch {
        // a stream error is the end of the stream
      } finally {
        reader.releaseLock();
      }
    },
    cancel() {
      reader.cancel().catch(() => {});
    },
    pause() {},
    resume() {},
  };
}

/** A web WritableStream as a sink. */
export function streamSink(stream: WritableStream<Uint8Array>): ByteSink {
  const direct = (stream as { [DIRECT_BYTES]?: DirectSink })[DIRECT_BYTES];
  let open = true;
  const enc = new TextEncoder();
  if (direct) {
    return {
      write(data) {
        if (!open) return false;
        direct.write(typeof data === "string" ? enc.encode(data) : data);
        return true;
      },
      close() {
        if (open) direct.close();
        open = false;
        return Promise.resolve();
      },
      backlog: () => 0,
      onDrain: (fn) => queueMicrotask(fn),
    };
  }
  const writer = stream.getWriter();
  return {
    write(data) {
      if (!open) return false;
      writer.write(typeof data === "string" ? enc.encode(data) : data).catch(() => {
        open = false;
      });
      return true;
    },
    async close() {
      open = false;
      await writer.close().catch(() => {});
    },
    backlog: () => 0,
    onDrain: (fn) => queueMicrotask(fn),
  };
}

/** A Node readable (a socket on fd 0, a child's stdout) as a source. */
function nodeSource(r: Readable): ByteSource {
  let finish: (() => void) | undefined;
  return {
    run(onChunk) {
      return new Promise<void>((resolve) => {
        finish = resolve;
        r.on("data", (chunk: Uint8Array) => onChunk(chunk));
        r.once("end", resolve);
        r.once("close", resolve);
        r.once("error", () => resolve());
      });
    },
    cancel() {
      r.destroy();
      finish?.();
    },
    pause: () => void r.pause(),
    resume: () => void r.resume(),
  };
}

/**
 * Items longer than this are written a slice at a time, each once the one before has been taken by the peer:
 * Deno's node streams copy what they are given, so a 10 MB answer written at once was held twice more (its
 * bytes and the stream's copy; its text, its UTF-8 and the copy for a string).
 */
const SLICE = 1024 * 1024;

/**
 * Splits an item into slices to write: views of bytes, or text encoded a slice at a time (never cut inside a
 * surrogate pair, so the bytes are those of the whole text encoded at once). Each slice comes with how much of
 * `item.length` it took (bytes, or UTF-16 units of a text).
 * @param item bytes or text
 * @param size the slice length, in the units of `item.length`
 * @returns the slices, made as they are asked for
 */
export function* slicesOf(item: Uint8Array | string, size: number = SLICE): Generator<[Uint8Array, number]> {
  if (typeof item !== "string") {
    for (let i = 0; i < item.length; i += size) {
      yield [item.subarray(i, i + size), Math.min(size, item.length - i)];
    }
    return;
  }
  const enc = new TextEncoder();
  for (let i = 0; i < item.length;) {
    const end = sliceEnd(item, i, size);
    yield [enc.encode(item.slice(i, end)), end - i];
    i = end;
  }
}

/**
 * A Node writable (a socket on fd 1, a child's stdin) as a sink. `exited` tells whether the reading side is
 * already gone: then `close` does not wait for an end that never completes. Small writes go straight to the
 * stream; text and bytes over {@link SLICE} are written in slices, and what is written meanwhile waits its turn.
 */
function nodeSink(w: Writable, exited: () => boolean = () => false): ByteSink {
  let open = true; // accepting writes
  let failed = false; // the peer went away
  w.on("error", () => {
    failed = true; // EPIPE: the peer is gone; the exit paths answer what is pending
  });
  w.once("close", () => {
    failed = true;
    settle();
  });
  const enc = new TextEncoder();
  const waiting: (Uint8Array | string)[] = [];
  let waitingSize = 0;
  let slicing = false;
  let slicingLeft = 0;
  let idle: (() => void)[] = [];
  const gone = () => failed || w.destroyed;
  /** What the peer has not taken yet, in item.length units. */
  const pending = () => (gone() ? 0 : w.writableLength + waitingSize + slicingLeft);
  // Called when slicing ends: the next waiting items go out; waiters run once nothing is left to slice.
  const settle = () => {
    slicing = false;
    slicingLeft = 0;
    while (!slicing && waiting.length > 0 && !gone()) {
      const item = waiting.shift()!;
      waitingSize -= item.length;
      put(item);
    }
    if (gone()) {
      waiting.length = 0;
      waitingSize = 0;
    }
    if (slicing) return;
    const fns = idle;
    idle = [];
    for (const fn of fns) fn();
  };
  const put = (item: Uint8Array | string) => {
    if (item.length <= SLICE) {
      w.write(typeof item === "string" ? enc.encode(item) : item);
      return;
    }
    slicing = true;
    // Counted like waitingSize: in item.length units (bytes, or UTF-16 units of a text).
    slicingLeft = item.length;
    const slices = slicesOf(item);
    const next = () => {
      if (gone()) return settle();
      const r = slices.next();
      if (r.done) return settle();
      const [bytes, taken] = r.value;
      slicingLeft -= taken;
      w.write(bytes, (e) => {
        if (e) failed = true;
        next();
      });
    };
    next();
  };
  /** Runs fn once nothing waits to be sliced (at once when nothing does). */
  const whenIdle = (fn: () => void) => {
    if (!slicing && waiting.length === 0) fn();
    else idle.push(fn);
  };
  return {
    write(data) {
      if (!open || gone()) return false;
      if (slicing) {
        waiting.push(data);
        waitingSize += data.length;
      } else put(data);
      return true;
    },
    close() {
      open = false;
      return new Promise<void>((resolve) => {
        // A peer that never reads again would keep the slices and end() pending forever: give up once
        // CLOSE_WAIT_MS pass without it taking anything. Progress is seen when a write completes, so a reader
        // slower than one 1 MiB slice per CLOSE_WAIT_MS still loses the rest.
        let left = Infinity;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const watch = () => {
          const now = pending();
          if (now >= left) {
            w.destroy();
            resolve();
            return;
          }
          left = now;
          timer = setTimeout(watch, CLOSE_WAIT_MS);
        };
        watch();
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        whenIdle(() => {
          if (w.destroyed || w.writableFinished || exited() || failed) {
            w.destroy();
            done();
            return;
          }
          w.once("error", done);
          w.once("close", done);
          w.end(done);
        });
      });
    },
    backlog: pending,
    onDrain(fn) {
      // A peer that went away never drains: release the waiter on close or error as well.
      let done = false;
      const once = () => {
        if (done) return;
        done = true;
        w.off("close", once);
        w.off("error", once);
        w.off("drain", onStreamDrain);
        fn();
      };
      // Node emits "drain" only after a write that returned false, so bytes still queued below the high-water
      // mark (the small lines written after a large one) would never bring one (review: the proxy then
      // stopped reading for good); and it emits one between two slices of a large item, which is not drained
      // either (second review). So: drained = nothing waits to be sliced and node needs no drain.
      const check = () => {
        if (done) return;
        if (!w.writableNeedDrain || gone()) once();
        else w.once("drain", onStreamDrain);
      };
      const onStreamDrain = () => whenIdle(check);
      w.once("close", once);
      w.once("error", once);
      whenIdle(check);
    },
  };
}

/** What {@link canPoll} needs to know of a file descriptor (`fstat`). */
export interface FdStat {
  isFIFO(): boolean;
  isSocket(): boolean;
  dev: number;
  ino: number;
}

/**
 * Whether a stdio fd can be read or written as a `node:net` socket: it must be a pipe or a socket (files and
 * terminals cannot be polled), and not the same pipe as stderr. A socket makes its pipe non-blocking, and
 * stderr is shared with the server (`2>&1` gives fds 1 and 2 one pipe): its writes could then fail with
 * EAGAIN.
 * @param fd the descriptor's stat
 * @param stderr stderr's stat, when it has one
 * @returns true to use a socket
 */
export function canPoll(fd: FdStat, stderr: FdStat | undefined): boolean {
  if (!fd.isFIFO() && !fd.isSocket()) return false;
  return !(stderr && stderr.dev === fd.dev && stderr.ino === fd.ino);
}

function pollable(fd: number): boolean {
  try {
    let stderr: FdStat | undefined;
    try {
      stderr = fstatSync(2);
    } catch {
      stderr = undefined;
    }
    return canPoll(fstatSync(fd), stderr);
  } catch {
    return false;
  }
}

/**
 * This process's stdin as a source. A pipe or socket is read as a `node:net` socket, polled on the main
 * thread; `Deno.stdin.readable` would hand every read to a thread pool and back (two thread hops per message,
 * measured +0.03 ms per round trip); a terminal or a file falls back to it.
 */
export function stdinSource(): ByteSource {
  if (Deno.build.os !== "windows" && pollable(0)) {
    return nodeSource(new net.Socket({ fd: 0, readable: true, writable: false }));
  }
  return streamSource(Deno.stdin.readable);
}

/** This process's stdout as a sink: a `node:net` socket when it is a pipe or socket (see {@link stdinSource}). */
export function stdoutSink(): ByteSink {
  if (Deno.build.os !== "windows" && pollable(1)) {
    return nodeSink(new net.Socket({ fd: 1, readable: false, writable: true }));
  }
  return streamSink(Deno.stdout.writable);
}

/** What the server was started with. */
export interface ServerSpawn {
  command: string;
  args: string[];
  /** Environment to set (added to the inherited one unless `clearEnv`). */
  env?: Record<string, string>;
  clearEnv?: boolean;
  cwd?: string;
  /**
   * bubblewrap's `--info-fd 3`: the launcher is bwrap, which does not pass signals on. The child's pid is
   * read from fd 3, and signals go to the processes bwrap started inside the sandbox instead.
   */
  sandboxInfoFd?: 3;
}

/** A started server: its stdio as a sink and a source, its exit, and signals. */
export interface ServerProcess {
  pid: number;
  stdin: ByteSink;
  stdout: ByteSource;
  /** Resolves when the server exits: its code, or the signal that ended it. */
  status: Promise<{ code: number; signal: string | null }>;
  /** Sends a signal; never throws (the server may be gone). */
  kill(signal: Deno.Signal): void;
  /** The last few KiB the server wrote to stderr (which also passes through to this process's stderr). */
  stderrTail(): string;
}

/** How much of a server's stderr is kept to explain an early exit. */
const STDERR_TAIL_BYTES = 4096;

/**
 * Starts the server with `node:child_process`: its pipes are polled on the main thread (Deno.Command's stdin
 * and stdout streams cost about 60 µs more CPU per call, measured). Stderr passes through, and its tail is kept.
 * @param s the command, arguments, environment and working directory
 * @returns the running server
 * @throws {Deno.errors.NotFound} when the command does not exist
 * @throws {Deno.errors.PermissionDenied} when it cannot be executed
 */
export async function spawnServer(s: ServerSpawn): Promise<ServerProcess> {
  // node reports a missing working directory as ENOENT, like a missing command: say which it is.
  if (s.cwd !== undefined && !existsSync(s.cwd)) {
    throw new Deno.errors.NotFound(`the working directory "${s.cwd}" does not exist`);
  }
  const env = s.clearEnv ? { ...(s.env ?? {}) } : { ...Deno.env.toObject(), ...(s.env ?? {}) };
  const c: ChildProcess = spawn(s.command, s.args, {
    env,
    cwd: s.cwd,
    stdio: s.sandboxInfoFd ? ["pipe", "pipe", "pipe", "pipe"] : ["pipe", "pipe", "pipe"],
  });
  let sandboxPid: number | undefined;
  if (s.sandboxInfoFd) {
    let info = "";
    const fd3 = c.stdio[3] as Readable | null;
    fd3?.on("data", (chunk: Uint8Array) => {
      info += new TextDecoder().decode(chunk);
      const m = /"child-pid"\s*:\s*(\d+)/.exec(info);
      if (m) sandboxPid = Number(m[1]);
    });
    fd3?.on("error", () => {});
  }
  // The server's stderr passes through to ours; its last lines are kept to explain an early exit.
  const tail: Uint8Array[] = [];
  let tailBytes = 0;
  c.stderr!.on("data", (chunk: Uint8Array) => {
    process.stderr.write(chunk);
    tail.push(chunk);
    tailBytes += chunk.length;
    while (tailBytes > STDERR_TAIL_BYTES && tail.length > 1) tailBytes -= tail.shift()!.length;
  });
  const status = new Promise<{ code: number; signal: string | null }>((resolve) => {
    c.once("exit", (code, signal) => resolve({ code: code ?? 1, signal: signal ?? null }));
  });
  await new Promise<void>((resolve, reject) => {
    c.once("spawn", resolve);
    c.once("error", (e: NodeJS.ErrnoException) => {
      const message = `${s.command}: ${e.message}`;
      reject(
        e.code === "ENOENT"
          ? new Deno.errors.NotFound(message)
          : e.code === "EACCES"
          ? new Deno.errors.PermissionDenied(message)
          : e,
      );
    });
  });
  c.on("error", () => {}); // after the start, errors (a failed kill) surface through exit and the pipes
  const exited = () => c.exitCode !== null || c.signalCode !== null;
  return {
    pid: c.pid!,
    stdin: nodeSink(c.stdin!, exited),
    stdout: nodeSource(c.stdout!),
    status,
    stderrTail() {
      const joined = new Uint8Array(tailBytes);
      let at = 0;
      for (const t of tail) {
        joined.set(t, at);
        at += t.length;
      }
      const all = new TextDecoder().decode(joined);
      return all.slice(-STDERR_TAIL_BYTES);
    },
    kill(signal) {
      try {
        // Not c.kill(): Deno's node:child_process then reports the exit as caused by that signal even when the
        // server caught it and exited with its own code (checked with Deno 2.9.6).
        if (exited()) return;
        // In a sandbox, bwrap passes no signal on: signal what runs under its init instead, deepest first (the
        // server, then a tracer such as strace in record mode). Nothing there yet: bwrap itself, which takes
        // the sandbox down with it.
        const inner = sandboxPid === undefined ? [] : descendantsOf(sandboxPid);
        if (inner.length === 0) Deno.kill(c.pid!, signal);
        for (const pid of inner.reverse()) {
          try {
            Deno.kill(pid, signal);
          } catch {
            // gone meanwhile
          }
        }
      } catch {
        // gone
      }
    },
  };
}

function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  for (let i = 0, queue = childrenOf(pid); i < queue.length && i < 256; i++) {
    out.push(queue[i]!);
    queue.push(...childrenOf(queue[i]!));
  }
  return out;
}

function childrenOf(pid: number): number[] {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/).filter((x) => x)
      .map(Number);
  } catch {
    return [];
  }
}
