import type { Finding } from "../scan/mod.ts";
import type { ReportScan } from "./report_data.ts";

/**
 * Adapts scan findings to the report's scan section. File-level findings (no server) show as "(config)".
 * @param findings from `scanConfigs`
 * @param counts servers and configs scanned
 * @returns the section value
 */
export function reportScan(
  findings: readonly Finding[],
  counts: { servers: number; configs: number },
): ReportScan {
  return {
    servers: counts.servers,
    configs: counts.configs,
    findings: findings.map((f) => ({
      ruleId: f.ruleId,
      severity: f.severity,
      server: f.server === "" ? "(config)" : f.tool ? `${f.server} / ${f.tool}` : f.server,
      client: f.client,
      file: f.file,
      message: f.message,
      hint: f.hint,
    })),
  };
}
