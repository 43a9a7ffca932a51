/**
 * `prepareGuardPack()`: a proxy compiles its guard packs while the client reads the `initialize` answer (#20
 * item 6); the built-in packs are not validated at import, so a pack that cannot compile must fail there too.
 */
import assert from "node:assert/strict";
import { BUILTIN_GUARD_PACKS } from "../../guards/mod.ts";
import { type GuardPackDescriptor, matchGuards, prepareGuardPack } from "../../src/profiles/mod.ts";

const pack = (pattern: string): GuardPackDescriptor => ({
  apiVersion: 1,
  id: `p${pattern.length}`,
  version: "1.0.0",
  description: "test",
  guards: [{ id: "g", severity: "high", description: "g", pattern }],
  samples: { hit: [{ tool: "t", args: { a: "x" }, guard: "g" }], miss: [{ tool: "t", args: {} }] },
});

Deno.test("prepareGuardPack() compiles what matchGuards needs, and throws plugin_invalid where matchGuards would", () => {
  // A pattern RE2 cannot run in linear time: never validated (not defined through defineGuardPack).
  const bad = pack("(a)\\1");
  assert.throws(() => prepareGuardPack(bad), (e: Error & { code?: string }) => e.code === "plugin_invalid");
  assert.throws(
    () => matchGuards(bad, "t", { a: "aa" }),
    (e: Error & { code?: string }) => e.code === "plugin_invalid",
  );
  const good = pack("--upload-pack");
  prepareGuardPack(good);
  prepareGuardPack(good); // idempotent
  assert.deepEqual(matchGuards(good, "t", { a: "--upload-pack=sh" }).map((h) => h.ruleId), [`${good.id}/g`]);
  assert.deepEqual(matchGuards(good, "t", { a: "--upload" }), []);
});

Deno.test("prepareGuardPack() then matchGuards() judges the built-in packs' samples as a fresh pack does", () => {
  for (const p of BUILTIN_GUARD_PACKS) {
    prepareGuardPack(p);
    for (const s of p.samples.hit) {
      assert.ok(matchGuards(p, s.tool, s.args).some((h) => h.ruleId === `${p.id}/${s.guard}`), s.guard);
    }
    for (const s of p.samples.miss) assert.deepEqual(matchGuards(p, s.tool, s.args), [], JSON.stringify(s));
  }
});
