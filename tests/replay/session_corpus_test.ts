/**
 * Session rule corpus (#18 item 7): each `session_cases/*.yaml` is one session (`calls`, in order) judged like
 * `check --session` (decide(), then the session rules with the state carried); `want` is about the last call.
 * A case may carry its own `policy` (YAML text); otherwise `_policy.yaml` is used.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { sessionJudge } from "../../src/cli/commands/_check_session.ts";
import { compilePolicy, parsePolicy } from "../../src/policy/mod.ts";
import { sessionRulesOf } from "../../src/policy/session_rules_schema.ts";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";

const DIR = new URL("./session_cases/", import.meta.url);
const home = "/home/ci";
const cwd = "/work";

interface Case {
  note: string;
  policy?: string;
  calls: Record<string, unknown>[];
  want: { verdict: string; ruleIds?: string[] };
}

function judgeWith(text: string) {
  const { policy } = parsePolicy(text, { file: "policy.yaml" });
  const compiled = compilePolicy(policy, { baseDir: cwd, home });
  return sessionJudge(compiled, sessionRulesOf(policy), {
    cwd,
    home,
    realpath: () => undefined,
    profiles: BUILTIN_PROFILES,
  });
}

const shared = Deno.readTextFileSync(new URL("_policy.yaml", DIR));
const names = [...Deno.readDirSync(fileURLToPath(DIR))].map((e) => e.name)
  .filter((n) => n.endsWith(".yaml") && !n.startsWith("_")).sort();

Deno.test("session corpus: at least a dozen cases, attacks and benign ones", () => {
  assert.ok(names.length >= 12, String(names.length));
});

for (const name of names) {
  const c = parse(Deno.readTextFileSync(new URL(name, DIR))) as Case;
  Deno.test(`session corpus ${name}: ${c.note}`, () => {
    const step = judgeWith(c.policy ?? shared);
    const decisions = c.calls.map((call) => step(call));
    const last = decisions.at(-1)!;
    assert.equal(last.verdict, c.want.verdict, last.reason);
    if (c.want.ruleIds) assert.deepEqual(last.ruleIds, c.want.ruleIds, last.reason);
    // Only the last call is about the rule: every earlier one is allowed by the policy alone.
    for (const d of decisions.slice(0, -1)) assert.notEqual(d.verdict, "deny", d.reason);
  });
}
