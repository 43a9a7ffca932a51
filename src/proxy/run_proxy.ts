import { constants } from "node:os";
import {
  type ByteSink,
  type ByteSource,
  spawnServer,
  stdinSource,
  stdoutSink,
  streamSink,
  streamSource,
} from "./_byte_io.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, type Frame } from "./framing.ts";
import { type Outbox, outbox, pump } from "./_line_io.ts";
import { releaseMemoryWhenIdle } from "./_release_memory.ts";
import { ProxySession, type ProxySessionOptions } from "./proxy_session.ts";

/** How to start the server: what `planLaunch()` (containment) returns, or the argv as given. */
export interface LaunchSpec {
  /** The executable. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Environment to set (added to the inherited one unless `clearEnv`). */
  env?: Record<string, string>;
  /** Start from an empty environment (containment passes an allowlist in `env`). */
  clearEnv?: boolean;
  /** Working directory; default the proxy's. */
  cwd?: string;
  /** The launcher is bubblewrap with `--info-fd 3` (signals then go to the sandboxed server). */
  sandboxInfoFd?: 3;
}

/** Options for {@link runProxy}: the session's options minus the two send functions, plus the plumbing. */
export interface RunProxyOptions extends Omit<ProxySessionOptions, "toClient" | "toServer"> {
  /** The server to start. */
  launch: LaunchSpec;
  /**
   * Bytes from the client. Default: this process's stdin, read as a `node:net` socket when it is a pipe or a
   * socket (polled on the main thread), else through `Deno.stdin.readable`.
   */
  clientIn?: ReadableStream<Uint8Array>;
  /** Bytes to the client. Default: this process's stdout, the same way. */
  clientOut?: WritableStream<Uint8Array>;
  /** Per-message cap in bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** After client EOF, how long the server may take to exit before SIGTERM (then SIGKILL), ms. Default 2000. */
  graceMs?: number;
  /** Forward SIGINT/SIGTERM received by this process to the server (the CLI sets it). */
  forwardSignals?: boolean;
  /** Called once the server is spawned (tests and benchmarks read the pid). */
  onSpawn?: (pid: number) => void;
  /**
   * Explains a server exit before every request was answered (exit code, last stderr lines): the text goes
   * into the errors the client gets and into the trace.
   */
  explainExit?: (code: number, stderrTail: string) => string | undefined;
  /**
   * Record mode never breaks a server: when the (contained) server exits before it wrote a single line,
   * this launch (the command as configured, uncontained) is started instead, once, and the client's
   * messages so far are given to it again. `onFallback` says why, loudly.
   */
  fallback?: { launch: LaunchSpec; onFallback: (why: string) => void };
  /**
   * Work every client message after the first waits for: the proxy's slow-to-load parts (the CLI passes
   * `loadShellParser`), loaded while the client waits for its `initialize` answer instead of before. It starts
   * once the server's first message has gone to the client (or when a second client message arrives, or the
   * client's stream ends); until it settles, client messages after the first are held, in order. A failure is
   * reported on `diag` and the messages then go on: what needed the part fails closed there (a shell command
   * nobody can read is denied).
   */
  beforeCalls?: () => Promise<void>;
}

/**
 * Runs the proxy: starts the server, pumps both directions through a {@link ProxySession}, and returns the
 * server's exit code (128 + signal number when it was killed). Server stderr passes through. When the server
 * exits, pending requests get errors and the client's stream is closed (it sees EOF). When the client closes
 * its stream, the server's stdin is closed and the server is terminated after a grace period.
 *
 * @param opts session options, the launch spec and the client streams
 * @returns the server's exit code
 * @throws {Deno.errors.NotFound} when the server command does not exist
 */
