import assert from "node:assert/strict";
import { bareCall } from "../canonical/mod.ts";
import type { Decision } from "../decision/mod.ts";
import { Approvals } from "./approvals.ts";

const call = { ...bareCall("fs", "tools/call", "client"), tool: "send_email" };
const decision: Decision = { verdict: "approve", ruleIds: ["a[0]"], reason: "needs a human", errors: [] };

Deno.test("Approvals.ask() without elicitation or a terminal resolves as not granted (no channel)", async () => {
  const a = new Approvals({ server: "fs", sessionId: "s", toClient: () => {} });
  const o = await a.ask(call, decision, { requestId: 1, arguments: {} });
  assert.deepEqual(o, {
    channel: "none",
    granted: false,
    session: false,
    detail: "approval required and no approval channel available",
  });
});

Deno.test("Approvals asks by elicitation, remembers allow-session, and cancel() withdraws a question", async () => {
  const sent: Record<string, unknown>[] = [];
  const a = new Approvals({ server: "fs", sessionId: "s", toClient: (m) => void sent.push(m) });
  a.clientElicitation = true;
  const first = a.ask(call, decision, { requestId: 1, arguments: { to: "x" } });
  assert.equal(sent[0]!.method, "elicitation/create");
  assert.ok(
    a.answer({ id: sent[0]!.id, result: { action: "accept", content: { decision: "allow-session" } } }),
  );
  assert.equal((await first).granted, true);
  assert.ok(a.grantedForSession(call, { to: "x" }));
  assert.ok(!a.grantedForSession(call, { to: "y" }));
  const second = a.ask(call, decision, { requestId: 2, arguments: { to: "y" } });
  assert.equal(a.size, 1);
  assert.equal(a.cancel(2), "elicitation");
  assert.equal(a.size, 0);
  assert.equal(sent[2]!.method, "notifications/cancelled");
  assert.deepEqual(await second, {
    channel: "elicitation",
    granted: false,
    session: false,
    detail: "withdrawn",
  });
  // A late answer to the withdrawn question is still the proxy's, and changes nothing.
  assert.ok(a.answer({ id: sent[1]!.id, result: { action: "accept", content: { decision: "allow" } } }));
});
