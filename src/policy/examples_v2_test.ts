import assert from "node:assert/strict";
import { canonicalizeCall, type RawCall } from "../canonical/mod.ts";
import { decide } from "../decision/mod.ts";
import { loadSqlParsers } from "../sql/mod.ts";
import { loadPolicy } from "./mod.ts";

await loadSqlParsers();

const DIR = new URL("../../examples/policies/", import.meta.url).pathname;
const HOME = "/home/user";
const load = (name: string) =>
  loadPolicy(`${name}.v2.mcp.policy.yaml`, { cwd: DIR, home: HOME, realpath: () => undefined });

function judge(compiled: Awaited<ReturnType<typeof load>>["compiled"], raw: RawCall) {
  const call = canonicalizeCall(raw, { cwd: DIR, home: HOME });
  if (!("arguments" in call)) Object.assign(call, { arguments: raw.arguments ?? {} });
  return decide(compiled, call);
}

for (const name of ["coding-agent", "data-agent", "personal-assistant"]) {
  Deno.test(`examples/policies/${name}.v2: loads as format 2 and lints clean`, async () => {
    const loaded = await load(name);
    assert.equal((loaded.policy as { version: number }).version, 2);
    assert.ok(loaded.compiled.v2, "compiled with its v2 rules");
    assert.deepEqual(loaded.warnings, []);
  });
}

Deno.test("examples/policies/coding-agent.v2: the organization's repositories, branch rules, class denies and approvals", async () => {
  const { compiled } = await load("coding-agent");
  const gh = (tool: string, args: Record<string, unknown>) =>
    judge(compiled, { server: "github", tool, arguments: args });
  assert.equal(gh("get_issue", { owner: "octo-org", repo: "app", issue_number: 1 }).verdict, "allow");
  assert.deepEqual(gh("get_issue", { owner: "evil-org", repo: "app", issue_number: 1 }).ruleIds, [
    "servers.github.scopes.repos",
  ]);
  assert.deepEqual(
    gh("push_files", { owner: "octo-org", repo: "app", branch: "main", files: [], message: "m" }).ruleIds,
    ["servers.github.tools.push_files.arguments.branch"],
  );
  assert.deepEqual(gh("delete_repository", { owner: "octo-org", repo: "app" }).ruleIds, [
    "servers.github.denied_tools[0]",
  ]);
  const pr = { owner: "octo-org", repo: "app", title: "t", head: "feature/x", base: "main" };
  assert.equal(gh("create_pull_request", pr).verdict, "approve");
  assert.equal(gh("create_pull_request", { ...pr, base: "release" }).verdict, "deny");
  const git = judge(compiled, { server: "git", tool: "git_status", arguments: { repo_path: "/etc" } });
  assert.deepEqual(git.ruleIds, ["servers.git.tools.*.arguments.repo_path"]);
});

Deno.test("examples/policies/data-agent.v2: read-only SQL on its tables, its own namespaces", async () => {
  const { compiled } = await load("data-agent");
  const q = (sql: string) => judge(compiled, { server: "postgres", tool: "query", arguments: { sql } });
  assert.equal(q("SELECT * FROM public.orders").verdict, "allow");
  assert.deepEqual(q("SELECT 1; COMMIT; DROP TABLE public.orders").ruleIds, [
    "servers.postgres.tools.query.sql",
  ]);
  assert.deepEqual(q("SELECT * FROM billing.cards").ruleIds, ["servers.postgres.scopes.schemas"]);
  const k = (args: Record<string, unknown>) =>
    judge(compiled, { server: "kubernetes", tool: "kubectl_get", arguments: args });
  assert.equal(k({ resourceType: "pods", namespace: "data-etl" }).verdict, "allow");
  assert.deepEqual(k({ resourceType: "pods", namespace: "prod" }).ruleIds, [
    "servers.kubernetes.scopes.namespaces",
  ]);
  assert.equal(
    judge(compiled, { server: "kubernetes", tool: "kubectl_delete", arguments: {} }).verdict,
    "deny",
  );
});

Deno.test("examples/policies/personal-assistant.v2: recipients, channels, no forwarding, asks before sending", async () => {
  const { compiled } = await load("personal-assistant");
  const mail = (tool: string, args: Record<string, unknown>) =>
    judge(compiled, { server: "gmail", tool, arguments: args });
  assert.equal(mail("send_email", { to: ["bob@example.com"], subject: "s", body: "b" }).verdict, "approve");
  assert.deepEqual(mail("send_email", { to: ["x@evil.test"], subject: "s", body: "b" }).ruleIds, [
    "servers.gmail.scopes.recipient_domains",
  ]);
  assert.equal(mail("create_filter", { action: { forward: "bob@example.com" } }).verdict, "deny");
  assert.equal(mail("read_email", { messageId: "1" }).verdict, "allow");
  const slack = (channel_id: string) =>
    judge(compiled, { server: "slack", tool: "slack_post_message", arguments: { channel_id, text: "hi" } });
  assert.equal(slack("team-infra").verdict, "approve");
  assert.deepEqual(slack("random").ruleIds, ["servers.slack.scopes.channels"]);
});
