// `agentperms replay --policy <v2 example>` replays the agent pack written for that policy (#18), in-process.
import assert from "node:assert/strict";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

async function replayJson(args: string[]) {
  const io = fakeIo({ cwd: ROOT, env: { HOME: "/home/tester" } });
  const code = await run(["replay", "--format", "json", ...args], io);
  return { code, out: JSON.parse(io.stdoutText()) as { runs: { pack: { id: string }; summary: Sum }[] } };
}
interface Sum {
  ok: boolean;
  attacks: { total: number; blocked: number };
  controls: { total: number; allowed: number };
}

for (
  const [file, pack] of [
    ["coding-agent", "policy-v2-coding"],
    ["data-agent", "policy-v2-data"],
    ["personal-assistant", "policy-v2-assistant"],
  ] as const
) {
  Deno.test(`replay --policy ${file}.v2 runs ${pack} by default and it passes; --only ${pack} exits 0`, async () => {
    const policy = `examples/policies/${file}.v2.mcp.policy.yaml`;
    const all = await replayJson(["--policy", policy]);
    const agent = all.out.runs.filter((r) => r.pack.id.startsWith("policy-v2-")).map((r) => r.pack.id);
    assert.deepEqual(agent, [pack]);
    const only = await replayJson(["--policy", policy, "--only", pack]);
    assert.equal(only.code, 0);
    const s = only.out.runs[0]!.summary;
    assert.equal(s.attacks.blocked, s.attacks.total);
    assert.equal(s.controls.allowed, s.controls.total);
  });
}

Deno.test("replay of a format 1 policy runs no agent pack", async () => {
  const r = await replayJson(["--policy", "examples/policies/example.mcp.policy.yaml"]);
  assert.deepEqual(r.out.runs.filter((x) => x.pack.id.startsWith("policy-v2-")), []);
});

Deno.test("replay's table for a format 2 policy names the rules that decided: the scope, SQL check or argument condition", async () => {
  const io = fakeIo({ cwd: ROOT, env: { HOME: "/home/tester" } });
  const code = await run(
    ["replay", "--policy", "examples/policies/data-agent.v2.mcp.policy.yaml", "--only", "policy-v2-data"],
    io,
  );
  assert.equal(code, 0);
  const rows = io.stdoutText().split("\n");
  assert.match(rows.find((l) => l.includes("│ Attack"))!, /│ Reason +│ Rules +│/);
  const row = (id: string) => rows.find((l) => l.startsWith(`│ ${id} `))!;
  assert.match(row("other-table"), /│ servers\.postgres\.scopes\.schemas +│$/);
  assert.match(row("commit-escape"), /│ servers\.postgres\.tools\.query\.sql +│$/);
  // An allowed control lists the scopes and the SQL check that held.
  assert.match(
    row("control.select-orders"),
    /servers\.postgres\.tools\.query\.scopes, servers\.postgres\.tools\.query\.sql +│$/,
  );
  // A format 1 policy keeps the five columns.
  const v1 = fakeIo({ cwd: ROOT, env: { HOME: "/home/tester" } });
  await run(["replay", "--policy", "examples/policies/example.mcp.policy.yaml", "--only", "original"], v1);
  assert.doesNotMatch(v1.stdoutText(), /│ Rules/);
});
