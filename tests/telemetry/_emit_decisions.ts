// Reports decisions through the real module in a process started with OTEL_DENO=true (see the test).
import { createDecisionTelemetry } from "../../src/telemetry/decision_telemetry.ts";

const n = Number(Deno.args[0] ?? "3");
const t = createDecisionTelemetry("0.0.0-test", (line, attributes) => {
  // deno-lint-ignore no-console
  console.warn(line, attributes);
}, { allSpans: Deno.args[1] !== "blocked-only" });
t.lifecycle("proxy.start", { "agentperms.server": "fs", "agentperms.mode": "enforce" });
const now = Date.now();
for (let i = 0; i < n; i++) {
  t.decision({
    server: "fs",
    method: "tools/call",
    tool: i === 0 ? "read_file" : "write_file",
    verdict: i === 0 ? "deny" : "allow",
    ruleIds: i === 0 ? ["denied_paths[0]"] : ["allowed_paths[1]"],
    decisionId: `d-${i}`,
    mode: "enforce",
    direction: "client",
    startMs: now,
    durationMs: 0.25,
    traceparent: i === 0 ? "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" : undefined,
  });
}
