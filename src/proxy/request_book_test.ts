import assert from "node:assert/strict";
import { blockedReply, RequestBook } from "./request_book.ts";

Deno.test("blockedReply() answers a tool call with an isError result and anything else with error -32001", () => {
  const o = { id: 7, reason: "no", decisionId: "s-1", ruleIds: ["r[0]"] };
  const asResult = blockedReply({ ...o, asToolResult: true }).result as Record<string, unknown>;
  assert.equal(asResult.isError, true);
  assert.deepEqual(asResult._meta, { agentperms: { decisionId: "s-1", ruleIds: ["r[0]"] } });
  assert.deepEqual(blockedReply(o), {
    jsonrpc: "2.0",
    id: 7,
    error: {
      code: -32001,
      message: "AgentPerms blocked this call: no",
      data: { decisionId: "s-1", ruleIds: ["r[0]"] },
    },
  });
});

Deno.test("RequestBook matches repeated ids in order, a loose id to its request, and sends a batch once", () => {
  const sent: string[] = [];
  const book = new RequestBook({
    send: (m) => void sent.push(JSON.stringify(m)),
    sendBatch: (t) => void sent.push(t),
  });
  book.add({ id: 1, method: "a", t0: 0 });
  book.add({ id: 1, method: "b", t0: 0 });
  assert.equal(book.take(1)?.pending.method, "a");
  assert.equal(book.take(1)?.pending.method, "b");
  assert.equal(book.take(1), undefined);
  book.add({ id: 2, method: "c", t0: 0 });
  assert.deepEqual(book.take("2"), { pending: { id: 2, method: "c", t0: 0 }, loose: true });
  const batch = book.openBatch();
  book.add({ id: 3, method: "d", t0: 0, batch });
  book.respond(batch, { id: 4 });
  book.closeBatch(batch);
  assert.equal(sent.length, 0, "an element is still outstanding");
  book.settle(batch, { id: 3 });
  assert.deepEqual(sent, ['[{"id":4},{"id":3}]']);
});
