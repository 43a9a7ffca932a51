import { canonicalizeCall, type HostRealpath, rawCallArguments, rawCallOf } from "../../canonical/mod.ts";
import { attachCallFacts, decide, type Decision } from "../../decision/mod.ts";
import { parseJsonStrict } from "../../json/mod.ts";
import type { CompiledPolicy } from "../../policy/mod.ts";

/** Output formats of `check`. */
export type CheckFormat = "text" | "json" | "jsonl";

/** How many lines `check` judged, by verdict (error: the line is no call). */
export interface CheckCounts {
  allow: number;
  deny: number;
  approve: number;
  error: number;
}

/** Zero counts. */
export function noCounts(): CheckCounts {
  return { allow: 0, deny: 0, approve: 0, error: 0 };
}

/**
 * Adds `b` into `a`.
 * @param a the running total (changed)
 * @param b counts to add
 */
export function addCounts(a: CheckCounts, b: CheckCounts): void {
  a.allow += b.allow;
  a.deny += b.deny;
  a.approve += b.approve;
  a.error += b.error;
}

/**
 * The judge `check` applies to one parsed call: canonicalize as the proxy does, then `decide()`.
 * @param compiled the compiled policy
 * @param opts cwd relative paths resolve against, home, and the realpath to use
 * @returns a function from a parsed JSON value to its decision
 * @throws {Error} (from the returned function) when the value is no call object
 */
export function callJudge(
  compiled: CompiledPolicy,
  opts: { cwd: string; home: string; realpath: HostRealpath },
): (value: unknown) => Decision {
  const copts = { ...opts, ...(compiled.windows ? { windows: true } : {}) };
  return (value: unknown) => {
    const raw = rawCallOf(value);
    const call = canonicalizeCall(raw, copts);
    // Format 2 reads the arguments themselves, and the tool's annotations when the line carries them.
    attachCallFacts(call, {
      arguments: rawCallArguments(raw),
      annotations: (value as { annotations?: unknown }).annotations,
    });
    return decide(compiled, call);
  };
}

/** Distinct calls whose decision a run remembers before it starts over. */
const MAX_REMEMBERED_CALLS = 100_000;
/** Calls after which a run that repeats almost nothing stops remembering decisions. */
const SAMPLE_CALLS = 20_000;

/**
 * Remembers the decision of each distinct call (server, method, tool, arguments, params, annotations: what the judge
 * reads; the line's `id` is not part of it) for the rest of the run, so a file that repeats calls (a trace
 * of an agent at work does) canonicalizes each once. Exact only because the judge is: `decide()` is pure and
 * `check` reads the file system once per path and run (see `checkRealpath`).
 * @param judge from {@link callJudge}
 * @param maxEntries distinct calls kept before the memory is cleared and filled again
 * @returns a judge with the same answers
 */
export function rememberDecisions(
  judge: (value: unknown) => Decision,
  maxEntries: number = MAX_REMEMBERED_CALLS,
): (value: unknown) => Decision {
  const seen = new Map<string, Decision>();
  let asked = 0;
  let hits = 0;
  return (value: unknown) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return judge(value);
    // A file whose calls do not repeat would only pay for the keys: stop remembering when, after a fair
    // sample, fewer than one call in ten was a repeat.
    if (asked >= SAMPLE_CALLS && hits * 10 < asked) return judge(value);
    asked++;
    const v = value as Record<string, unknown>;
    // Keys of absent members are left out (JSON.stringify drops undefined), so `"arguments": null` and no
    // arguments are different calls, as they are to the judge.
    const key = JSON.stringify({
      s: v.server,
      m: typeof v.method === "string" ? v.method : undefined,
      t: typeof v.tool === "string" ? v.tool : undefined,
      a: v.arguments,
      p: v.params,
      an: v.annotations,
    });
    const hit = seen.get(key);
    if (hit) {
      hits++;
      return hit;
    }
    const d = judge(value);
    if (seen.size >= maxEntries) seen.clear();
    seen.set(key, d);
    return d;
  };
}

/**
 * Judges consecutive lines of a `--calls` file and returns what `check` prints for them. The one place a line
 * becomes an output line: the sequential run and every worker of the pool call it, so both print the same.
 * @param judge from {@link callJudge}
 * @param lines the lines, without their newlines
 * @param opts `firstLine`: the 1-based number of `lines[0]` in the file; `format`; `counts` is added to
 * @returns the output for these lines (whole lines, possibly empty)
 */
export function checkLines(
  judge: (value: unknown) => Decision,
  lines: readonly string[],
  opts: { firstLine: number; format: CheckFormat; counts: CheckCounts },
): string {
  const { counts, format } = opts;
  let out = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const lineNo = opts.firstLine + i;
    if (line.trim() === "") continue;
    let id: unknown = null;
    let row: Record<string, unknown>;
    try {
      // Read as the live proxy reads a message: a call it would refuse is an error here too.
      const r = parseJsonStrict(line);
      if (!r.ok) throw new Error(r.error);
      const v = r.value as { id?: unknown } | null;
      id = v?.id ?? null;
      const d = judge(v);
      row = { id, verdict: d.verdict, ruleIds: d.ruleIds, reason: d.reason };
      counts[d.verdict]++;
    } catch (e) {
      counts.error++;
      row = {
        id,
        verdict: "error",
        line: lineNo,
        ruleIds: [],
        reason: `line ${lineNo}: ${(e as Error).message}`,
      };
    }
    if (format === "text") {
      out += `${String(row.id ?? lineNo)}\t${String(row.verdict).toUpperCase()}\t${row.reason}\n`;
    } else out += JSON.stringify(row) + "\n";
  }
  return out;
}

const FIRST_BATCH = new TextDecoder();
const LATER_BATCH = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * The lines of a batch of whole lines cut from a `--calls` file, read as `readLines` reads them: UTF-8,
 * `\n` or `\r\n` ends a line, the file's byte order mark (at the start of the first batch) is dropped.
 * @param bytes the lines joined by their newlines, the last newline cut off
 * @param first true for the file's first batch
 * @returns the lines
 */
export function batchLines(bytes: Uint8Array, first: boolean): string[] {
  const lines = (first ? FIRST_BATCH : LATER_BATCH).decode(bytes).split("\n");
  for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith("\r")) lines[i] = lines[i]!.slice(0, -1);
  return lines;
}
