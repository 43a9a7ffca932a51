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
  /** Lines the reader skipped (the first `maxProblems` are shown). */
  problems?: readonly TraceLineProblem[];
  /** How many lines were skipped in all, when more than `problems` holds (default: `problems.length`). */
  malformed?: number;
  /** Timeline bars to aim for (default 24). */
  buckets?: number;
  /** Parse problems kept for display (default 10). */
  maxProblems?: number;
}

type Outcome = keyof DecisionCounts;

const OUTCOME_KEYS: readonly Outcome[] = [
  "allowed",
  "denied",
  "approved",
  "approvalRefused",
  "contained",
  "recorded",
];

interface Call {
  time: number;
  server: string;
  tool: string;
  outcome: Outcome;
  forwardedNotAllowed: boolean;
  ruleIds: readonly string[];
}

interface ServerAcc {
  counts: DecisionCounts;
  calls: number;
  tools: Map<string, { calls: number; counts: DecisionCounts }>;
  offered: Set<string>;
}

/**
 * Streams trace events into the activity section with bounded memory: counts per server and tool as they
 * come, and only a time and an outcome code per call (kept in typed arrays) for the timeline. One million
 * calls cost about 9 MB beyond the counts.
 */
export class TraceSummarizer {
  #servers = new Map<string, ServerAcc>();
  #totals = emptyCounts();
  #calls = 0;
  #forwardedNotAllowed = 0;
  #times = new Float64Array(1024);
  #outcomes = new Uint8Array(1024);
  #timed = 0;
  #denyRules = new Map<string, number>();

