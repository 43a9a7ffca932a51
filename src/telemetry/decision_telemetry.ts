import {
  type Attributes,
  type Counter,
  type Histogram,
  metrics,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  trace,
  TraceFlags,
  type Tracer,
} from "@opentelemetry/api";

/** One decision as telemetry sees it: names and verdicts only, never an argument value or a reason text. */
export interface DecisionRecord {
  /** The policy's name for the server. */
  server: string;
  /** JSON-RPC method (`tools/call`, `resources/read`…). */
  method: string;
  /** Tool or prompt name, when the method has one. */
  tool?: string;
  /** What `decide()` said. */
  verdict: "allow" | "deny" | "approve";
  /** The rules that decided it (`denied_paths[2]`, `guard/metadata-ip`). */
  ruleIds: readonly string[];
  /** The decision's id in the trace: joins a span to its trace line. */
  decisionId: string;
  /** Proxy mode: in record mode a deny is only reported. */
  mode: "record" | "enforce";
  /** Who sent the message. */
  direction: "client" | "server";
  /** When judging started (ms since the epoch). */
  startMs: number;
  /** How long canonicalize + decide took (ms). */
  durationMs: number;
  /** `_meta.traceparent` of the request, when the client sent one: the span joins the client's trace. */
  traceparent?: string;
}

/** Where a proxy reports its decisions and lifecycle. */
export interface DecisionTelemetry {
  /** Reports one decision: a span, and a count per server, verdict and deciding rule. */
  decision(r: DecisionRecord): void;
  /** Reports a lifecycle event of the proxy (start, server exit, stop) as a log record. */
  lifecycle(event: string, attributes: Record<string, string | number | boolean>): void;
}

/** Whether export can run in this process, and if not, why (one sentence with the fix). */
export interface TelemetryState {
  /** True when Deno's exporter is on (`OTEL_DENO=true` at process start). */
  on: boolean;
  /** Set when telemetry was asked for but cannot run. */
  problem?: string;
}

/**
 * Tells whether decisions can be exported. Deno's built-in exporter starts only when `OTEL_DENO=true` is set
 * before the process starts: a flag given later cannot turn it on, so `--otel` without it is reported, and the
 * proxy runs on without telemetry (never break what works).
 * @param asked `--otel` was given
 * @param env the process environment
 * @returns whether to export, and the problem to report when it was asked for and cannot run
 */
export function telemetryState(asked: boolean, env: Record<string, string | undefined>): TelemetryState {
  const deno = (env.OTEL_DENO ?? "").toLowerCase();
  if (deno === "true" || deno === "1") return { on: true };
  if (!asked) return { on: false };
  return {
    on: false,
    problem:
      "--otel: OpenTelemetry export is off because OTEL_DENO=true was not set when the process started; " +
      "start the proxy through the agentperms launcher (it sets it for --otel), or set OTEL_DENO=true yourself",
  };
}

/**
 * Why a remote URL must not be used while Deno's exporter is on, or undefined when it may. Deno traces every
 * HTTP request it makes and exports its full URL (`url.full`); nothing turns that off but turning all tracing
 * off. A URL carrying userinfo, a query, a fragment or a path segment that looks like a token (16 or more
 * characters mixing letters and digits: `…/mcp/s/<secret>/mcp`) would send its secret to the collector.
 * @param url the remote endpoint
 * @returns the reason, or undefined
 */
export function urlExposure(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "the remote URL does not parse";
  }
  if (u.username !== "" || u.password !== "") return "the remote URL holds a user name or password";
  if (u.search !== "") return "the remote URL has a query string";
  if (u.hash !== "") return "the remote URL has a fragment";
  const secret = u.pathname.split("/").find((seg) =>
    seg.length >= 16 && /[a-z]/i.test(seg) && /\d/.test(seg)
  );
  if (secret !== undefined) return "a segment of the remote URL's path looks like a token";
  return undefined;
}

