/**
 * The toxic-flow pack (#18 item 7): multi-call attacks replayed with session rules. Every attack must be
 * blocked by a session rule (not by a rule that would block the call alone), and every benign control allowed.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { SESSION_PACKS } from "../../attacks/mod.ts";
import { compilePolicy, parsePolicy } from "../../src/policy/mod.ts";
import { SessionRulesSchema } from "../../src/policy/session_rules_schema.ts";
import { defineAttackPack, replayPack, summarizeReplay } from "../../src/replay/mod.ts";
import { validateAttackPack } from "../../src/plugins/mod.ts";

const home = "/home/ci";
const cwd = "/work";
const pack = SESSION_PACKS.find((p) => p.id === "toxic-flow")!;

// Every tool the pack calls is allowed on its own: only the order of calls can make one dangerous.
const POLICY = `
version: 1
servers:
  github:
    allowed_tools: [get_issue, get_file_contents, list_commits, create_pull_request, create_or_update_file, push_files]
  gmail:
    allowed_tools: [send_email, read_email, create_filter]
  fetch:
    allowed_tools: [fetch]
  slack:
    allowed_tools: [slack_get_channel_history, slack_post_message]
`;

// The rule docs/policy.md ships first.
const RULES = SessionRulesSchema.parse(parse(`
- id: untrusted-then-send
  after: { untrusted: true, open_world: true, classes: [network] }
  then: { classes: [send], other_scope: [write, delete], new_host: [network] }
  verdict: approve
`));

const compiled = compilePolicy(parsePolicy(POLICY, { file: "toxic.yaml" }).policy, { baseDir: cwd, home });

Deno.test("toxic-flow pack: every attack is blocked by the session rule, every control allowed", () => {
  const results = replayPack(compiled, pack, { cwd, home, sessionRules: RULES });
  const s = summarizeReplay(results);
  assert.deepEqual(s.holes, [], "attacks that got through");
  assert.deepEqual(s.overBlocked, [], "benign controls that were blocked");
  assert.ok(s.attacks.total >= 7 && s.controls.total >= 5, JSON.stringify([s.attacks, s.controls]));
  for (const r of results.filter((x) => x.expect === "block")) {
    assert.equal(r.verdict, "approve", r.id);
    assert.equal(r.ruleIds[0], "session_rules[0]/untrusted-then-send", r.id);
    assert.match(r.reason, /returned untrusted content earlier in this session/, r.id);
    assert.ok((r.before ?? 0) >= 1, r.id);
  }
});

Deno.test("toxic-flow pack: without session rules every call passes, so the block above is the rules' doing", () => {
  const results = replayPack(compiled, pack, { cwd, home });
  assert.deepEqual(results.filter((r) => r.verdict !== "allow").map((r) => r.id), []);
});

Deno.test("toxic-flow pack: a deny rule turns the approvals into denials with the reason of the first arming", () => {
  const deny = RULES.map((r) => ({ ...r, verdict: "deny" as const }));
  const r = replayPack(compiled, pack, { cwd, home, sessionRules: deny })
    .find((x) => x.attack === "issue-then-mail")!;
  assert.equal(r.verdict, "deny");
  assert.match(r.reason, /^github\.get_issue returned untrusted content .*gmail\.send_email .* is denied/);
});

Deno.test("an attack's `before` calls are validated like its call, and single-call attacks still work", () => {
  const base = {
    apiVersion: 1,
    id: "p",
    version: "1.0.0",
    description: "d",
    attacks: [{
      id: "a",
      title: "t",
      severity: "low",
      expect: "allow",
      call: { server: "s", tool: "x" },
      before: [{ server: "s" }],
    }],
  };
  assert.ok(validateAttackPack(base).some((i) => i.path === "attacks.0.before.0.tool"));
  const ok = defineAttackPack({
    apiVersion: 1,
    id: "p",
    version: "1.0.0",
    description: "d",
    attacks: [{
      id: "a",
      title: "t",
      severity: "low",
      expect: "allow",
      call: { server: "fetch", tool: "fetch" },
    }],
  });
  const [r] = replayPack(compiled, ok, { cwd, home, sessionRules: RULES });
  assert.equal(r?.before, undefined);
});
