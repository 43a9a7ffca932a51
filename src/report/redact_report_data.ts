import type { ReportData } from "./report_data.ts";

/**
 * Applies a redactor to every string the report will show (names, messages, hints, paths, the policy
 * text), so nothing reaches the HTML or JSON unredacted, whatever its source. Keys and numbers are kept.
 * @param data the report data
 * @param redact maps one string to its redacted form
 * @returns a redacted copy; `data` is not changed
 */
export function redactReportData(data: ReportData, redact: (text: string) => string): ReportData {
  return walk(data, redact) as ReportData;
}

function walk(v: unknown, redact: (text: string) => string): unknown {
  if (typeof v === "string") return redact(v);
  if (Array.isArray(v)) return v.map((x) => walk(x, redact));
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = walk(x, redact);
    return out;
  }
  return v;
}
