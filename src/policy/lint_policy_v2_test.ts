import assert from "node:assert/strict";
import { parse } from "yaml";
import { lintPolicyV2 } from "./lint_policy_v2.ts";
import { PolicyV2Schema } from "./schema_v2.ts";

const lint = (yaml: string) => lintPolicyV2(PolicyV2Schema.parse(parse(yaml))).map((w) => w.message);

Deno.test("lintPolicyV2() warns about tool rules that never apply and scopes no profile reads", () => {
  const w = lint(`version: 2
servers:
  github:
    allowed_tools: [get_issue]
    denied_tools: [delete_repository, class:delete]
    tools:
      delete_repository: { arguments: { repo: { enum: [x] } } }
      create_issue: { arguments: { title: {} } }
  custom:
    scopes: { repos: ["a/*"] }
  web:
    scopes: { hosts: ["*.example.com"] }
  both:
    allowed_tools: [class:read]
    denied_tools: [class:read]
`);
  assert.ok(w.some((m) => m.includes('"delete_repository" is denied')), w.join("\n"));
  assert.ok(w.some((m) => m.includes('"create_issue" is not in allowed_tools')));
  assert.ok(w.some((m) => m.includes('argument "title" checks nothing')));
  assert.ok(w.some((m) => m.includes('server "custom" has scopes but no profile')));
  assert.ok(!w.some((m) => m.includes('server "web"')), "hosts need no profile");
  assert.ok(w.some((m) => m.includes('"class:read" is both allowed and denied')));
});

Deno.test("lintPolicyV2() is quiet on a clean policy", () => {
  assert.deepEqual(
    lint(`version: 2
servers:
  github:
    allowed_tools: [get_issue, create_issue]
    scopes: { repos: ["octo-org/*"] }
    tools:
      create_issue: { arguments: { title: { max_length: 200 } } }
`),
    [],
  );
});
