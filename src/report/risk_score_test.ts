import assert from "node:assert/strict";
import { emptyReportData, sampleReportData } from "../../tests/report/fixtures/report_data.ts";
import type { ReportFinding } from "./report_data.ts";
import { riskScore } from "./risk_score.ts";

function finding(severity: ReportFinding["severity"]): ReportFinding {
  return { ruleId: "r", severity, server: "s", client: "c", file: "f", message: "m", hint: "h" };
}

Deno.test("riskScore() sums bounded components and explains each", () => {
  const r = riskScore(sampleReportData());
  assert.deepEqual(r.components.map((c) => [c.id, c.points, c.max]), [
    ["exposure", 14, 30],
    ["policy", 15, 30],
    ["drift", 15, 15],
    ["containment", 5, 10],
    ["activity", 1, 15],
  ]);
  assert.equal(r.score, 50);
  assert.equal(r.level, "high");
  assert.equal(r.floors.length, 3);
  assert.deepEqual(r.unknown, []);
});

Deno.test("riskScore() caps config exposure so many findings cannot hide the other parts", () => {
  const data = emptyReportData();
  data.scan = {
    available: true,
    value: { servers: 9, configs: 1, findings: Array(20).fill(finding("high")) },
  };
  const r = riskScore(data);
  assert.equal(r.components.find((c) => c.id === "exposure")!.points, 30);
  assert.match(r.components.find((c) => c.id === "exposure")!.explanation, /capped at 30/);
});

Deno.test("riskScore() scores policy gaps by share, not by how many attacks a pack has", () => {
  const data = sampleReportData();
  const one = riskScore(data).components.find((c) => c.id === "policy")!.points;
  if (!data.replay.available) throw new Error("fixture");
  data.replay.value.attacks = [...data.replay.value.attacks, ...data.replay.value.attacks];
  assert.equal(riskScore(data).components.find((c) => c.id === "policy")!.points, one);
});

Deno.test("riskScore() reports missing inputs as unknown, and a missing policy as full policy risk", () => {
  const r = riskScore(emptyReportData());
  assert.equal(r.components.find((c) => c.id === "policy")!.points, 30);
  assert.deepEqual(r.unknown, ["Config exposure", "Lock drift", "Containment", "Observed activity"]);
  assert.equal(r.score, 30);
  assert.equal(r.level, "high", "no policy in force is a floor");
});

Deno.test("riskScore() is low when everything is clean", () => {
  const data = sampleReportData();
  if (!data.scan.available || !data.replay.available || !data.lock.available || !data.containment.available) {
    throw new Error("fixture");
  }
  data.scan.value.findings = [finding("low")];
  for (const a of data.replay.value.attacks) a.blocked = true;
  data.lock.value.drift = [];
  data.containment.value = data.containment.value.map((c) => ({ ...c, contained: true }));
  data.activity = { available: false, reason: "no traces" };
  const r = riskScore(data);
  assert.equal(r.score, 1);
  assert.equal(r.level, "low");
  assert.deepEqual(r.floors, []);
  assert.deepEqual(r.unknown, ["Observed activity"]);
});

Deno.test("riskScore() does not count attacks blocked only because their server is not in the policy", () => {
  const data = sampleReportData();
  if (!data.replay.available) throw new Error("fixture");
  for (const a of data.replay.value.attacks) {
    a.blocked = true;
    a.unknownServer = true;
  }
  const policy = riskScore(data).components.find((c) => c.id === "policy")!;
  assert.equal(policy.points, null, "unknown, not zero risk");
  assert.match(policy.explanation, /proves nothing about your servers/);
});