export async function runProxy(opts: RunProxyOptions): Promise<number> {
  let child = await spawnServer(opts.launch);
  opts.onSpawn?.(child.pid);
  const clientIn = opts.clientIn ? streamSource(opts.clientIn) : stdinSource();
  const clientOut = opts.clientOut ? streamSink(opts.clientOut) : stdoutSink();
  // Lines produced while handling one chunk are written together: one encode and one write per batch instead
  // of per message (64 calls in flight arrive in one chunk and leave in one write). Before each write the
  // session's trace lines are written (write-ahead): a message never leaves before its trace line is in the
  // file, so killing the proxy cannot lose the record of a call the server may already be running.
  const beforeWrite = () => session.flushTrace(); // only called once a message is sent, after the next line
  // Backpressure: when a peer stops reading and the bytes waiting for it pass BACKLOG_BYTES, stop reading the
  // side that feeds it (the client for the server's stdin; both sides for the client's stdout, since the
  // proxy answers some requests itself) until it has drained. A flood from either side then waits in the
  // pipes instead of in the proxy's memory.
  const clientValve = valve(clientIn);
  // The server's stdout through a level of indirection: a record-mode fallback replaces the child.
  const serverValve = valve({ pause: () => child.stdout.pause(), resume: () => child.stdout.resume() });
  let toServerNow = outbox(child.stdin, beforeWrite, backpressure(child.stdin, "server", [clientValve]));
  // Until the server has said anything, what the client sent is kept so a fallback server can be given it.
  const early: (string | Uint8Array | string[])[] = [];
  let serverSpoke = false;
  const toServer = ((line: string | Uint8Array | string[]) => {
    if (opts.fallback && !serverSpoke) early.push(line);
    toServerNow(line);
  }) as Outbox;
  toServer.close = () => toServerNow.close();
  const toClient = outbox(
    clientOut,
    beforeWrite,
    backpressure(clientOut, "client", [serverValve, clientValve]),
  );
  const session = new ProxySession({
    ...opts,
    toClient,
    toServer,
    toServerPieces: toServer,
    // After a multi-megabyte message: one full collection once the proxy is idle, not several per message.
    releaseMemory: opts.releaseMemory ?? (() => releaseMemoryWhenIdle()),
  });
  session.lifecycle(
    `proxy started (${opts.mode}) for "${opts.server}": ${opts.launch.command} ${opts.launch.args.join(" ")}`,
  );
  opts.telemetry?.lifecycle("proxy.start", {
    "agentperms.server": opts.server,
    "agentperms.mode": opts.mode,
    "agentperms.transport": "stdio",
  });
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;

  const signals: [Deno.Signal, () => void][] = [];
  if (opts.forwardSignals && Deno.build.os !== "windows") {
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      const h = () => {
        session.lifecycle(`received ${sig}; forwarding to the server`);
        child.kill(sig);
      };
      Deno.addSignalListener(sig, h);
      signals.push([sig, h]);
    }
  }

  const guard = (fn: (f: Frame) => void) => (f: Frame) => {
    try {
      fn(f);
    } catch (e) {
      // A bug must not stop the pump: report it and keep serving.
      opts.diag(`[agentperms] internal error while handling a message: ${(e as Error).stack ?? e}`);
    }
  };
  // The gate of `beforeCalls`: client frames after the first wait here until it settles (undefined: open).
  let held: Frame[] | undefined = opts.beforeCalls ? [] : undefined;
  let clientFrames = 0;
  let gateOpened: Promise<void> | undefined;
  const onClientFrame = guard((f) => session.onClientFrame(f));
  const openGate = (): Promise<void> =>
    gateOpened ??= (async () => {
      try {
        await opts.beforeCalls?.();
      } catch (e) {
        opts.diag(`[agentperms] ${(e as Error).message}`);
      }
      const frames = held ?? [];
      held = undefined;
      for (const f of frames) onClientFrame(f);
    })();
  const onServerFrame = guard((f) => {
    serverSpoke = true;
    early.length = 0;
    session.onServerFrame(f);
    // After the answer's write (a microtask) has left: the client reads it while the rest loads.
    if (held && !gateOpened) setTimeout(openGate, 0);
  });
  let serverPump = pump(child.stdout, max, onServerFrame);
  let clientEof = false;
  let serverExited = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const clientPump = pump(clientIn, max, (f) => {
    if (held && ++clientFrames > 1) {
      held.push(f);
      void openGate();
    } else onClientFrame(f);
  }).then(
    async () => {
      // Held messages reach the server before its stdin is closed.
      if (held) await openGate();
      if (serverExited) return;
      clientEof = true;
      session.lifecycle("client closed its stream; closing the server's stdin");
      await toServer.close();
      const grace = opts.graceMs ?? 2000;
      killTimer = setTimeout(() => {
        session.lifecycle(`server still running ${grace} ms after client EOF; sending SIGTERM`);
        child.kill("SIGTERM");
        killTimer = setTimeout(() => child.kill("SIGKILL"), grace);
      }, grace);
    },
  );

  let status = await child.status;
  if (opts.fallback && !serverSpoke && !clientEof && (status.code !== 0 || status.signal)) {
    const code = status.signal ? 128 + signalNumber(status.signal) : status.code;
    const why = opts.explainExit?.(code, child.stderrTail()) ?? `it exited with code ${code}`;
    opts.fallback.onFallback(why);
    await serverPump;
    child = await spawnServer(opts.fallback.launch);
    opts.onSpawn?.(child.pid);
    toServerNow = outbox(child.stdin, beforeWrite, backpressure(child.stdin, "server", [clientValve]));
    for (const line of early.splice(0)) toServerNow(line);
    serverPump = pump(child.stdout, max, onServerFrame);
    status = await child.status;
  }
  serverExited = true;
  // Deliver whatever the server wrote before it exited, then answer what is left.
  // A grandchild may still hold the server's stdout open: wait a moment for the rest, then stop reading.
  let drainTimer: ReturnType<typeof setTimeout> | undefined;
  const drained = await Promise.race([
    serverPump.then(() => true),
    new Promise<boolean>((r) => drainTimer = setTimeout(() => r(false), 1000)),
  ]);
  clearTimeout(drainTimer);
  if (!drained) {
    child.stdout.cancel();
    await serverPump;
  }
  clearTimeout(killTimer);
  const code = status.signal ? 128 + signalNumber(status.signal) : status.code;
  // A server that stops on its own (not after the client left) is explained: cause and last stderr lines.
  session.onServerExit(
    code,
    clientEof && code === 0 ? undefined : opts.explainExit?.(code, child.stderrTail()),
  );
  for (const [sig, h] of signals) Deno.removeSignalListener(sig, h);
  await toServer.close();
  await toClient.close();
  // The server is gone; stop reading the client so nothing keeps this process alive.
  if (!clientEof) clientIn.cancel();
  // A read that cannot be cancelled (a terminal) must not keep the proxy from exiting.
  let stopTimer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([clientPump, new Promise((r) => stopTimer = setTimeout(r, 1000))]);
  clearTimeout(stopTimer);
  opts.telemetry?.lifecycle("proxy.stop", { "agentperms.server": opts.server, "process.exit.code": code });
  return code;
}

/** Pauses a source while any reason holds it. */
interface Valve {
  hold(reason: string): void;
  release(reason: string): void;
}

function valve(source: Pick<ByteSource, "pause" | "resume">): Valve {
  const holds = new Set<string>();
  return {
    hold(reason) {
      if (holds.size === 0) source.pause();
      holds.add(reason);
    },
    release(reason) {
      if (holds.delete(reason) && holds.size === 0) source.resume();
    },
  };
}

/** After each write to `sink`: over BACKLOG_BYTES waiting, hold the valves until the sink drains. */
function backpressure(sink: ByteSink, name: string, valves: Valve[]): () => void {
  let holding = false;
  return () => {
    if (holding || sink.backlog() < BACKLOG_BYTES) return;
    holding = true;
    for (const v of valves) v.hold(name);
    sink.onDrain(() => {
      holding = false;
      for (const v of valves) v.release(name);
    });
  };
}

/** Bytes waiting for a peer above which the proxy stops reading the side that feeds it. */
const BACKLOG_BYTES = 8 * 1024 * 1024;

function signalNumber(sig: string): number {
  return (constants.signals as Record<string, number>)[sig] ?? 1;
}
