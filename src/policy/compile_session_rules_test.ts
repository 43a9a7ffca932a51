import assert from "node:assert/strict";
import { compilePolicy, parsePolicy } from "./mod.ts";

Deno.test("compilePolicy() carries a format 2 policy's session rules, so every proxy enforces them", () => {
  const yaml = `version: 2
servers: {}
session_rules:
  - id: untrusted-then-send
    after: { untrusted: true }
    then: { classes: [send] }
`;
  const compiled = compilePolicy(parsePolicy(yaml, { file: "p.yaml" }).policy, { baseDir: "/", home: "/h" });
  assert.deepEqual(compiled.sessionRules?.map((r) => [r.id, r.verdict]), [[
    "untrusted-then-send",
    "approve",
  ]]);
  const none = compilePolicy(parsePolicy("version: 2\nservers: {}\n", { file: "p" }).policy, {
    baseDir: "/",
    home: "/h",
  });
  assert.equal(none.sessionRules, undefined);
});
