/**
 * Trace format v1 (JSONL), its writer and its reader.
 * @module
 */
export {
  type LegacyTraceEvent,
  LegacyTraceEventSchema,
  TRACE_KINDS,
  type TraceEventV1,
  TraceEventV1Schema,
} from "./schema.ts";
export { defaultTraceDir, MemoryTraceSink, traceFileName, type TraceSink, TraceWriter } from "./writer.ts";
export {
  legacyToV1,
  readTraceEvents,
  type ReadTraceOptions,
  type TraceProblem,
  type TraceRecord,
} from "./reader.ts";
