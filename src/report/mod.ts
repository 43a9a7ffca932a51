/**
 * The report: one input model (`ReportData`), pure renderers (self-contained HTML, JSON), the risk score
 * with its explanation, next steps, and the trace summary that feeds the activity section.
 *
 * @example
 * ```ts
 * import { renderReportHtml, type ReportData } from "./mod.ts";
 * const na = { available: false as const, reason: "not given" };
 * const data: ReportData = {
 *   v: 1, generatedAt: "2026-01-01T00:00:00.000Z", version: "0.0.0", inputs: {},
 *   scan: na, lock: na, activity: na, replay: na, containment: na, policy: na, redaction: "none",
 * };
 * const html = renderReportHtml(data);
 * if (!html.startsWith("<!DOCTYPE html>")) throw new Error("expected a document");
 * ```
 * @module
 */
export * from "./report_data.ts";
export { type RiskComponent, type RiskLevel, type RiskScore, riskScore } from "./risk_score.ts";
export { type NextStep, nextSteps } from "./next_steps.ts";
export {
  type SummarizeOptions,
  summarizeTraces,
  type TraceLineProblem,
  TraceSummarizer,
} from "./summarize_traces.ts";
export { renderReportHtml } from "./render_report_html.tsx";
export { renderReportJson } from "./render_report_json.ts";
export { redactReportData } from "./redact_report_data.ts";
export { reportReplay } from "./report_replay.ts";
export { reportDrift } from "./report_drift.ts";
export { reportContainment } from "./report_containment.ts";
export { reportScan } from "./report_scan.ts";
export {
  type JudgedScopeCall,
  judgeScopeCall,
  MAX_REPORTED_SCOPE_VALUES,
  REPORT_SCOPE_KINDS,
  type ScopeJudgeOptions,
  ScopeUseSummarizer,
} from "./report_scopes.ts";
export { renderReportText } from "./render_report_text.ts";
