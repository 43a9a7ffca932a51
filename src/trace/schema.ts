import { z } from "zod";

/** What a trace event records. */
export const TRACE_KINDS = [
  "call", // a client request judged (tools/call, resources/read, prompts/get, completion/complete, others)
  "result", // the answer to a forwarded call: written when it comes, joined to its call by decisionId
  "server-request", // a server → client request (sampling, elicitation, roots/list)
  "tools", // a tools/list result as seen (all pages merged), with annotations: infer uses real tool names
  "drift", // a tool whose identity differs from mcp.lock
  "containment", // the Deno permission layer blocked or recorded something (runtime denial, audit, broker)
  "malformed", // a frame that could not be parsed or was rejected
  "lifecycle", // proxy start/stop, server exit, notes such as "not contained"
] as const;

const DecisionSchema = z.object({
  verdict: z.enum(["allow", "deny", "approve"]),
  ruleIds: z.array(z.string()),
  reason: z.string(),
  decisionId: z.string().optional(),
});

/**
 * One line of a proxy trace file (JSONL, `"v": 1`). Written by the proxy after redaction; read by `infer` and
 * `report`. Unknown extra keys are kept (forward compatible); known keys are typed.
 */
export const TraceEventV1Schema = z.looseObject({
  v: z.literal(1),
  kind: z.enum(TRACE_KINDS),
  /** ISO 8601 time. */
  time: z.string(),
  /** One id per proxy process. */
  sessionId: z.string(),
  /** Server name from the client config / policy. */
  server: z.string(),
  /** "record" or "enforce". */
  mode: z.enum(["record", "enforce"]),
  /** Who sent the message. */
  direction: z.enum(["client", "server"]).optional(),
  /** JSON-RPC method. */
  method: z.string().optional(),
  /** JSON-RPC id as sent (string or number), null for notifications. */
  id: z.union([z.string(), z.number(), z.null()]).optional(),
  /** Tool (or prompt) name. */
  tool: z.string().optional(),
  /** Redacted arguments. */
  arguments: z.unknown().optional(),
  /** Canonical path forms found in the arguments (first form of each path). */
  paths: z.array(z.string()).optional(),
  /** URLs found in the arguments (redacted). */
  urls: z.array(z.string()).optional(),
  /** The server's working directory (relative paths resolve here). */
  cwd: z.string().optional(),
  /** The decision from decide(). */
  decision: DecisionSchema.optional(),
  /** Whether the message was passed on to the server (record mode always forwards). */
  forwarded: z.boolean().optional(),
  /** Human approval, when the verdict was approve. */
  approval: z.object({
    channel: z.enum(["elicitation", "tty", "session", "none"]),
    granted: z.boolean(),
    detail: z.string().optional(),
  }).optional(),
  /** For kind "result": the decision id of the call it answers (same session). */
  decisionId: z.string().optional(),
  /** Round-trip time from the request to the server's response, in milliseconds. */
  latencyMs: z.number().optional(),
  /**
   * What the response was, never what it said: outcome, `isError`, size in bytes, content types and a hash.
   * Only with the proxy's `--trace-results` (and in the original tool's traces) a short redacted `summary`.
   */
  result: z.object({
    outcome: z.enum(["ok", "error", "none"]),
    isError: z.boolean().optional(),
    size: z.number().optional(),
    /** The distinct `content[].type`s (tools/call) or "text"/"blob" per `contents[]` item (resources/read). */
    contentTypes: z.array(z.string()).optional(),
    /** The first 16 hex digits of the sha256 of the result's (or error's) canonical RFC 8785 JSON. */
    sha256: z.string().optional(),
    /** The redacted start of the result text (200 characters): only with `--trace-results`. */
    summary: z.string().optional(),
    /** Set when the runtime permission layer blocked the operation (text matched "Requires … access to"). */
    containment: z.string().optional(),
  }).optional(),
  /** For kind "tools": the tools as listed (name, annotations, description hash). */
  tools: z.array(z.looseObject({ name: z.string(), annotations: z.unknown().optional() })).optional(),
  /**
   * Redaction rule ids that fired, with where (never the values): a JSON pointer into `arguments`, or, after
   * `#`, into the other texts of the event (`#/paths/0`, `#/reason`, `#/summary`, `#/detail`, …).
   */
  redactions: z.array(z.object({ ruleId: z.string(), pointer: z.string() })).optional(),
  /** Free-form detail for lifecycle, drift, containment and malformed events. */
  detail: z.string().optional(),
  // Containment fields (kind "containment"; written by src/sandbox, read by infer and report).
  /**
   * Where a containment event came from: Deno's audit log, the AgentPerms broker, a runtime denial, launch,
   * the OS sandbox's egress proxy (one event per connection attempt), or strace in record mode (`syscall`:
   * the files the server opened or changed, with a count).
   */
  source: z.enum(["audit", "broker", "runtime", "launch", "egress", "syscall"]).optional(),
  /** Deno permission kind: read, write, net, env, run, sys, ffi, import. */
  permission: z.string().optional(),
  /** What was accessed: a path, `host:port` or URL, an env name; null when Deno did not say. */
  value: z.union([z.string(), z.null()]).optional(),
  /** The realpath of `value` when it differs (a symlink), as the broker judged it. */
  resolved: z.string().optional(),
  /** How many identical accesses this event stands for (audit events are folded). */
  count: z.number().optional(),
  /** Audit under an unscoped grant logs a write next to every read: true when this write is not proven. */
  maybeWrite: z.boolean().optional(),
  /** Audit of a contained server: whether Deno's flags granted the access (the audit itself logs attempts). */
  granted: z.boolean().optional(),
});

/** One trace event (format v1). */
export type TraceEventV1 = z.infer<typeof TraceEventV1Schema>;

/**
 * The original Python tool's JSONL trace line (agentperms 0.1.1): `ts` epoch seconds, decision one of
 * allow, deny, require_approval, record.
 */
export const LegacyTraceEventSchema = z.looseObject({
  ts: z.number(),
  server: z.string(),
  tool: z.string(),
  args: z.unknown().optional(),
  result_summary: z.string().optional(),
  decision: z.string().optional(),
});

/** One line of the original's trace format. */
export type LegacyTraceEvent = z.infer<typeof LegacyTraceEventSchema>;
