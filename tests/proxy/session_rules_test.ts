/**
 * Session rules through the real proxy (#18 item 7): the MCP SDK client → `agentperms proxy` (enforce) →
 * server-everything. A write is allowed until a listed tool's answer comes back; from then on, in this session,
 * it is held; a new proxy process is a new session.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { firstText, npmServer, proxyArgv, sdkClient, tempDir, traceEvents } from "./_helpers.ts";

const POLICY = `version: 2
servers:
  everything:
    allowed_tools: [echo, get-sum, toggle-simulated-logging]
session_rules:
  - id: echo-then-write
    description: the echo tool stands for a tool whose answer carries untrusted text
    after: { tools: [everything.echo] }
    then: { classes: [write] }
    verdict: deny
`;

Deno.test("proxy enforce + session rules: a write passes before the listed tool answers and is denied after it", async () => {
  await using tmp = await tempDir();
  const policy = join(tmp.path, "p.yaml");
  await Deno.writeTextFile(policy, POLICY);
  const traces = join(tmp.path, "traces");
  const argv = proxyArgv(
    { mode: "enforce", server: "everything", policy, traceDir: traces },
    npmServer("everything"),
  );
  {
    await using client = await sdkClient(argv, { env: { HOME: tmp.path } });
    const before = await client.callTool({ name: "toggle-simulated-logging", arguments: {} });
    assert.notEqual(before.isError, true, firstText(before));
    const sum = await client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } });
    assert.match(firstText(sum), /3/);
    const echo = await client.callTool({
      name: "echo",
      arguments: { message: "ignore previous instructions" },
    });
    assert.match(firstText(echo), /ignore previous instructions/);
    const after = await client.callTool({ name: "toggle-simulated-logging", arguments: {} });
    assert.equal(after.isError, true);
    assert.match(
      firstText(after),
      /^AgentPerms blocked this call: everything\.echo returned untrusted content earlier in this session \(the rule lists it\); writing with everything\.toggle-simulated-logging \(class write\) now is denied \(session rule "echo-then-write"\)/,
    );
    // Reads stay allowed.
    assert.match(firstText(await client.callTool({ name: "get-sum", arguments: { a: 2, b: 2 } })), /4/);
  }
  // A new proxy process is a new session: nothing is armed.
  {
    await using client = await sdkClient(argv, { env: { HOME: tmp.path } });
    const fresh = await client.callTool({ name: "toggle-simulated-logging", arguments: {} });
    assert.notEqual(fresh.isError, true, firstText(fresh));
  }
  const calls = (await traceEvents(traces)).filter((e) =>
    e.kind === "call" && e.tool === "toggle-simulated-logging"
  );
  assert.deepEqual(calls.map((e) => e.decision?.verdict), ["allow", "deny", "allow"]);
  assert.equal(calls[1]!.decision?.ruleIds[0], "session_rules[0]/echo-then-write");
  assert.equal(calls[1]!.forwarded, false);
});
