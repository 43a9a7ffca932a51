import assert from "node:assert/strict";
import { type CompiledPolicy, compilePolicy, parsePolicy } from "../src/policy/mod.ts";
import { AGENT_PACKS, agentPacksFor, replayPack } from "../src/replay/mod.ts";
import { loadSqlParsers } from "../src/sql/mod.ts";
import type { AttackPackDescriptor } from "../src/plugins/mod.ts";
import { BUILTIN_PACKS } from "./mod.ts";

await loadSqlParsers();

const HOME = "/home/user";
const CWD = "/proj";

/** Each agent pack and the example policy it is written for. */
const TARGETS: Record<string, string> = {
  "policy-v2-coding": "examples/policies/coding-agent.v2.mcp.policy.yaml",
  "policy-v2-data": "examples/policies/data-agent.v2.mcp.policy.yaml",
  "policy-v2-assistant": "examples/policies/personal-assistant.v2.mcp.policy.yaml",
};

function example(file: string): CompiledPolicy {
  const text = Deno.readTextFileSync(new URL(`../${file}`, import.meta.url));
  return compilePolicy(parsePolicy(text, { file }).policy, { baseDir: CWD, home: HOME });
}

/** Replayed as `agentperms replay` replays it (canonicalize, attach the arguments, decide). */
const replay = (policy: CompiledPolicy, pack: AttackPackDescriptor) =>
  replayPack(policy, pack, { cwd: CWD, home: HOME });

Deno.test("AGENT_PACKS holds one pack per v2 example policy, each with at least 8 attacks and 4 controls", () => {
  assert.deepEqual(AGENT_PACKS.map((p) => p.id).sort(), Object.keys(TARGETS).sort());
  for (const p of AGENT_PACKS) {
    const attacks = p.attacks.filter((a) => a.expect === "block").length;
    assert.ok(attacks >= 8 && p.attacks.length - attacks >= 4, `${p.id}: ${attacks} attacks`);
    assert.ok(!BUILTIN_PACKS.includes(p), `${p.id} is not replayed against every policy`);
  }
});

for (const pack of AGENT_PACKS) {
  const file = TARGETS[pack.id]!;
  Deno.test(`${pack.id}: every attack is blocked and every control allowed on ${file}`, () => {
    const results = replay(example(file), pack);
    const holes = results.filter((r) => r.expect === "block" && !r.blocked).map((r) => r.id);
    const overBlocked = results.filter((r) => r.expect === "allow" && r.blocked).map((r) =>
      `${r.id}: ${r.reason}`
    );
    assert.deepEqual(holes, [], "attacks that got through");
    assert.deepEqual(overBlocked, [], "controls that were blocked");
    // Every block is earned by a rule about the real server, never by the unknown-server default.
    assert.deepEqual(results.filter((r) => r.ruleIds.includes("unknown-server")).map((r) => r.id), []);
  });
}

Deno.test("agentPacksFor() gives each v2 example policy its own pack, and no pack to a v1 policy", () => {
  for (const [id, file] of Object.entries(TARGETS)) {
    const text = Deno.readTextFileSync(new URL(`../${file}`, import.meta.url));
    const { policy } = parsePolicy(text, { file });
    const compiled = example(file);
    assert.deepEqual(
      agentPacksFor({ version: policy.version, servers: compiled.servers }, AGENT_PACKS).map((p) => p.id),
      [id],
    );
    assert.deepEqual(agentPacksFor({ version: 1, servers: compiled.servers }, AGENT_PACKS), []);
  }
  // --server-map renames a pack's server to the policy's name for it.
  const data = AGENT_PACKS.find((p) => p.id === "policy-v2-data")!;
  const servers = new Set(["pg", "sqlite", "kubernetes"]);
  assert.deepEqual(agentPacksFor({ version: 2, servers }, [data]), []);
  assert.deepEqual(agentPacksFor({ version: 2, servers }, [data], { postgres: "pg" }), [data]);
});

Deno.test("agent packs: the attacks get through the same servers without format 2 rules (the rules earn the blocks)", () => {
  let through = 0;
  let attacks = 0;
  for (const pack of AGENT_PACKS) {
    const text = Deno.readTextFileSync(new URL(`../${TARGETS[pack.id]}`, import.meta.url));
    const servers = Object.fromEntries([...text.matchAll(/^ {2}([a-z-]+):$/gm)].map((m) => [m[1], {}]));
    const bare = compilePolicy({ version: 1, servers }, { baseDir: CWD, home: HOME });
    const results = replay(bare, pack).filter((r) => r.expect === "block");
    attacks += results.length;
    through += results.filter((r) => !r.blocked).length;
  }
  assert.ok(through >= attacks * 0.8, `only ${through}/${attacks} get through servers with no rules`);
});

Deno.test("agent packs: each format 2 feature has attacks and controls", () => {
  const by = new Map<string, { block: number; allow: number }>();
  for (const a of AGENT_PACKS.flatMap((p) => p.attacks)) {
    const e = by.get(a.evasion!) ?? { block: 0, allow: 0 };
    e[a.expect]++;
    by.set(a.evasion!, e);
  }
  for (const f of ["v2-arguments", "v2-scopes", "v2-sql", "v2-classes", "v2-guards"]) {
    assert.ok((by.get(f)?.block ?? 0) >= 2, `${f} attacks`);
    assert.ok((by.get(f)?.allow ?? 0) >= 1, `${f} controls`);
  }
});
