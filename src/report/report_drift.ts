import type { LockDiff } from "../lock/mod.ts";
import type { TraceEventV1 } from "../trace/mod.ts";
import type { ReportDrift } from "./report_data.ts";

/**
 * Adapts a lock diff (from `verifyLaunches` or `diffLock`) and the proxy's runtime `drift` trace events to
 * the report's drift rows. A launch change is one row per server, never one per tool; the same trace drift
 * seen in many sessions is one row.
 * @param diff the lock diff, or undefined when only traces are known
 * @param events trace events (only `kind: "drift"` are used)
 * @returns the rows, lock rows first
 */
export function reportDrift(diff: LockDiff | undefined, events: Iterable<TraceEventV1> = []): ReportDrift[] {
  const rows: ReportDrift[] = [];
  for (const s of diff?.servers ?? []) {
    if (s.change !== "changed") {
      rows.push({
        server: s.server,
        change: s.change,
        fields: [],
        detail: s.change === "new"
          ? "configured but not in the lock (never pinned)"
          : "in the lock but no longer configured",
        source: "lock",
      });
    }
    if (s.launch) {
      rows.push({
        server: s.server,
        change: "changed",
        fields: s.launch.fields,
        detail: `launch command changed: ${[s.launch.before.command, ...s.launch.before.args].join(" ")} → ${
          [s.launch.after.command, ...s.launch.after.args].join(" ")
        }`,
        source: "lock",
      });
    }
    for (const id of s.identity) {
      rows.push({
        server: s.server,
        change: "changed",
        fields: [id.field],
        detail: `${id.field} changed`,
        source: "lock",
      });
    }
    for (const item of s.items) {
      rows.push({
        server: s.server,
        tool: item.name,
        change: item.change,
        fields: item.fields,
        detail: item.change === "changed"
          ? `${item.kind} ${item.fields.join(", ")} changed`
          : `${item.kind} ${item.change === "new" ? "added" : "removed"}`,
        source: "lock",
      });
    }
  }
  const seen = new Set<string>();
  for (const e of events) {
    if (e.kind !== "drift") continue;
    const key = `${e.server}\u0000${e.tool ?? ""}\u0000${e.detail ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({
      server: e.server,
      tool: e.tool,
      change: "changed",
      fields: [],
      detail: e.detail ?? "tool differs from mcp.lock at runtime",
      source: "trace",
    });
  }
  return rows;
}
