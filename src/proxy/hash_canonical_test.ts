import assert from "node:assert/strict";
import canonicalize from "canonicalize";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { hashCanonical } from "./hash_canonical.ts";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

Deno.test("hashCanonical() is the sha256 of canonicalize()'s text, for any JSON value", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      assert.equal(hashCanonical(v), sha(canonicalize(v)!));
    }),
    { numRuns: 300 },
  );
});

Deno.test("hashCanonical() ignores key order and hashes long strings in slices without changing the text", () => {
  const long = 'a"é😀\n'.repeat(40_000); // > 64 Ki units, with escapes and surrogate pairs across slice edges
  const v = { z: [long, 1.5e300, -0, null], a: { y: true, b: "x".repeat(70_000) } };
  assert.equal(hashCanonical(v), sha(canonicalize(v)!));
  assert.equal(hashCanonical({ a: v.a, z: v.z }), hashCanonical(v));
  assert.equal(hashCanonical(v, { hexChars: 16 }), sha(canonicalize(v)!).slice(0, 16));
});

Deno.test("hashCanonical() walks a value nested deeper than the call stack", () => {
  let v: unknown = "leaf";
  for (let i = 0; i < 200_000; i++) v = i % 2 ? [v] : { k: v };
  assert.match(hashCanonical(v), /^[0-9a-f]{64}$/);
});
