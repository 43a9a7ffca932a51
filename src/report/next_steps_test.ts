import assert from "node:assert/strict";
import { emptyReportData, sampleReportData } from "../../tests/report/fixtures/report_data.ts";
import { nextSteps } from "./next_steps.ts";

Deno.test("nextSteps() names what got through, what drifted and what is exposed, most urgent first", () => {
  const steps = nextSteps(sampleReportData());
  assert.deepEqual(
    steps.map((s) => s.priority),
    [...steps.map((s) => s.priority)].sort((a, b) =>
      ["high", "medium", "low"].indexOf(a) - ["high", "medium", "low"].indexOf(b)
    ),
  );
  assert.match(steps[0]!.text, /Attack "path-evasion\/symlink" \(symlink\) got through with verdict allow/);
  assert.equal(steps[0]!.command, "agentperms replay --policy mcp.policy.yaml");
  assert.ok(steps.some((s) => s.command === "agentperms lock --check"));
  assert.ok(steps.some((s) => /Remove the mount/.test(s.text) && s.priority === "high"));
  assert.ok(
    steps.some((s) => s.command?.startsWith("agentperms sandbox explain") && /python-tool/.test(s.text)),
  );
  assert.equal(steps[steps.length - 1]!.command, "agentperms init");
});

Deno.test("nextSteps() without any input starts from recording and a policy", () => {
  const steps = nextSteps(emptyReportData());
  assert.equal(steps[0]!.command, "agentperms record && agentperms infer --out mcp.policy.yaml");
  assert.ok(steps.some((s) => s.command === "agentperms lock"));
  assert.ok(steps.some((s) => s.command === "agentperms record"));
});
