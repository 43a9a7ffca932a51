import assert from "node:assert/strict";
import { parse } from "yaml";
import { SessionRulesSchema } from "./session_rules_schema.ts";

const messages = (v: unknown) => {
  const r = SessionRulesSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

Deno.test("SessionRulesSchema reads the documented example and defaults the verdict to approve", () => {
  const rules = SessionRulesSchema.parse(parse(`
- id: untrusted-then-send
  description: after untrusted content, sending and new reach need a human
  after: { untrusted: true, open_world: true, classes: [network], tools: [github.get_issue] }
  then: { classes: [send], other_scope: [write, delete], new_host: [network] }
- id: no-shell-after-web
  after: { tools: ["fetch.*"] }
  then: { classes: [exec] }
  verdict: deny
`));
  assert.equal(rules[0]!.verdict, "approve");
  assert.equal(rules[1]!.verdict, "deny");
});

Deno.test("SessionRulesSchema refuses rules that could loosen or mean nothing", () => {
  const base = { id: "r", after: { untrusted: true }, then: { classes: ["send"] } };
  assert.deepEqual(messages([base]), []);
  assert.match(messages([{ ...base, verdict: "allow" }]).join(), /verdict/);
  assert.match(messages([{ ...base, after: {} }]).join(), /after: needs at least one/);
  assert.match(messages([{ ...base, after: { untrusted: false } }]).join(), /after: needs at least one/);
  assert.match(messages([{ ...base, then: {} }]).join(), /then: needs at least one/);
  assert.match(messages([{ ...base, then: { classes: ["mail"] } }]).join(), /then\.classes\.0/);
  assert.match(messages([{ ...base, after: { tools: ["get_issue"] } }]).join(), /server\.tool/);
  assert.match(messages([{ ...base, after: { untrusted: true, extra: 1 } }]).join(), /extra/);
  assert.match(messages([{ ...base, id: "Bad Id" }]).join(), /id/);
  assert.match(messages([base, base]).join(), /duplicate session rule id "r"/);
});
