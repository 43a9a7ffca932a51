// Tests for the small core changes the replay work needed (listed in the replay report).
import assert from "node:assert/strict";
import * as lib from "../../mod.ts";
import { canonicalizeCall } from "../../src/canonical/mod.ts";
import { decide } from "../../src/decision/mod.ts";
import { compilePolicy, parsePolicy } from "../../src/policy/mod.ts";

const opts = { cwd: "/repo", home: "/home/me" };
const policy = compilePolicy(
  parsePolicy("version: 1\nservers:\n  git:\n    allowed_paths: [.]\n", { file: "p.yaml" }).policy,
  { baseDir: "/repo", home: "/home/me" },
);

for (const key of ["base_branch", "contains", "not_contains"]) {
  Deno.test(`canonicalizeCall() reads mcp-server-git "${key}" as a ref, so option injection through it is denied`, () => {
    const call = canonicalizeCall({
      server: "git",
      tool: "git_branch",
      arguments: { repo_path: ".", [key]: "--output=./notes.txt" },
    }, opts);
    assert.deepEqual(call.refs.map((r) => r.key), [key]);
    const d = decide(policy, call);
    assert.equal(d.verdict, "deny");
    assert.deepEqual(d.ruleIds, ["guard/option-injection"]);
  });
}

Deno.test("canonicalizeCall() still allows an ordinary contains sha", () => {
  const call = canonicalizeCall({
    server: "git",
    tool: "git_branch",
    arguments: { repo_path: ".", branch_type: "local", contains: "4f2a9c1" },
  }, opts);
  assert.equal(decide(policy, call).verdict, "allow");
});

Deno.test("mod.ts exports the replay and attack pack API", () => {
  for (
    const name of [
      "defineAttackPack",
      "loadAttackPack",
      "replayPack",
      "expandWithMutators",
      "summarizeReplay",
    ]
  ) {
    assert.equal(typeof (lib as Record<string, unknown>)[name], "function", name);
  }
  assert.ok(lib.BUILTIN_PACKS.length >= 2);
  assert.ok(lib.MUTATORS.traversal);
});
