import { type ByteSource, stdinSource, stdoutSink, streamSink, streamSource } from "./_byte_io.ts";
import { outbox, pump } from "./_line_io.ts";
import { defaultSend } from "./_http_send.ts";
import { releaseMemoryWhenIdle } from "./_release_memory.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, type Frame } from "./framing.ts";
import { describeRemote, type HttpTransport, HttpUpstream } from "./http_upstream.ts";
import { oauthSendWrapperOf } from "./oauth_bridge_fetch.ts";
import { ProxySession, type ProxySessionOptions } from "./proxy_session.ts";

/** Options for {@link runBridge}: the router's options minus the two send functions, plus the remote. */
export interface RunBridgeOptions extends Omit<ProxySessionOptions, "toClient" | "toServer"> {
  /** The remote MCP endpoint. */
  url: URL;
  /** Which HTTP transport the remote speaks (default auto: Streamable HTTP, else legacy HTTP+SSE). */
  transport?: HttpTransport;
  /** Headers for every request to the remote (credentials): never traced or shown. */
  headers?: Record<string, string>;
  /** Bytes from the client (default: this process's stdin). */
  clientIn?: ReadableStream<Uint8Array>;
  /** Bytes to the client (default: this process's stdout). */
  clientOut?: WritableStream<Uint8Array>;
  /** Per-message cap in bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** After client EOF, how long answers still on their way may take, ms (default 2000). */
  graceMs?: number;
  /** End the remote session on SIGINT/SIGTERM/SIGHUP (the CLI sets it). */
  handleSignals?: boolean;
  /**
   * The fetch to use: a test's, or the OAuth layer's (`oauthBridgeFetch`), whose login then goes over the
   * bridge's own HTTP client (`_http_send.ts`: cheaper than fetch where it can be used).
   */
  fetch?: typeof fetch;
  /** Event stream reconnect wait, ms (default 1000). */
  reconnectMs?: number;
}

/**
 * Runs the stdio-to-HTTP bridge: the client talks MCP over stdio to this process, which speaks Streamable
 * HTTP (or legacy HTTP+SSE) to a remote server, through the same router as the stdio proxy: every client
 * message judged, every server request (also inside SSE streams) judged and, when denied, answered upstream by
 * the proxy. Returns when the client closes its stream (0, after DELETE ends the remote session) or the remote
 * ends the session for good (4).
 *
 * @param opts router options, the remote and the client streams
 * @returns the exit code
 */
export async function runBridge(opts: RunBridgeOptions): Promise<number> {
  const clientIn: ByteSource = opts.clientIn ? streamSource(opts.clientIn) : stdinSource();
  const clientOut = opts.clientOut ? streamSink(opts.clientOut) : stdoutSink();
  // Write-ahead, as for stdio: the trace lines for a message are written before it leaves in either direction.
  const toClient = outbox(clientOut, () => session.flushTrace(), () => {});
  const guard = (fn: (f: Frame) => void) => (f: Frame) => {
    try {
      fn(f);
    } catch (e) {
      opts.diag(`[agentperms] internal error while handling a message: ${(e as Error).stack ?? e}`);
    }
  };
  let lost: (why: string) => void = () => {};
  const lostP = new Promise<string>((r) => lost = r);
  const withLogin = oauthSendWrapperOf(opts.fetch);
  const upstream = new HttpUpstream({
    url: opts.url,
    transport: opts.transport,
    headers: opts.headers,
    onFrame: guard((f) => session.onServerFrame(f)),
    isPending: (id) => session.isPending(id),
    onLost: (why) => lost(why),
    diag: opts.diag,
    maxMessageBytes: opts.maxMessageBytes,
    reconnectMs: opts.reconnectMs,
    ...(withLogin ? { send: withLogin(defaultSend(opts.url)) } : { fetch: opts.fetch }),
  });
  const session = new ProxySession({
    ...opts,
    toClient,
    toServer: (line) => {
      session.flushTrace();
      upstream.send(line);
    },
    releaseMemory: opts.releaseMemory ?? (() => releaseMemoryWhenIdle()),
  });
  const names = Object.keys(opts.headers ?? {});
  session.lifecycle(
    `proxy started (${opts.mode}) for "${opts.server}": remote ${describeRemote(opts.url)} (${
      opts.transport ?? "auto"
    })${names.length > 0 ? `, headers ${names.join(", ")} (values not traced)` : ""}`,
  );
  opts.telemetry?.lifecycle("proxy.start", {
    "agentperms.server": opts.server,
    "agentperms.mode": opts.mode,
    "agentperms.transport": opts.transport ?? "auto",
  });
  let stop: (why: string) => void = () => {};
  const stopP = new Promise<string>((r) => stop = r);
  const signals: [Deno.Signal, () => void][] = [];
  if (opts.handleSignals && Deno.build.os !== "windows") {
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      const h = () => stop(`received ${sig}`);
      Deno.addSignalListener(sig, h);
      signals.push([sig, h]);
    }
  }
  const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const clientPump = pump(
    clientIn,
    max,
    guard((f) => session.onClientFrame(f)),
  );
  const ended = await Promise.race([
    clientPump.then(() => ({ eof: true, why: "client closed its stream" })),
    stopP.then((why) => ({ eof: false, why })),
    lostP.then((why) => ({ eof: false, why, lost: true })),
  ]);
  let code = 0;
  if ("lost" in ended) {
    code = 4;
    session.onServerExit(code, ended.why);
  } else {
    session.lifecycle(`${ended.why}; ending the remote session`);
    await upstream.close(opts.graceMs ?? 2000);
    session.onServerExit(0, "the bridge stopped");
  }
  await upstream.close(0);
  for (const [sig, h] of signals) Deno.removeSignalListener(sig, h);
  await toClient.close();
  if (!("eof" in ended && ended.eof)) clientIn.cancel();
  let stopTimer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([clientPump, new Promise((r) => stopTimer = setTimeout(r, 1000))]);
  clearTimeout(stopTimer);
  opts.telemetry?.lifecycle("proxy.stop", { "agentperms.server": opts.server, "process.exit.code": code });
  return code;
}
