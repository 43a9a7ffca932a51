// The pack test docs/attack-packs.md tells security teams to copy: load the pack, replay it against the
// policy it protects, and fail on any hole or over-block.
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPolicy } from "../../src/policy/mod.ts";
import { loadAttackPack, replayPack, summarizeReplay } from "../../src/replay/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const CASES: [pack: string, policy: string][] = [
  ["examples/attack-packs/git_server_pack.ts", "examples/attack-packs/git-repo/mcp.policy.yaml"],
  ["examples/attack-packs/cloud_credentials_pack.yaml", "examples/policies/example.mcp.policy.yaml"],
];

for (const [pack, policy] of CASES) {
  Deno.test(`loadAttackPack() + replayPack(): ${pack} is fully blocked by ${policy}`, async () => {
    const home = "/home/ci";
    const loaded = await loadPolicy(policy, { cwd: ROOT, home });
    const p = await loadAttackPack(pack, { cwd: ROOT });
    const results = replayPack(loaded.compiled, p, { cwd: dirname(loaded.file), home });
    const s = summarizeReplay(results);
    assert.deepEqual(s.holes, [], "attacks that got through");
    assert.deepEqual(s.overBlocked, [], "benign controls that were blocked");
    assert.deepEqual(s.unknownServers, {}, "blocks that prove nothing about the real server");
    assert.ok(s.attacks.total > 0 && s.controls.total > 0);
  });
}
