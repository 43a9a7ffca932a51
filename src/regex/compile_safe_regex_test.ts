import assert from "node:assert/strict";
import { compileSafeRegex } from "./mod.ts";

const ok = (p: string, opts = {}) => {
  const r = compileSafeRegex(p, opts);
  assert.ok(r.ok, `expected ${p} to compile: ${r.ok ? "" : r.error}`);
  return r;
};
const refused = (p: string) => {
  const r = compileSafeRegex(p);
  assert.ok(!r.ok, `expected ${p} to be refused`);
  return r.error;
};

Deno.test("compileSafeRegex() matches anywhere unless anchored", () => {
  const r = ok("^octo-org/[a-z0-9._-]+$");
  assert.equal(r.test("octo-org/site.io"), true);
  assert.equal(r.test("evil/octo-org/site"), false);
  assert.equal(r.test("octo-org/site\n"), false, "$ is the end of the text, not before a final newline");
  assert.equal(ok("org").test("my-org-x"), true);
});

Deno.test("compileSafeRegex() refuses backreferences, lookaround and atomic groups with a reason", () => {
  assert.match(refused("(a)\\1"), /backreference \(\\1\) needs backtracking/);
  assert.match(refused("(?<n>a)\\k<n>"), /named backreference/);
  assert.match(refused("foo(?=bar)"), /lookahead/);
  assert.match(refused("foo(?!bar)"), /lookahead/);
  assert.match(refused("(?<=a)b"), /lookbehind/);
  assert.match(refused("(?<!a)b"), /lookbehind/);
  assert.match(refused("(?>a+)b"), /atomic group/);
});

Deno.test("compileSafeRegex() accepts what only looks like a backtracking feature", () => {
  assert.equal(ok("[(?=]x").test("=x"), true, "inside a class these are literals");
  assert.equal(ok("\\\\1").test("\\1"), true, "an escaped backslash then 1");
  assert.equal(ok("(?i)abc").test("ABC"), true);
  assert.equal(ok("(?P<name>a+)").test("aa"), true, "named groups are RE2");
});

Deno.test("compileSafeRegex() refuses syntax errors and over-long patterns", () => {
  assert.match(refused("a{1000}{1000}"), /not a linear-time \(RE2\) pattern/);
  assert.match(refused("([a-z]"), /not a linear-time/);
  assert.match(refused("x".repeat(5000)), /more than 4096/);
});

Deno.test("compileSafeRegex() runs a catastrophic pattern in linear time", () => {
  // In a backtracking engine (a+)+$ on "aaaa…!" takes 2^n steps; n = 5000 would never finish.
  const r = ok("(a+)+$");
  assert.equal(r.test(`${"a".repeat(5000)}!`), false);
});

Deno.test("compileSafeRegex() is case-insensitive on request and never matches a non-string", () => {
  const r = ok("^main$", { caseInsensitive: true });
  assert.equal(r.test("MAIN"), true);
  assert.equal(r.test(42 as unknown as string), false);
});
