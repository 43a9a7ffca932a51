import assert from "node:assert/strict";
import { readTraceLine, traceLineBatches } from "./read_trace_line.ts";

const call = {
  v: 1,
  kind: "call",
  time: "2026-01-01T00:00:00.000Z",
  sessionId: "s",
  server: "fs",
  mode: "enforce",
  direction: "client",
  method: "tools/call",
  tool: "read",
  arguments: { path: "/w/a" },
  decision: { verdict: "allow", ruleIds: ["r"], reason: "ok" },
  forwarded: true,
};

Deno.test("readTraceLine() tells every kind of line apart, parsing it once", () => {
  assert.equal(readTraceLine("  ").kind, "blank");
  assert.equal(readTraceLine("{nope").kind, "bad-json");
  const dup = readTraceLine('{"v":1,"v":1}');
  assert.ok(dup.kind === "bad-json" && dup.problem === "key");
  assert.equal(readTraceLine("[1]").kind, "not-object");
  assert.equal(readTraceLine('{"v":1,"permission":"read","value":"/x"}').kind, "audit");
  assert.equal(readTraceLine(JSON.stringify(call)).kind, "v1");
  assert.equal(readTraceLine(JSON.stringify({ ...call, kind: "nope" })).kind, "bad-v1");
  assert.equal(readTraceLine('{"ts":1,"server":"fs","tool":"read","args":{}}').kind, "legacy");
  assert.equal(readTraceLine('{"server":"fs"}').kind, "bad-legacy");
});

Deno.test("readTraceLine() reads a JSON-RPC id past 2^53 and a latency like 2.50 as plain numbers", () => {
  const text = JSON.stringify({ ...call, latencyMs: 1 }).replace(
    '"latencyMs":1',
    '"latencyMs":2.50,"id":9007199254740993',
  );
  const r = readTraceLine(text);
  assert.equal(r.kind, "v1");
  assert.ok(r.kind === "v1" && typeof r.event.id === "number" && r.event.latencyMs === 2.5);
});

Deno.test("traceLineBatches() splits chunks into lines, \\r\\n too, and marks an unterminated last line", async () => {
  const enc = new TextEncoder();
  const chunks = ["a\r\nb", "c\n\nd"].map((s) => enc.encode(s));
  const got: [string[], boolean][] = [];
  for await (
    const b of traceLineBatches((async function* () {
      yield* chunks;
    })())
  ) got.push([b.lines, b.lastTerminated]);
  assert.deepEqual(got, [[["a"], true], [["bc", ""], true], [["d"], false]]);
});
