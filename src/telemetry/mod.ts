/**
 * Decisions exported to OpenTelemetry (opt-in): spans, counters and lifecycle log records through Deno's
 * built-in OTLP exporter. See docs/telemetry.md.
 * @module
 */
export {
  createDecisionTelemetry,
  type DecisionRecord,
  type DecisionTelemetry,
  parseTraceparent,
  type TelemetryState,
  telemetryState,
  urlExposure,
} from "./decision_telemetry.ts";
