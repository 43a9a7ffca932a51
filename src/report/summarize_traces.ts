import type { LegacyTraceEvent, TraceEventV1 } from "../trace/mod.ts";
import {
  type DecisionCounts,
  emptyCounts,
  type ReportActivity,
  type ServerActivity,
  type TimelineBucket,
} from "./report_data.ts";

/** One trace line as read: a parsed event (v1 or the original's format) or a parse problem. */
export type TraceRecord =
  | { file: string; line: number; event: TraceEventV1 }
  | { file: string; line: number; legacy: LegacyTraceEvent }
  | { file: string; line: number; error: string };

/** Options for `summarizeTraces`. */
export interface SummarizeOptions {
  /** Trace files read (for the count shown). */
  files: number;
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
 * Counts observed calls per server and tool, their outcomes, and a timeline, from trace records in the
 * proxy's format (v1) or the original's. Pure: the caller reads the files.
 *
 * A v1 `call` event counts by its decision: allow → allowed; deny → denied; approve → approved when a human
 * granted it, else approvalRefused; a result the runtime blocked (`result.containment`) → contained. A v1
 * `containment` event (the sandbox blocked an OS access) counts as contained for its server. Legacy lines
 * map `allow`, `deny`, `require_approval` (counted as approved: the original only logged approvals that
 * went through) and `record` → recorded.
 *
 * @param records parsed trace lines, in any order
 * @param opts file count and display limits
 * @returns the activity section
 */
export function summarizeTraces(records: Iterable<TraceRecord>, opts: SummarizeOptions): ReportActivity {
  const calls: Call[] = [];
  const problems: string[] = [];
  let malformed = 0;
  const maxProblems = opts.maxProblems ?? 10;
  for (const r of records) {
    if ("error" in r) {
      malformed++;
      if (problems.length < maxProblems) problems.push(`${r.file}:${r.line}: ${r.error}`);
      continue;
    }
    const c = "event" in r ? fromV1(r.event) : fromLegacy(r.legacy);
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
    malformed,
    problems,
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

function fromV1(e: TraceEventV1): Call | undefined {
  const time = Date.parse(e.time);
  if (e.kind === "containment") {
    return {
      time,
      server: e.server,
      tool: e.tool ?? "(runtime)",
      outcome: "contained",
      forwardedNotAllowed: false,
    };
  }
  // Only client requests are calls; server → client requests, tool lists, drift, lifecycle and malformed
  // frames are reported elsewhere.
  if (e.kind !== "call") return undefined;
  const tool = e.tool ?? e.method ?? "(unknown)";
  let outcome: Outcome;
  const v = e.decision?.verdict;
  if (e.result?.containment) outcome = "contained";
  else if (v === "allow") outcome = "allowed";
  else if (v === "deny") outcome = "denied";
  else if (v === "approve") outcome = e.approval?.granted ? "approved" : "approvalRefused";
  else outcome = "recorded";
  // In record mode everything is forwarded, so a deny or an unanswered approval still reached the server.
  const forwarded = e.forwarded ?? e.mode === "record";
  const forwardedNotAllowed = forwarded && v !== "allow" && !(v === "approve" && e.approval?.granted);
  return { time, server: e.server, tool, outcome, forwardedNotAllowed };
}

function fromLegacy(e: LegacyTraceEvent): Call {
  const d = (e.decision ?? "record").toLowerCase();
  const outcome: Outcome = d === "allow"
    ? "allowed"
    : d === "deny"
    ? "denied"
    : d === "require_approval"
    ? "approved"
    : "recorded";
  return {
    time: e.ts * 1000,
    server: e.server,
    tool: e.tool,
    outcome,
    // The original forwarded everything in record mode; a deny there was logged but still executed.
    forwardedNotAllowed: d === "record",
  };
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
