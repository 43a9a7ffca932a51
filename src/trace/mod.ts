/**
 * Trace format v1 (JSONL), its writer and its reader.
 *
 * @example
 * ```ts
 * import { readTraceEvents, TraceWriter } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const w = TraceWriter.open(dir, "t.jsonl");
 * w.write({ v: 1, kind: "lifecycle", time: new Date(0).toISOString(), sessionId: "s", server: "fs", mode: "record" });
 * w.close();
 * await Deno.writeTextFile(`${dir}/legacy.jsonl`, '{"ts":1,"server":"fs","tool":"read","args":{},"decision":"deny"}\n');
 * const kinds = [];
 * for await (const r of readTraceEvents(dir)) kinds.push(`${r.event.kind}:${r.event.decision?.verdict ?? "-"}`);
 * if (kinds.join() !== "call:deny,lifecycle:-") throw new Error(kinds.join());
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @module
 */
export {
  type LegacyTraceEvent,
  LegacyTraceEventSchema,
  TRACE_KINDS,
  type TraceEventV1,
  TraceEventV1Schema,
} from "./schema.ts";
export { CallResultJoiner, joinCallResults } from "./join_results.ts";
export { defaultTraceDir, MemoryTraceSink, traceFileName, type TraceSink, TraceWriter } from "./writer.ts";
export { readTraceLine, type TraceIssue, type TraceLine, traceLineBatches } from "./read_trace_line.ts";
export {
  legacyToV1,
  readTraceEvents,
  type ReadTraceOptions,
  type TraceProblem,
  type TraceRecord,
} from "./reader.ts";
