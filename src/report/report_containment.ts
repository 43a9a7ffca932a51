import type { LaunchPlan } from "../sandbox/mod.ts";
import type { ReportContainment } from "./report_data.ts";

/**
 * Adapts launch plans (`planLaunch` per configured server) to the report's containment rows: how each
 * server is held (its Deno permission flags) or why it is not.
 * @param plans server name → its plan
 * @returns one row per server, sorted by name
 */
export function reportContainment(plans: ReadonlyMap<string, LaunchPlan>): ReportContainment[] {
  return [...plans.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([server, p]) => {
    const flags = p.flags.map((f) => (f.value === "*" ? `--${f.flag}` : `--${f.flag}=${f.value}`));
    const detail = p.contained
      ? [flags.join(" ") || "no permissions granted", ...p.notes].join("; ")
      : p.notes.join("; ") || "runs as configured, outside the Deno permission layer";
    return {
      server,
      contained: p.contained,
      mode: p.contained ? p.mode : "not contained",
      detail,
    };
  });
}
