import assert from "node:assert/strict";
import { canonicalizeCall } from "../src/canonical/mod.ts";
import { attachCallFacts, decide } from "../src/decision/mod.ts";
import { type CompiledPolicy, compilePolicy, parsePolicy } from "../src/policy/mod.ts";
import type { Attack } from "../src/plugins/mod.ts";
import { loadSqlParsers } from "../src/sql/mod.ts";
import pack, { POLICY_V2_TARGETS } from "./policy_v2.ts";

await loadSqlParsers();

const HOME = "/home/user";
const CWD = "/proj";

function example(file: string): CompiledPolicy {
  const text = Deno.readTextFileSync(new URL(`../${file}`, import.meta.url));
  return compilePolicy(parsePolicy(text, { file }).policy, { baseDir: CWD, home: HOME });
}

/** Judged as replay judges a call (canonicalize, then decide), with the arguments format 2 reads. */
function judge(policy: CompiledPolicy, a: Attack) {
  const call = attachCallFacts(canonicalizeCall({ ...a.call }, { cwd: CWD, home: HOME }), {
    arguments: a.call.arguments,
  });
  return decide(policy, call);
}

const of = (agent: string) => pack.attacks.filter((a) => a.id.startsWith(`${agent}.`));

for (const [agent, file] of Object.entries(POLICY_V2_TARGETS)) {
  Deno.test(`policy-v2 pack: every ${agent} attack is blocked and every control allowed on ${file}`, () => {
    const policy = example(file);
    const holes: string[] = [];
    const overBlocked: string[] = [];
    const byUnknownServer: string[] = [];
    for (const a of of(agent)) {
      const d = judge(policy, a);
      if (a.expect === "block" && d.verdict === "allow") holes.push(a.id);
      if (a.expect === "allow" && d.verdict !== "allow") overBlocked.push(`${a.id}: ${d.reason}`);
      if (d.ruleIds.includes("unknown-server")) byUnknownServer.push(a.id);
    }
    assert.deepEqual(holes, [], "attacks that got through");
    assert.deepEqual(overBlocked, [], "controls that were blocked");
    // Every block is earned by a rule about the real server, never by the unknown-server default.
    assert.deepEqual(byUnknownServer, []);
    const attacks = of(agent).filter((a) => a.expect === "block").length;
    assert.ok(attacks >= 8 && of(agent).length - attacks >= 4, `${attacks} attacks`);
  });
}

Deno.test("policy-v2 pack: the attacks get through the same servers without format 2 rules (the rules earn the blocks)", () => {
  let through = 0;
  for (const [agent, file] of Object.entries(POLICY_V2_TARGETS)) {
    const text = Deno.readTextFileSync(new URL(`../${file}`, import.meta.url));
    const servers = Object.fromEntries([...text.matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => [m[1], {}]));
    const bare = compilePolicy({ version: 1, servers }, { baseDir: CWD, home: HOME });
    through += of(agent).filter((a) => a.expect === "block" && judge(bare, a).verdict === "allow").length;
  }
  const attacks = pack.attacks.filter((a) => a.expect === "block").length;
  assert.ok(through >= attacks * 0.8, `only ${through}/${attacks} get through servers with no rules`);
});

Deno.test("policy-v2 pack: each feature has attacks and controls", () => {
  const by = new Map<string, { block: number; allow: number }>();
  for (const a of pack.attacks) {
    const e = by.get(a.evasion!) ?? { block: 0, allow: 0 };
    e[a.expect]++;
    by.set(a.evasion!, e);
  }
  for (const f of ["v2-arguments", "v2-scopes", "v2-sql", "v2-classes", "v2-guards"]) {
    assert.ok((by.get(f)?.block ?? 0) >= 2, `${f} attacks`);
    assert.ok((by.get(f)?.allow ?? 0) >= 1, `${f} controls`);
  }
});
