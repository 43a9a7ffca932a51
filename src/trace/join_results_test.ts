import assert from "node:assert/strict";
import { CallResultJoiner, joinCallResults } from "./join_results.ts";
import type { TraceEventV1 } from "./schema.ts";

const base = {
  v: 1 as const,
  time: "2026-01-01T00:00:00.000Z",
  sessionId: "s",
  server: "fs",
  mode: "record" as const,
};
const decision = (id: string) => ({ verdict: "allow" as const, ruleIds: [], reason: "ok", decisionId: id });
const call = (id: number, did: string): TraceEventV1 => ({
  ...base,
  kind: "call",
  id,
  tool: "read",
  forwarded: true,
  decision: decision(did),
});
const result = (id: number, did: string, text: string): TraceEventV1 => ({
  ...base,
  kind: "result",
  id,
  decisionId: did,
  latencyMs: 1.5,
  result: { outcome: "ok", summary: text },
});

Deno.test("joinCallResults() merges each result into its call, matched by decision id, in answer order", () => {
  const out = joinCallResults([
    call(1, "s-1"),
    call(2, "s-2"),
    { ...base, kind: "lifecycle", detail: "x" },
    result(2, "s-2", "B"),
    result(1, "s-1", "A"),
  ]);
  assert.deepEqual(out.map((e) => [e.kind, e.id ?? null, e.result?.summary ?? null, e.latencyMs ?? null]), [
    ["lifecycle", null, null, null],
    ["call", 2, "B", 1.5],
    ["call", 1, "A", 1.5],
  ]);
});

Deno.test("joinCallResults() adds the result line's redactions to the call's", () => {
  const c = { ...call(1, "s-1"), redactions: [{ ruleId: "a", pointer: "/x" }] };
  const r = { ...result(1, "s-1", "A"), redactions: [{ ruleId: "b", pointer: "#/summary" }] };
  assert.deepEqual(joinCallResults([c, r])[0]!.redactions, [{ ruleId: "a", pointer: "/x" }, {
    ruleId: "b",
    pointer: "#/summary",
  }]);
});

Deno.test("joinCallResults() keeps a call whose answer never came (a killed proxy), without a result", () => {
  const out = joinCallResults([call(1, "s-1"), call(2, "s-2"), result(2, "s-2", "B")]);
  assert.deepEqual(out.map((e) => [e.id, e.result?.summary]), [[2, "B"], [1, undefined]]);
});

Deno.test("CallResultJoiner passes complete calls through and drops a result with no call", () => {
  const j = new CallResultJoiner();
  const denied: TraceEventV1 = { ...call(1, "s-1"), forwarded: false, result: { outcome: "none" } };
  const notification: TraceEventV1 = { ...call(0, "s-0"), id: null };
  const oldStyle: TraceEventV1 = { ...call(3, "s-3"), result: { outcome: "ok" } };
  assert.deepEqual(j.push(denied), [denied]);
  assert.deepEqual(j.push(notification), [notification]);
  assert.deepEqual(j.push(oldStyle), [oldStyle]);
  assert.deepEqual(j.push(result(9, "s-9", "?")), []);
  assert.equal(j.waiting, 0);
});

Deno.test("CallResultJoiner keeps sessions apart: the same decision id in two sessions", () => {
  const other = (e: TraceEventV1): TraceEventV1 => ({ ...e, sessionId: "t" });
  const out = joinCallResults([
    call(1, "1"),
    other(call(1, "1")),
    other(result(1, "1", "T")),
    result(1, "1", "S"),
  ]);
  assert.deepEqual(out.map((e) => [e.sessionId, e.result?.summary]), [["t", "T"], ["s", "S"]]);
});
