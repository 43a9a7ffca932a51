import assert from "node:assert/strict";
import { parseTraceparent, telemetryState, urlExposure } from "../../src/telemetry/decision_telemetry.ts";
import { otelEnv, startOtlpReceiver } from "./_otlp_receiver.ts";

const EMIT = new URL("./_emit_decisions.ts", import.meta.url).pathname;
const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

Deno.test("decisions reach an OTLP receiver as spans, counters and log records, with names and verdicts only", async () => {
  await using rx = startOtlpReceiver();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, EMIT, "20"],
    env: { ...otelEnv(rx.endpoint), OTEL_DENO_CONSOLE: "capture" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  await waitFor(() => rx.spans.length >= 20 && rx.points.some((p) => p.name === "agentperms.decisions"));
  assert.equal(rx.spans.length, 20, "no span is dropped");
  const denied = rx.spans.find((s) => s.attributes["agentperms.verdict"] === "deny")!;
  assert.equal(denied.name, "tools/call read_file");
  assert.deepEqual(denied.attributes, {
    "agentperms.server": "fs",
    "mcp.method.name": "tools/call",
    "gen_ai.tool.name": "read_file",
    "agentperms.verdict": "deny",
    "agentperms.rule_ids": ["denied_paths[0]"],
    "agentperms.decision_id": "d-0",
    "agentperms.mode": "enforce",
    "agentperms.direction": "client",
  });
  // The client's traceparent makes the decision a child of its span.
  assert.equal(denied.traceId, "0af7651916cd43dd8448eb211c80319c");
  assert.equal(denied.parentSpanId, "b7ad6b7169203331");
  const count = (verdict: string) =>
    rx.points.filter((p) =>
      p.name === "agentperms.decisions" && p.attributes["agentperms.verdict"] === verdict
    )
      .reduce((n, p) => Math.max(n, p.value), 0);
  assert.equal(count("deny"), 1);
  assert.equal(count("allow"), 19);
  await waitFor(() => rx.logs.some((l) => String(l.body).includes("proxy.start")));
  assert.ok(rx.logs.some((l) => String(l.body).includes("agentperms proxy.start")), "lifecycle log exported");
});

Deno.test("telemetryState() says why --otel cannot export without OTEL_DENO, and stays off when not asked", () => {
  assert.deepEqual(telemetryState(false, {}), { on: false });
  assert.deepEqual(telemetryState(true, { OTEL_DENO: "true" }), { on: true });
  const off = telemetryState(true, {});
  assert.equal(off.on, false);
  assert.match(off.problem!, /OTEL_DENO=true/);
});

Deno.test("parseTraceparent() reads W3C version 00 and refuses malformed or all-zero ids", () => {
  assert.deepEqual(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"), {
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    traceFlags: 1,
    isRemote: true,
  });
  for (
    const bad of [
      undefined,
      42,
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
      "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
    ]
  ) assert.equal(parseTraceparent(bad), undefined, String(bad));
});

Deno.test("urlExposure() names what in a remote URL Deno's HTTP tracing would export", () => {
  for (
    const ok of [
      "https://mcp.example.com/mcp",
      "https://api.githubcopilot.com/mcp/",
      "http://127.0.0.1:3000/mcp",
    ]
  ) {
    assert.equal(urlExposure(ok), undefined, ok);
  }
  assert.match(urlExposure("https://u:p@x.example/mcp")!, /user name or password/);
  assert.match(urlExposure("https://x.example/mcp?token=1")!, /query/);
  assert.match(urlExposure("https://x.example/mcp#t=1")!, /fragment/);
  assert.match(urlExposure("https://mcp.zapier.com/api/mcp/s/ZmFrZXNlY3JldDEyMzQ1Ng/mcp")!, /token/);
});

Deno.test("by default only blocked decisions (and allowed ones in a sampled client trace) become spans; all are counted", async () => {
  await using rx = startOtlpReceiver();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", CONFIG, EMIT, "20", "blocked-only"],
    env: otelEnv(rx.endpoint),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  await waitFor(() => rx.points.some((p) => p.name === "agentperms.decisions" && p.value >= 19));
  await new Promise((r) => setTimeout(r, 300));
  // Decision 0 is the deny (with a sampled traceparent); the 19 allows carry none.
  assert.deepEqual(rx.spans.map((s) => s.attributes["agentperms.verdict"]), ["deny"]);
  const allowed = rx.points.filter((p) =>
    p.name === "agentperms.decisions" && p.attributes["agentperms.verdict"] === "allow"
  ).reduce((n, p) => Math.max(n, p.value), 0);
  assert.equal(allowed, 19);
});