const TRACEPARENT_REGEXP = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Reads a W3C `traceparent` (version 00). All-zero ids are invalid by the spec and ignored.
 * @param value the header's value
 * @returns the remote parent, or undefined when the value is not a valid traceparent
 */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== "string") return undefined;
  const m = TRACEPARENT_REGEXP.exec(value.trim());
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: parseInt(m[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
}

/** Counter and histogram attribute sets by server, verdict, rule and mode (bounded: rule ids come from policies). */
const ATTRIBUTE_SETS = new Map<string, { counted: Attributes; timed: Attributes }>();
const MAX_ATTRIBUTE_SETS = 1024;

/**
 * Creates the reporter that turns decisions into OpenTelemetry spans, counters and log records through
 * `@opentelemetry/api`, which Deno's built-in exporter sends over OTLP. Attributes hold names, verdicts and
 * rule ids only: argument values and reason texts (which quote paths and hosts) never leave the machine.
 * @param version AgentPerms' version, for the instrumentation scope
 * @param log where lifecycle records go (Deno exports `console.*` as log records)
 * @param opts `allSpans`: a span for every decision, allowed ones included (default: denies, approvals, and
 * allowed calls whose client trace is sampled)
 * @returns the reporter
 */
export function createDecisionTelemetry(
  version: string,
  log: (line: string, attributes: Record<string, string | number | boolean>) => void,
  opts: { allSpans?: boolean } = {},
): DecisionTelemetry {
  const tracer: Tracer = trace.getTracer("agentperms", version);
  const meter = metrics.getMeter("agentperms", version);
  const decisions: Counter = meter.createCounter("agentperms.decisions", {
    description: "Decisions by server, verdict and deciding rule",
  });
  const durations: Histogram = meter.createHistogram("agentperms.decision.duration", {
    description: "Time to canonicalize and decide one message",
    unit: "ms",
  });
  return {
    decision(r) {
      const parent = parseTraceparent(r.traceparent);
      // The attribute sets repeat (a few servers, verdicts and rules): one object each, built once, so a
      // counted call allocates nothing.
      const rule = r.ruleIds[0] ?? "none";
      const key = `${r.server}\u0000${r.verdict}\u0000${rule}\u0000${r.mode}`;
      let sets = ATTRIBUTE_SETS.get(key);
      if (sets === undefined) {
        if (ATTRIBUTE_SETS.size >= MAX_ATTRIBUTE_SETS) ATTRIBUTE_SETS.clear();
        sets = {
          counted: {
            "agentperms.server": r.server,
            "agentperms.verdict": r.verdict,
            "agentperms.rule_id": rule,
            "agentperms.mode": r.mode,
          },
          timed: { "agentperms.server": r.server, "agentperms.verdict": r.verdict },
        };
        ATTRIBUTE_SETS.set(key, sets);
      }
      decisions.add(1, sets.counted);
      durations.record(r.durationMs, sets.timed);
      // A span costs Deno about 25 us of CPU, half a proxied call: every deny and approval gets one, an allowed
      // call only when its client's trace is sampled or all spans were asked for; the counters count them all.
      const sampled = parent !== undefined && (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
      if (r.verdict === "allow" && !opts.allSpans && !sampled) return;
      const attributes: Attributes = {
        "agentperms.server": r.server,
        "mcp.method.name": r.method,
        "agentperms.verdict": r.verdict,
        "agentperms.rule_ids": [...r.ruleIds],
        "agentperms.decision_id": r.decisionId,
        "agentperms.mode": r.mode,
        "agentperms.direction": r.direction,
      };
      if (r.tool !== undefined) attributes["gen_ai.tool.name"] = r.tool;
      const ctx = parent ? trace.setSpanContext(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
      const span = tracer.startSpan(
        r.tool !== undefined ? `${r.method} ${r.tool}` : r.method,
        { kind: SpanKind.INTERNAL, attributes, startTime: r.startMs },
        ctx,
      );
      span.end(r.startMs + r.durationMs);
    },
    lifecycle(event, attributes) {
      log(`agentperms ${event}`, { "agentperms.event": event, ...attributes });
    },
  };
}
