import { join, resolve } from "node:path";
import { AgentPermsError } from "../errors.ts";
import { CallResultJoiner } from "./join_results.ts";
import { type LegacyTraceEvent, type TraceEventV1, TraceEventV1Schema } from "./schema.ts";
import { readTraceLine, type TraceIssue, traceLineBatches } from "./read_trace_line.ts";

/** A line the reader skipped, with where it was. */
export interface TraceProblem {
  /** The file. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** What was wrong. */
  message: string;
  /** True for an unterminated last line (a crash while writing): expected, not corruption. */
  torn: boolean;
}

/** One event read from a trace file. */
export interface TraceRecord {
  /** The event (legacy lines are mapped to v1, with `legacy: true`). */
  event: TraceEventV1;
  /** Which file it came from. */
  file: string;
  /** 1-based line number. */
  line: number;
}

/** Options for {@link readTraceEvents}. */
export interface ReadTraceOptions {
  /** Told about every skipped line. Default: ignore. */
  onProblem?: (p: TraceProblem) => void;
  /** Base for a relative path. Default: the process cwd. */
  cwd?: string;
  /**
   * Yield the lines as written. Default false: each forwarded call is joined with its `result` line (see
   * {@link CallResultJoiner}) and yielded once, at its answer (or, unanswered, at the end of its file).
   */
  raw?: boolean;
}

/**
 * Streams the events of one trace file, or of every `*.jsonl` file in a directory (sorted by name; Deno audit
 * logs named `*.permissions.jsonl` are skipped), without
 * loading a file whole. Reads format v1 and the original tool's format (`ts, server, tool, args, decision`),
 * which it maps to v1 records. A torn last line or a malformed line is skipped and reported with file:line.
 * Unless `raw`, each forwarded call comes back whole: joined with its `result` line, which is not yielded.
 *
 * @param fileOrDir a trace file or a directory of them
 * @param opts problem callback and cwd
 * @returns an async iterable of records
 * @throws {AgentPermsError} io_failed when the path cannot be opened
 */
export async function* readTraceEvents(
  fileOrDir: string,
  opts: ReadTraceOptions = {},
): AsyncGenerator<TraceRecord> {
  const abs = resolve(opts.cwd ?? Deno.cwd(), fileOrDir);
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(abs);
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot read traces "${fileOrDir}": ${(e as Error).message}`, {
      cause: e,
      hint: "Pass a trace file or the trace directory (default ~/.local/state/agentperms/traces)",
    });
  }
  const files: string[] = [];
  if (stat.isDirectory) {
    for await (const entry of Deno.readDir(abs)) {
      // `*.permissions.jsonl` are raw Deno audit logs (containment); the proxy folds them into its trace.
      if (entry.isFile && entry.name.endsWith(".jsonl") && !entry.name.endsWith(".permissions.jsonl")) {
        files.push(join(abs, entry.name));
      }
    }
    files.sort();
  } else files.push(abs);
  const onProblem = opts.onProblem ?? (() => {});
  for (const file of files) {
    if (opts.raw) {
      yield* readOneFile(file, onProblem);
      continue;
    }
    // One proxy process writes one file, so a call and its result line are always in the same file.
    const joiner = new CallResultJoiner();
    const lineOf = new WeakMap<TraceEventV1, number>();
    for await (const r of readOneFile(file, onProblem)) {
      lineOf.set(r.event, r.line);
      for (const event of joiner.push(r.event)) yield { event, file, line: lineOf.get(event) ?? r.line };
    }
    for (const event of joiner.end()) yield { event, file, line: lineOf.get(event) ?? 0 };
  }
}

async function* readOneFile(file: string, onProblem: (p: TraceProblem) => void): AsyncGenerator<TraceRecord> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(file);
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot read trace "${file}": ${(e as Error).message}`, {
      cause: e,
    });
  }
  let lineNo = 0;
  const handle = (text: string, terminated: boolean): TraceRecord | undefined => {
    lineNo++;
    const r = readTraceLine(text);
    let problem: string;
    switch (r.kind) {
      case "blank":
        return undefined;
      case "v1":
        return { event: r.event, file, line: lineNo };
      case "legacy":
        return { event: legacyToV1(r.event, file), file, line: lineNo };
      case "bad-json":
        onProblem({
          file,
          line: lineNo,
          torn: !terminated,
          message: terminated
            ? `malformed line: ${r.error}`
            : "torn last line (the writer stopped mid-line), skipped",
        });
        return undefined;
      case "bad-v1":
        problem = notV1(r.issues);
        break;
      case "audit": // has "v" but no kind: the v1 schema says why it is no event
        problem = notV1(TraceEventV1Schema.safeParse(r.record).error?.issues ?? []);
        break;
      default:
        problem = 'neither a v1 trace event (no "v") nor a legacy line (ts, server, tool)';
    }
    onProblem({ file, line: lineNo, torn: false, message: problem });
    return undefined;
  };
  try {
    for await (const batch of traceLineBatches(f.readable)) {
      const last = batch.lines.length - 1;
      for (let i = 0; i <= last; i++) {
        const r = handle(batch.lines[i]!, i < last || batch.lastTerminated);
        if (r) yield r;
      }
    }
  } finally {
    try {
      f.close();
    } catch {
      // the readable already closed it
    }
  }
}

function notV1(issues: TraceIssue[]): string {
  const issue = issues[0];
  return `not a v1 trace event: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`;
}

const LEGACY_VERDICT: Record<string, "allow" | "deny" | "approve"> = {
  allow: "allow",
  deny: "deny",
  require_approval: "approve",
  record: "allow",
};

/**
 * Maps one line of the original tool's trace to a v1 call event. Its decision strings were allow, deny,
 * require_approval and record (record mode: forwarded, not judged).
 * @param e the legacy line
 * @param file its file, used as the session id
 * @returns a v1 event with `legacy: true`
 */
export function legacyToV1(e: LegacyTraceEvent, file: string): TraceEventV1 {
  const d = e.decision ?? "record";
  const verdict = LEGACY_VERDICT[d] ?? "deny";
  const ms = e.ts * 1000;
  return {
    v: 1,
    kind: "call",
    time: Number.isFinite(ms) ? new Date(ms).toISOString() : new Date(0).toISOString(),
    sessionId: `legacy:${file}`,
    server: e.server,
    mode: d === "record" ? "record" : "enforce",
    direction: "client",
    method: "tools/call",
    tool: e.tool,
    arguments: e.args ?? {},
    decision: { verdict, ruleIds: [`legacy/${d}`], reason: `Decision "${d}" from the original tool's trace` },
    forwarded: d === "record" || verdict === "allow",
    ...(e.result_summary ? { result: { outcome: "none" as const, summary: e.result_summary } } : {}),
    legacy: true,
  };
}
