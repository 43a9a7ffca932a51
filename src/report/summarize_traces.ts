import type { TraceEventV1 } from "../trace/mod.ts";
import {
  type DecisionCounts,
  emptyCounts,
  type ReportActivity,
  type ServerActivity,
  type TimelineBucket,
} from "./report_data.ts";

/** A trace line the reader skipped. */
export interface TraceLineProblem {
  /** The file. */
  file: string;
  /** 1-based line. */
  line: number;
  /** What was wrong. */
  message: string;
}

/** Options for `summarizeTraces`. */
export interface SummarizeOptions {
  /** Trace files read (for the count shown). */
  files: number;
  /** Lines the reader skipped (all are counted; the first `maxProblems` are shown). */
  problems?: readonly TraceLineProblem[];
  /** Timeline bars to aim for (default 24). */
  buckets?: number;
  /** Parse problems kept for display (default 10). */
  maxProblems?: number;
}

type Outcome = keyof DecisionCounts;

interface Call {
  time: number;
  server: string;
  tool: string;
  outcome: Outcome;
  forwardedNotAllowed: boolean;
}

/**
 * Counts observed calls per server and tool, their outcomes, and a timeline, from v1 trace events (the
 * trace reader maps the original's lines to v1 with `legacy: true`). Pure: the caller reads the files.
 *
 * A `call` event counts by its decision: allow → allowed; deny → denied; approve → approved when a human
 * granted it (or, for a legacy line, always: the original logged `require_approval` for approved calls),
 * else approvalRefused; a result the runtime blocked (`result.containment`) → contained; a legacy `record`
 * line → recorded. A `containment` event counts as contained when the sandbox blocked something (a runtime
 * denial, or a broker answer other than allow); audit entries only record access and are not counted.
 *
 * @param events trace events, in any order
 * @param opts file count, reader problems and display limits
 * @returns the activity section
 */
export function summarizeTraces(events: Iterable<TraceEventV1>, opts: SummarizeOptions): ReportActivity {
  const calls: Call[] = [];
  const problems = opts.problems ?? [];
  for (const e of events) {
    const c = toCall(e);
    if (c) calls.push(c);
  }
  calls.sort((a, b) => a.time - b.time);

  const totals = emptyCounts();
  const byServer = new Map<string, { counts: DecisionCounts; calls: number; tools: Map<string, Call[]> }>();
  let forwardedNotAllowed = 0;
  for (const c of calls) {
    totals[c.outcome]++;
    if (c.forwardedNotAllowed) forwardedNotAllowed++;
    let s = byServer.get(c.server);
    if (!s) byServer.set(c.server, s = { counts: emptyCounts(), calls: 0, tools: new Map() });
    s.counts[c.outcome]++;
    s.calls++;
    const list = s.tools.get(c.tool) ?? [];
    list.push(c);
    s.tools.set(c.tool, list);
  }
  const servers: ServerActivity[] = [...byServer.entries()].map(([server, s]) => ({
    server,
    calls: s.calls,
    counts: s.counts,
    tools: [...s.tools.entries()].map(([tool, list]) => {
      const counts = emptyCounts();
      for (const c of list) counts[c.outcome]++;
      return { tool, calls: list.length, counts };
    }).sort(byCallsThenName((t) => t.tool)),
  })).sort(byCallsThenName((s) => s.server));

  const timed = calls.filter((c) => Number.isFinite(c.time));
  return {
    files: opts.files,
    calls: calls.length,
    malformed: problems.length,
    problems: problems.slice(0, opts.maxProblems ?? 10).map((p) => `${p.file}:${p.line}: ${p.message}`),
    first: timed.length ? new Date(timed[0]!.time).toISOString() : undefined,
    last: timed.length ? new Date(timed[timed.length - 1]!.time).toISOString() : undefined,
    totals,
    forwardedNotAllowed,
    servers,
    timeline: timeline(timed, opts.buckets ?? 24),
  };
}

function byCallsThenName<T extends { calls: number }>(name: (t: T) => string) {
  return (a: T, b: T) => b.calls - a.calls || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);
}

function toCall(e: TraceEventV1): Call | undefined {
  const time = Date.parse(e.time);
  if (e.kind === "containment") {
    const source = typeof e.source === "string" ? e.source : undefined;
    const blocked = source === "runtime" || (source === "broker" && e.decision?.verdict !== "allow");
    if (!blocked) return undefined;
    const what = typeof e.permission === "string" ? `(${e.permission})` : "(runtime)";
    return { time, server: e.server, tool: e.tool ?? what, outcome: "contained", forwardedNotAllowed: false };
  }
  // Only client requests are calls; server → client requests, tool lists, drift, lifecycle and malformed
  // frames are reported elsewhere.
  if (e.kind !== "call") return undefined;
  const tool = e.tool ?? e.method ?? "(unknown)";
  const legacy = e.legacy === true;
  const v = e.decision?.verdict;
  const granted = v === "approve" && (legacy || e.approval?.granted === true);
  let outcome: Outcome;
  if (e.result?.containment) outcome = "contained";
  else if (legacy && e.decision?.ruleIds.includes("legacy/record")) outcome = "recorded";
  else if (v === "allow") outcome = "allowed";
  else if (v === "deny") outcome = "denied";
  else if (v === "approve") outcome = granted ? "approved" : "approvalRefused";
  else outcome = "recorded";
  // In record mode everything is forwarded, so a deny or an unanswered approval still reached the server.
  const forwarded = e.forwarded ?? e.mode === "record";
  const forwardedNotAllowed = forwarded && (outcome === "recorded" || (v !== "allow" && !granted));
  return { time, server: e.server, tool, outcome, forwardedNotAllowed };
}

/** Nice bucket widths, so bars line up with minutes, hours and days. */
const STEPS_MS = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800]
  .map((s) => s * 1000);

function timeline(calls: Call[], target: number): TimelineBucket[] {
  if (calls.length === 0) return [];
  const first = calls[0]!.time;
  const last = calls[calls.length - 1]!.time;
  const span = Math.max(1, last - first);
  const step = STEPS_MS.find((s) => span / s <= target) ?? Math.ceil(span / target / 86400000) * 86400000;
  const start = Math.floor(first / step) * step;
  const n = Math.floor((last - start) / step) + 1;
  const buckets: TimelineBucket[] = Array.from({ length: n }, (_, i) => ({
    start: new Date(start + i * step).toISOString(),
    end: new Date(start + (i + 1) * step).toISOString(),
    counts: emptyCounts(),
  }));
  for (const c of calls) buckets[Math.floor((c.time - start) / step)]!.counts[c.outcome]++;
  return buckets;
}