  /**
   * Adds one event; events that are not calls or sandbox blocks only contribute offered tool names.
   * @param e a v1 trace event (legacy lines arrive mapped, with `legacy: true`)
   */
  add(e: TraceEventV1): void {
    if (e.kind === "tools" && e.tools) {
      const s = this.#server(e.server);
      for (const t of e.tools) s.offered.add(t.name);
      return;
    }
    const c = toCall(e);
    if (!c) return;
    this.#calls++;
    this.#totals[c.outcome]++;
    if (c.forwardedNotAllowed) this.#forwardedNotAllowed++;
    if (c.outcome === "denied" || c.outcome === "approvalRefused") {
      // Bounded: rule ids come from the policy, so there are only as many as it has rules (plus guards).
      for (const id of c.ruleIds) {
        if (this.#denyRules.size < 1000 || this.#denyRules.has(id)) {
          this.#denyRules.set(id, (this.#denyRules.get(id) ?? 0) + 1);
        }
      }
    }
    const s = this.#server(c.server);
    s.counts[c.outcome]++;
    s.calls++;
    let t = s.tools.get(c.tool);
    if (!t) s.tools.set(c.tool, t = { calls: 0, counts: emptyCounts() });
    t.calls++;
    t.counts[c.outcome]++;
    if (Number.isFinite(c.time)) {
      if (this.#timed === this.#times.length) {
        const times = new Float64Array(this.#times.length * 2);
        times.set(this.#times);
        this.#times = times;
        const outcomes = new Uint8Array(this.#outcomes.length * 2);
        outcomes.set(this.#outcomes);
        this.#outcomes = outcomes;
      }
      this.#times[this.#timed] = c.time;
      this.#outcomes[this.#timed] = OUTCOME_KEYS.indexOf(c.outcome);
      this.#timed++;
    }
  }

  /**
   * The activity section for everything added so far.
   * @param opts file count, reader problems and display limits
   * @returns the section value
   */
  finish(opts: SummarizeOptions): ReportActivity {
    const problems = opts.problems ?? [];
    const servers: ServerActivity[] = [...this.#servers.entries()].filter(([, s]) =>
      s.calls > 0 || s.offered.size
    )
      .map(([server, s]) => ({
        server,
        calls: s.calls,
        counts: s.counts,
        tools: [...s.tools.entries()].map(([tool, t]) => ({ tool, calls: t.calls, counts: t.counts }))
          .sort(byCallsThenName((t) => t.tool)),
        unusedTools: [...s.offered].filter((name) => !s.tools.has(name)).sort(),
      })).sort(byCallsThenName((s) => s.server));
    const times = this.#times.subarray(0, this.#timed);
    let first = Infinity, last = -Infinity;
    for (const t of times) {
      if (t < first) first = t;
      if (t > last) last = t;
    }
    return {
      files: opts.files,
      calls: this.#calls,
      malformed: opts.malformed ?? problems.length,
      problems: problems.slice(0, opts.maxProblems ?? 10).map((p) => `${p.file}:${p.line}: ${p.message}`),
      first: this.#timed ? new Date(first).toISOString() : undefined,
      last: this.#timed ? new Date(last).toISOString() : undefined,
      totals: { ...this.#totals },
      forwardedNotAllowed: this.#forwardedNotAllowed,
      denyRules: [...this.#denyRules.entries()].map(([ruleId, count]) => ({ ruleId, count }))
        .sort((a, b) => b.count - a.count || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0)).slice(
          0,
          10,
        ),
      servers,
      timeline: timeline(times, this.#outcomes, first, last, opts.buckets ?? 24),
    };
  }

  #server(name: string): ServerAcc {
    let s = this.#servers.get(name);
    if (!s) {
      this.#servers.set(name, s = { counts: emptyCounts(), calls: 0, tools: new Map(), offered: new Set() });
    }
    return s;
  }
}

/**
 * Counts observed calls per server and tool, their outcomes, and a timeline, from v1 trace events (the
 * trace reader maps the original's lines to v1 with `legacy: true`, and joins each call with its result
 * line). Pure: the caller reads the files.
 * For large traces feed a {@link TraceSummarizer} event by event instead.
 *
 * A `call` event counts by its decision: allow → allowed; deny → denied; approve → approved when a human
 * granted it (or, for a legacy line, always: the original logged `require_approval` for approved calls),
 * else approvalRefused; a result the runtime blocked (`result.containment`) → contained; a legacy `record`
 * line → recorded. A `containment` event counts as contained when the sandbox blocked something (a runtime
 * denial, or a broker answer other than allow); audit entries only record access and are not counted.
 * A `tools` event (a tools/list result) names what the server offered, so unused tools can be shown.
 *
 * @param events trace events, in any order
 * @param opts file count, reader problems and display limits
 * @returns the activity section
 */
export function summarizeTraces(events: Iterable<TraceEventV1>, opts: SummarizeOptions): ReportActivity {
  const acc = new TraceSummarizer();
  for (const e of events) acc.add(e);
  return acc.finish(opts);
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
    return {
      time,
      server: e.server,
      tool: e.tool ?? what,
      outcome: "contained",
      forwardedNotAllowed: false,
      ruleIds: e.decision?.ruleIds ?? [],
    };
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
  return { time, server: e.server, tool, outcome, forwardedNotAllowed, ruleIds: e.decision?.ruleIds ?? [] };
}

/** Nice bucket widths, so bars line up with minutes, hours and days. */
const STEPS_MS = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800]
  .map((s) => s * 1000);

function timeline(
  times: Float64Array,
  outcomes: Uint8Array,
  first: number,
  last: number,
  target: number,
): TimelineBucket[] {
  if (times.length === 0) return [];
  const span = Math.max(1, last - first);
  const step = STEPS_MS.find((s) => span / s <= target) ?? Math.ceil(span / target / 86400000) * 86400000;
  const start = Math.floor(first / step) * step;
  const n = Math.floor((last - start) / step) + 1;
  const buckets: TimelineBucket[] = Array.from({ length: n }, (_, i) => ({
    start: new Date(start + i * step).toISOString(),
    end: new Date(start + (i + 1) * step).toISOString(),
    counts: emptyCounts(),
  }));
  for (let i = 0; i < times.length; i++) {
    buckets[Math.floor((times[i]! - start) / step)]!.counts[OUTCOME_KEYS[outcomes[i]!]!]++;
  }
  return buckets;
}
