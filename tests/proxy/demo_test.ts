import assert from "node:assert/strict";
import { join } from "node:path";
import { childEnv, DENO, ROOT } from "./_helpers.ts";

Deno.test("deno task demo: scans, records, blocks the dangerous calls, infers a policy that blocks 8/8, reports; exit 0", async () => {
  const out = await new Deno.Command(DENO, {
    args: ["run", "-A", "--config", join(ROOT, "deno.json"), join(ROOT, "examples/demo.ts")],
    env: childEnv(),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const work = /Everything this run wrote is under (\S+)/.exec(text)?.[1];
  try {
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /recorded 4 calls/);
    assert.match(text, /the agent now sees 5 tools: read, write, list_repos, create_issue, send_email/);
    assert.match(text, /BLOCKED: AgentPerms blocked this call: Tool "delete_repo" is in denied_tools/);
    assert.match(text, /BLOCKED: AgentPerms blocked this call: Path "~\/.ssh\/id_rsa"/);
    assert.match(text, /approval required and no approval channel available/);
    assert.match(text, /APPROVE send_email .*approval: none refused/);
    assert.match(text, /HIGH\s+sensitive-path\s+filesystem-unpinned/);
    assert.match(
      text,
      /Denied dangerous tools it never used: demo\.delete_repo, demo\.exec, demo\.force_push, demo\.send_email/,
    );
    assert.match(text, /8\/8 attacks blocked\.\n\s+replay exit code 0/);
    assert.match(text, /wrote \S+agentperms-report\.html/);
  } finally {
    if (work?.startsWith("/tmp/") || work?.includes("agentperms-demo-")) {
      await Deno.remove(work!, { recursive: true });
    }
  }
});
