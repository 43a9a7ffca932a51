import { nextSteps } from "./next_steps.ts";
import type { ReportData } from "./report_data.ts";
import { riskScore } from "./risk_score.ts";

/**
 * Renders the report as JSON: the report data plus the computed risk and next steps, so scripts see exactly
 * what the HTML shows. Pure; the caller redacts `data` first.
 * @param data what the report shows
 * @returns pretty-printed JSON with a final newline
 */
export function renderReportJson(data: ReportData): string {
  return JSON.stringify({ ...data, risk: riskScore(data), nextSteps: nextSteps(data) }, null, 2) + "\n";
}
