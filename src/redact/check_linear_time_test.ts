import assert from "node:assert/strict";
import { BUILTIN_REDACTORS, findNestedQuantifier, probeLinearTime, type RedactorDescriptor } from "./mod.ts";

Deno.test("findNestedQuantifier() flags a quantified group that repeats a quantifier", () => {
  for (const p of [/(a+)+b/, /(\w+\.)*x/, /((ab)*c)*/, /(x{2,}){1,100}/, /(?:[a-z]+-)+z/i]) {
    assert.ok(findNestedQuantifier(p), p.source);
  }
});

Deno.test("findNestedQuantifier() allows bounded outer repeats, alternations, classes and escapes", () => {
  for (
    const p of [
      /(?:[A-Za-z0-9]{1,32}[_.-]){0,4}key/,
      /(?:[^"\\]|\\.)+/,
      /[(a+)]+/,
      /\((a)\)+/,
      /\p{L}+/u,
      /(?<k>x)\k<k>+/,
      /(?:ab)+/,
    ]
  ) assert.equal(findNestedQuantifier(p), undefined, p.source);
});

Deno.test("findNestedQuantifier() passes every built-in rule", () => {
  for (const d of BUILTIN_REDACTORS) {
    for (const r of d.rules) assert.equal(findNestedQuantifier(r.pattern), undefined, `${d.id}/${r.id}`);
  }
});

Deno.test("probeLinearTime() passes every built-in pack", () => {
  for (const d of BUILTIN_REDACTORS) assert.deepEqual(probeLinearTime(d), [], d.id);
});

const pack = (pattern: RegExp): RedactorDescriptor => ({
  apiVersion: 1,
  id: "p",
  version: "1",
  rules: [{ id: "r", pattern }],
  samples: { redact: ["abcdefghijklmnopqrstuvwxyz0x"], keep: [] },
});

Deno.test("probeLinearTime() reports a rule that rescans from every position", () => {
  // Ungated run followed by a literal that never comes: quadratic on a long run.
  const problems = probeLinearTime(pack(/[a-z0-9]{20,}x/g), { size: 16_384 });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^rule "p\/r" took \d+ ms on \d+ characters \(.+\); it backtracks$/);
});

Deno.test("probeLinearTime() reports the first slow input per rule against the budget", () => {
  let t = 0;
  const problems = probeLinearTime(pack(/zzz/g), { size: 64, budgetMs: 5, now: () => (t += 10) });
  assert.deepEqual(problems, ['rule "p/r" took 10 ms on 64 characters ("a" repeated); it backtracks']);
});
