/**
 * Approval on a real terminal: the proxy runs with a pseudo-terminal as its controlling terminal
 * (`_pty_run.py` plays the human and types the answers), while the SDK client talks JSON-RPC over the pipes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { demoServer, firstText, proxyArgv, ROOT, sdkClient, tempDir, traceEvents } from "./_helpers.ts";

const PTY_RUN = join(ROOT, "tests/proxy/_pty_run.py");
const POLICY = join(ROOT, "examples/policies/demo.mcp.policy.yaml");

Deno.test("proxy asks on /dev/tty with the full arguments: 'y' forwards, 'a' remembers for the session, 'n' denies", async () => {
  await using tmp = await tempDir();
  const traces = join(tmp.path, "t");
  const proxy = proxyArgv(
    { mode: "enforce", server: "demo", policy: POLICY, traceDir: traces, tty: true },
    demoServer(),
  );
  {
    await using client = await sdkClient(["python3", PTY_RUN, "y,a,n", ...proxy]);
    const mail = { to: "boss@example.com", subject: "Report", body: "see attached" };
    const once = await client.callTool({ name: "send_email", arguments: mail });
    assert.match(firstText(once), /\[demo\] would run send_email/);
    const session = await client.callTool({ name: "send_email", arguments: { ...mail, subject: "Again" } });
    assert.match(firstText(session), /would run/);
    const remembered = await client.callTool({
      name: "send_email",
      arguments: { ...mail, subject: "Again" },
    });
    assert.match(firstText(remembered), /would run/);
    const refused = await client.callTool({
      name: "send_email",
      arguments: { ...mail, to: "eve@example.com" },
    });
    assert.equal(refused.isError, true);
    assert.match(firstText(refused), /approval denied: refused by the user/);
  }
  const approvals = (await traceEvents(traces)).filter((e) => e.approval).map((e) => [
    e.approval!.channel,
    e.approval!.granted,
  ]);
  assert.deepEqual(approvals, [["tty", true], ["tty", true], ["session", true], ["tty", false]]);
});

Deno.test("proxy: while a terminal prompt waits, other calls flow; the client's cancel withdraws the prompt", async () => {
  await using tmp = await tempDir();
  const traces = join(tmp.path, "t");
  const proxy = proxyArgv(
    { mode: "enforce", server: "demo", policy: POLICY, traceDir: traces, tty: true },
    demoServer(),
  );
  {
    // No answers: the human never types anything.
    await using client = await sdkClient(["python3", PTY_RUN, "", ...proxy]);
    const abort = new AbortController();
    const pending = client.callTool(
      { name: "send_email", arguments: { to: "a@b.c", subject: "s", body: "b" } },
      undefined,
      { signal: abort.signal },
    );
    const other = await client.callTool({ name: "list_repos", arguments: {} });
    assert.match(firstText(other), /would run list_repos/);
    abort.abort("user pressed stop");
    await assert.rejects(pending);
    // The proxy is still serving after the withdrawal.
    assert.match(firstText(await client.callTool({ name: "list_repos", arguments: {} })), /would run/);
  }
  const mail = (await traceEvents(traces)).filter((e) => e.tool === "send_email");
  assert.equal(mail.length, 1);
  assert.equal(mail[0]!.forwarded, false);
  assert.deepEqual(mail[0]!.approval, { channel: "tty", granted: false, detail: "withdrawn" });
});
