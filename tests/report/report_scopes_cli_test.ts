// `agentperms report` shows the scopes in use (#18 item 9): per server, the repositories, recipients, hosts…
// the traced calls touched, read through the server profiles and judged by decide(), in text, JSON and HTML.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";

const ROOT = resolve(import.meta.dirname!, "../..");
const POLICY = join(ROOT, "examples/policies/coding-agent.v2.mcp.policy.yaml");
const ASSISTANT = join(ROOT, "examples/policies/personal-assistant.v2.mcp.policy.yaml");

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-report-scopes-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

const call = (i: number, server: string, tool: string, args: unknown) =>
  JSON.stringify({
    v: 1,
    kind: "call",
    time: `2026-01-01T10:${String(i).padStart(2, "0")}:00.000Z`,
    sessionId: "s1",
    server,
    mode: "record",
    method: "tools/call",
    tool,
    arguments: args,
    decision: { verdict: "allow", ruleIds: [], reason: "recorded" },
    forwarded: true,
  });

async function workspace(dir: string): Promise<void> {
  await Deno.writeTextFile(join(dir, ".mcp.json"), "{}");
  await Deno.mkdir(join(dir, "traces"));
  await Deno.writeTextFile(
    join(dir, "traces", "t.jsonl"),
    [
      call(0, "github", "get_issue", { owner: "octo-org", repo: "app", issue_number: 1 }),
      call(1, "github", "list_commits", { owner: "Octo-Org", repo: "App" }),
      call(2, "github", "get_issue", { owner: "evil-org", repo: "payload", issue_number: 1 }),
      call(3, "fetch", "fetch", { url: "https://docs.deno.com/runtime/" }),
      call(4, "gmail", "send_email", { to: ["carol@example.com"], subject: "s", body: "b" }),
      call(5, "gmail", "send_email", { to: ["drop@evil.test"], subject: "s", body: "b" }),
    ].join("\n") + "\n",
  );
}

async function report(dir: string, policy: string, format: string) {
  const io = fakeIo({ cwd: dir, env: { HOME: join(dir, "home") }, now: new Date("2026-01-02T00:00:00Z") });
  const code = await run(
    ["report", "--policy", policy, "--path", dir, "--traces", "traces", "--format", format],
    io,
  );
  assert.equal(code, 0, io.stderrText());
  return io.stdoutText();
}

Deno.test("report --format text lists the scopes in use per server with calls, verdict and rules", async () => {
  await using dir = await tempDir();
  await workspace(dir.path);
  const text = await report(dir.path, POLICY, "text");
  assert.match(text, /^Scopes in use:$/m);
  assert.match(text, /^ {2}github \(profile github\): 3 call\(s\)$/m);
  assert.match(text, /^ {6}octo-org\/app +2 call\(s\) {2}allowed by scopes {2}servers\.github\.scopes$/m);
  assert.match(
    text,
    /^ {6}evil-org\/payload +1 call\(s\) {2}DENIED by scopes {2}servers\.github\.scopes\.repos$/m,
  );
  // fetch has allowed_hosts but no scopes: the host is listed, with no scope rule.
  assert.match(text, /^ {6}docs\.deno\.com +1 call\(s\) {2}no scope rule$/m);
  // gmail is not in the coding agent's policy: unknown-server decides.
  assert.match(
    text,
    /^ {6}example\.com +1 call\(s\) {2}call decided by another rule or value {2}unknown-server$/m,
  );
});

Deno.test("report --format json carries the scopes section, judged by the assistant's policy and redacted", async () => {
  await using dir = await tempDir();
  await workspace(dir.path);
  const out = JSON.parse(await report(dir.path, ASSISTANT, "json"));
  assert.equal(out.scopes.available, true);
  assert.equal(out.scopes.value.judged, true);
  const gmail = out.scopes.value.servers.find((s: { server: string }) => s.server === "gmail");
  assert.equal(gmail.profile, "gmail");
  const domains = gmail.kinds.find((k: { kind: string }) => k.kind === "recipient_domains").values;
  const byValue = Object.fromEntries(domains.map((v: { value: string; verdict: string }) => [v.value, v]));
  assert.equal(byValue["example.com"].verdict, "allowed", "scope rules held, then approval (class:send)");
  assert.deepEqual(byValue["example.com"].ruleIds, ["approvals.require_human_approval[0]"]);
  assert.equal(byValue["evil.test"].verdict, "denied");
  assert.deepEqual(byValue["evil.test"].ruleIds, ["servers.gmail.scopes.recipient_domains"]);
  // Addresses are redacted like every other string of the report; domains are not addresses.
  assert.ok(!JSON.stringify(out).includes("carol@example.com"));
});

Deno.test("report HTML has a Scopes in use section; without traces it says why it is not available", async () => {
  await using dir = await tempDir();
  await workspace(dir.path);
  const io = fakeIo({ cwd: dir.path, env: { HOME: join(dir.path, "home") } });
  assert.equal(
    await run(["report", "--policy", POLICY, "--path", dir.path, "--traces", "traces"], io),
    0,
    io.stderrText(),
  );
  const html = await Deno.readTextFile(join(dir.path, "agentperms-report.html"));
  assert.match(html, /<section id="scopes"><h2>Scopes in use<\/h2>/);
  assert.match(html, /<code>evil-org\/payload<\/code>/);
  assert.match(html, /<code>servers\.github\.scopes\.repos<\/code>/);
  const io2 = fakeIo({ cwd: dir.path, env: { HOME: join(dir.path, "home") } });
  assert.equal(await run(["report", "--policy", POLICY, "--path", dir.path, "--format", "json"], io2), 0);
  assert.equal(JSON.parse(io2.stdoutText()).scopes.available, false);
});
