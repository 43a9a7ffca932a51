import assert from "node:assert/strict";
import { parsePolicy } from "./parse_policy.ts";
import { lintPolicy } from "./lint_policy.ts";

const lint = (yaml: string) => parsePolicy(yaml, { file: "p.yaml" }).warnings.map((w) => w.message);

Deno.test("lintPolicy() flags a tool both allowed and denied", () => {
  const w = lint("version: 1\nservers:\n  gh:\n    allowed_tools: [push]\n    denied_tools: [Push]\n");
  assert.ok(w.some((m) => /both allowed and denied/.test(m)), w.join("\n"));
});

Deno.test("lintPolicy() flags an approval entry for a denied tool", () => {
  const w = lint(
    "version: 1\nservers:\n  gh:\n    allowed_tools: [a]\n    denied_tools: [merge_pr]\napprovals:\n  require_human_approval: [gh.merge_pr]\n",
  );
  assert.ok(w.some((m) => /denied, never asked/.test(m)), w.join("\n"));
});

Deno.test("lintPolicy() flags an allowed path inside a denied one", () => {
  const w = lint(
    "version: 1\nservers:\n  fs:\n    allowed_paths: [~/.ssh/public]\n    denied_paths: [~/.SSH]\n",
  );
  assert.ok(w.some((m) => /lies inside denied path/.test(m)), w.join("\n"));
});

Deno.test("lintPolicy() flags patterns that can never match", () => {
  const w = lint('version: 1\nservers:\n  fs:\n    denied_patterns: ["", "secrets/"]\n');
  assert.equal(w.filter((m) => /can never match/.test(m)).length, 2);
});

Deno.test("lintPolicy() is quiet on a clean policy", () => {
  assert.deepEqual(
    lint("version: 1\nservers:\n  fs:\n    allowed_tools: [read]\n    allowed_paths: [./src]\n"),
    [],
  );
});

Deno.test("lintPolicy() names the first denied folder (policy order) around an allowed path, at any depth", () => {
  const w = lintPolicy({
    version: 1,
    servers: { fs: { denied_paths: ["/x", "/a/b/c", "/a"], allowed_paths: ["/a/b/c/d", "/a/bc", "/y"] } },
  });
  assert.deepEqual(w.map((x) => [x.message, x.path]), [
    ['allowed path "/a/b/c/d" lies inside denied path "/a/b/c"; the deny wins', [
      "servers",
      "fs",
      "allowed_paths",
      0,
    ]],
    ['allowed path "/a/bc" lies inside denied path "/a"; the deny wins', [
      "servers",
      "fs",
      "allowed_paths",
      1,
    ]],
  ]);
});
