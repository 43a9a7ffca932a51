import assert from "node:assert/strict";
import { sampleReportData, XSS } from "../../tests/report/fixtures/report_data.ts";
import { redactReportData } from "./redact_report_data.ts";
import { renderReportJson } from "./render_report_json.ts";

Deno.test("renderReportJson() carries the data, the risk and the next steps", () => {
  const out = JSON.parse(renderReportJson(sampleReportData()));
  assert.equal(out.v, 1);
  assert.equal(out.risk.score, 50);
  assert.equal(out.risk.level, "high");
  assert.ok(Array.isArray(out.nextSteps) && out.nextSteps.length > 0);
  assert.equal(out.scan.value.findings.length, 2);
});

Deno.test("redactReportData() redacts every string and keeps numbers and keys", () => {
  const red = redactReportData(sampleReportData(), (s) => s.replaceAll(XSS, "[x]"));
  const json = JSON.stringify(red);
  assert.ok(!json.includes(XSS));
  assert.ok(json.includes("[x]"));
  if (!red.scan.available) throw new Error("fixture");
  assert.equal(red.scan.value.servers, 3);
  assert.equal(red.v, 1);
});
