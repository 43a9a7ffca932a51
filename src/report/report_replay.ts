import type { ReplayResult } from "../replay/mod.ts";
import type { ReportReplay } from "./report_data.ts";

/**
 * Adapts replay results (one or more `replayPack` runs) to the report's replay section.
 * @param results every result, any number of packs
 * @returns packs (in first-seen order) and one row per attack or control
 */
export function reportReplay(results: readonly ReplayResult[]): ReportReplay {
  const packs: string[] = [];
  for (const r of results) if (!packs.includes(r.pack)) packs.push(r.pack);
  return {
    packs,
    attacks: results.map((r) => ({
      id: r.id,
      severity: r.severity,
      evasionClass: r.evasion ?? "none",
      expect: r.expect,
      verdict: r.verdict,
      blocked: r.blocked,
      passed: r.passed,
      unknownServer: r.unknownServer,
      detail: `${r.reason}${r.ruleIds.length ? ` (${r.ruleIds.join(", ")})` : ""}`,
    })),
  };
}
