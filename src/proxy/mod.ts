/**
 * The proxy: NDJSON framing; the transport-independent router (`ProxySession`: every verdict from `decide()`)
 * with its trace recorder, approvals and request book; and the transports around it (`runProxy` for a stdio
 * server, `runBridge` for a remote one over Streamable HTTP or legacy SSE, both used by `agentperms proxy`).
 *
 * @example
 * ```ts
 * import { ProxySession } from "./mod.ts";
 * import { compilePolicy, parsePolicy } from "../policy/mod.ts";
 * import { MemoryTraceSink } from "../trace/mod.ts";
 *
 * const { policy } = parsePolicy("version: 1\nservers:\n  fs:\n    denied_paths: [~/.ssh]\n", { file: "p.yaml" });
 * const toClient: string[] = [];
 * const toServer: string[] = [];
 * const session = new ProxySession({
 *   mode: "enforce",
 *   server: "fs",
 *   policy: compilePolicy(policy, { baseDir: "/proj", home: "/home/me" }),
 *   cwd: "/proj",
 *   home: "/home/me",
 *   sessionId: "doc",
 *   trace: new MemoryTraceSink(),
 *   redact: (value) => ({ value, fired: [] }),
 *   toClient: (l) => void toClient.push(String(l)),
 *   toServer: (l) => void toServer.push(l),
 *   diag: () => {},
 *   realpath: () => undefined,
 * });
 * const line = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read","arguments":{"path":"~/.ssh/id_rsa"}}}';
 * session.onClientFrame({ kind: "line", bytes: new TextEncoder().encode(line) });
 * if (toServer.length !== 0 || !toClient[0]!.includes("AgentPerms blocked this call")) throw new Error("not blocked");
 * session.flushTrace();
 * ```
 * @module
 */
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  type Frame,
  LineSplitter,
  oversizeId,
  type ParsedFrame,
  parseFrame,
  parseFrameText,
} from "./framing.ts";
export {
  type ContainmentDetectFn,
  type LockCheckFn,
  type ProxyMode,
  ProxySession,
  type ProxySessionOptions,
} from "./proxy_session.ts";
export {
  type RedactFn,
  type RedactionHit,
  TraceRecorder,
  type TraceRecorderOptions,
} from "./trace_recorder.ts";
export { Approvals, type ApprovalsOptions, type AskOptions, type Outcome } from "./approvals.ts";
export {
  type Batch,
  BLOCKED_CODE,
  blockedReply,
  type BlockedReplyOptions,
  type Pending,
  RequestBook,
  type RequestBookOptions,
} from "./request_book.ts";
export { type LaunchSpec, runProxy, type RunProxyOptions } from "./run_proxy.ts";
export { runBridge, type RunBridgeOptions } from "./run_bridge.ts";
export {
  describeRemote,
  type HttpTransport,
  HttpUpstream,
  type HttpUpstreamOptions,
} from "./http_upstream.ts";
export { parseHeaderArgs } from "./header_args.ts";
export { openDevTty, type TtyAnswer, TtyPrompter, type TtyStreams } from "./tty_prompter.ts";
export { buildRedactFn } from "./redact_fn.ts";
export { returnLargeFreesToSystem } from "./_release_memory.ts";
export { refuseSession, type RefuseSessionOptions } from "./refuse_session.ts";
export {
  Gateway,
  GATEWAY_PROTOCOL_VERSIONS,
  type GatewayBackend,
  type GatewayOptions,
  type GatewayStreams,
} from "./gateway.ts";
export { gatewayTokenPath, loadGatewayToken } from "./gateway_token.ts";
