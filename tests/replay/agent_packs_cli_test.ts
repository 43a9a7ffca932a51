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
