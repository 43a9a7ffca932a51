import assert from "node:assert/strict";
import { BUILTIN_GUARD_PACKS } from "../../guards/mod.ts";
import { formatIssues } from "../../src/validation_issues.ts";
import {
  defineGuardPack,
  GUARD_LIMITS,
  type GuardPackDescriptor,
  matchGuards,
  validateGuardPack,
} from "../../src/profiles/mod.ts";

const base: GuardPackDescriptor = {
  apiVersion: 1,
  id: "t",
  version: "1.0.0",
  description: "test",
  guards: [
    { id: "exe", severity: "critical", description: "exe", keys: ["executablePath"] },
    { id: "pack", severity: "critical", description: "pack", tools: ["git_*"], pattern: "--upload-pack" },
  ],
  samples: {
    hit: [{ tool: "nav", args: { o: { executablePath: "/bin/sh" } }, guard: "exe" }],
    miss: [{ tool: "nav", args: { executablePath: "" } }],
  },
};
const ids = (tool: string, args: unknown, pack = base) => matchGuards(pack, tool, args).map((h) => h.ruleId);

Deno.test("matchGuards() fires a key guard at any depth, only on a meaningful value", () => {
  assert.deepEqual(ids("nav", { a: [{ executablePath: "/x" }] }), ["t/exe"]);
  assert.deepEqual(ids("nav", { ExecutablePath: "/x" }), ["t/exe"], "key names are case-insensitive");
  for (const v of [null, false, "", {}, []]) {
    assert.deepEqual(ids("nav", { executablePath: v }), [], String(v));
  }
});

Deno.test("matchGuards() applies a tool-scoped pattern only to those tools, on strings, argv arrays and flag keys", () => {
  assert.deepEqual(ids("git_clone", { url: "--upload-pack=sh" }), ["t/pack"]);
  assert.deepEqual(ids("fetch", { url: "--upload-pack=sh" }), []);
  assert.deepEqual(ids("git_clone", { argv: ["--upload", "-pack"] }), [], "joined with spaces, not glued");
  assert.deepEqual(ids("git_clone", { flags: { "--upload-pack": "sh" } }), ["t/pack"]);
  const hit = matchGuards(base, "git_clone", { opts: ["a", "--upload-pack=x"] })[0];
  assert.equal(hit?.at, "/opts");
  assert.equal(hit?.severity, "critical");
});

Deno.test("matchGuards() fails closed on arguments too deep or too many to read", () => {
  let deep: unknown = "x";
  for (let i = 0; i <= GUARD_LIMITS.depth + 1; i++) deep = { d: deep };
  assert.deepEqual(ids("nav", deep), ["t/too-large"]);
  const many = Array.from({ length: GUARD_LIMITS.strings + 1 }, () => "a");
  assert.deepEqual(ids("nav", { many }), ["t/too-large"]);
});

Deno.test("validateGuardPack() rejects an unknown apiVersion, backtracking patterns, duplicates and failing samples", () => {
  assert.match(validateGuardPack({ ...base, apiVersion: 2 })[0]?.message ?? "", /unsupported apiVersion 2/);
  const backref = {
    ...base,
    guards: [...base.guards, { id: "b", severity: "low", description: "b", pattern: "(a)\\1" }],
  };
  assert.match(validateGuardPack(backref)[0]?.message ?? "", /backreference/);
  const dup = { ...base, guards: [...base.guards, base.guards[0]!] };
  assert.match(validateGuardPack(dup)[0]?.message ?? "", /duplicate guard id "exe"/);
  const empty = { ...base, guards: [{ id: "e", severity: "low", description: "e" }] };
  assert.ok(validateGuardPack(empty).some((i) => /keys, a pattern/.test(i.message)));
  const missing = { ...base, samples: { ...base.samples, hit: [{ tool: "nav", args: {}, guard: "exe" }] } };
  assert.match(validateGuardPack(missing)[0]?.message ?? "", /does not hit "exe"/);
  const falseHit = {
    ...base,
    samples: { ...base.samples, miss: [{ tool: "n", args: { executablePath: "/x" } }] },
  };
  assert.match(validateGuardPack(falseHit)[0]?.message ?? "", /hits t\/exe/);
  assert.throws(() => defineGuardPack(falseHit as GuardPackDescriptor), /Invalid guard pack "t"/);
  assert.deepEqual(validateGuardPack(base), []);
});

Deno.test("BUILTIN_GUARD_PACKS are valid and cover every family #18 names", () => {
  const ids = new Set<string>();
  for (const p of BUILTIN_GUARD_PACKS) {
    assert.deepEqual(validateGuardPack(p), [], p.id);
    for (const g of p.guards) ids.add(g.id);
  }
  for (const family of ["browser-", "kubectl-", "git-", "docker-", "package-registry"]) {
    assert.ok([...ids].some((id) => id.startsWith(family)), family);
  }
  const pack = BUILTIN_GUARD_PACKS[0]!;
  assert.deepEqual(
    matchGuards(pack, "git_clone", { url: "https://github.com/octo/site.git" }),
    [],
    "a plain clone URL is fine",
  );
});

Deno.test("formatIssues() spells each issue as path: message, one line", () => {
  assert.equal(formatIssues([]), "");
  assert.equal(formatIssues([{ path: "", message: "not an object" }]), "not an object");
  assert.equal(
    formatIssues([{ path: "guards.0.pattern", message: "backreference" }, {
      path: "samples.hit.1",
      message: 'no guard "x"',
    }]),
    'guards.0.pattern: backreference; samples.hit.1: no guard "x"',
  );
});
