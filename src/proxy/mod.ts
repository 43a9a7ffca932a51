/**
 * The stdio proxy: NDJSON framing, the per-message session logic (every verdict from `decide()`), approvals
 * and the process runner.
 * @module
 */
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  findDuplicateKey,
  type Frame,
  LineSplitter,
  type ParsedFrame,
  parseFrame,
  parseFrameText,
} from "./framing.ts";
export {
  BLOCKED_CODE,
  type ContainmentDetectFn,
  type LockCheckFn,
  type ProxyMode,
  ProxySession,
  type ProxySessionOptions,
  type RedactFn,
  type RedactionHit,
} from "./proxy_session.ts";
export { type LaunchSpec, runProxy, type RunProxyOptions } from "./run_proxy.ts";
export { openDevTty, type TtyAnswer, TtyPrompter, type TtyStreams } from "./tty_prompter.ts";
export { buildRedactFn } from "./redact_fn.ts";
