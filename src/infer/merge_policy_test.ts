import assert from "node:assert/strict";
import { canonicalizeCall } from "../canonical/mod.ts";
import { decide } from "../decision/mod.ts";
import { compilePolicy, parsePolicy, type Policy, type PolicyV1 } from "../policy/mod.ts";
import { mergePolicy } from "./merge_policy.ts";

const existing = parsePolicy(
  `version: 1
servers:
  fs:
    allowed_tools: [read_file, write_file]
    denied_tools: [delete_file]
    denied_paths: [/srv/secret]
  github:
    allowed_tools: [list_repos]
approvals:
  require_human_approval: [fs.write_file]
redaction: { secrets: true, emails: false, api_keys: true }
`,
  { file: "p.yaml" },
).policy;

const inferred: PolicyV1 = {
  version: 1,
  servers: {
    fs: {
      allowed_tools: ["delete_file", "read_file", "write_file", "stat"],
      denied_tools: ["write_file", "exec"],
      allowed_paths: ["/srv"],
      denied_paths: ["~/.ssh"],
    },
    web: { allowed_tools: ["fetch"], allowed_hosts: ["example.com"] },
  },
  approvals: { require_human_approval: [] },
};

const verdict = (p: Policy, server: string, tool: string, args: Record<string, unknown> = {}) =>
  decide(
    compilePolicy(p, { baseDir: "/p", home: "/home/u" }),
    canonicalizeCall({ server, tool, arguments: args }, { cwd: "/p", home: "/home/u" }),
  ).verdict;

Deno.test("mergePolicy() never loosens an existing deny or approval", () => {
  const { policy } = mergePolicy(existing, inferred);
  assert.equal(verdict(policy, "fs", "delete_file"), "deny");
  assert.equal(verdict(policy, "fs", "write_file", { path: "/srv/a" }), "approve");
  assert.equal(verdict(policy, "fs", "read_file", { path: "/srv/secret/k" }), "deny");
  assert.deepEqual(policy.servers!.fs!.allowed_tools, ["read_file", "write_file", "stat"]);
  assert.deepEqual(policy.servers!.fs!.denied_paths, ["/srv/secret", "~/.ssh"]);
  assert.deepEqual(policy.redaction, existing.redaction);
});

Deno.test("mergePolicy() adds inferred allows and servers, keeps explicit human allows over inferred denies", () => {
  const { policy, notes } = mergePolicy(existing, inferred);
  assert.equal(verdict(policy, "fs", "stat", { path: "/srv/x" }), "allow");
  assert.equal(verdict(policy, "web", "fetch", { url: "https://example.com/" }), "allow");
  assert.equal(verdict(policy, "github", "list_repos"), "allow");
  assert.deepEqual(policy.servers!.fs!.denied_tools, ["delete_file", "exec"]);
  assert.ok(notes.some((n) => n.includes('"write_file" allowed as written')));
  assert.ok(notes.some((n) => n.includes('"delete_file" stays denied')));
  assert.deepEqual(Object.keys(policy.servers!), ["fs", "github", "web"]);
});
