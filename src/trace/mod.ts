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
