import assert from "node:assert/strict";
import { BUILTIN_REDACTORS, compileRedactor, DEPTH_LIMIT_RULE_ID, REDACTED, redactValue } from "./mod.ts";

const r = compileRedactor(BUILTIN_REDACTORS);

Deno.test("redactValue() walks nested objects and arrays, keeping keys, numbers, booleans and null", () => {
  const input = {
    server: "github",
    args: {
      repo: "org/app",
      count: 3,
      force: false,
      none: null,
      notes: ["ok", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
    },
    "bob@example.com": "key untouched",
  };
  const { value, fired } = redactValue(input, r);
  assert.deepEqual(value, {
    server: "github",
    args: { repo: "org/app", count: 3, force: false, none: null, notes: ["ok", REDACTED] },
    "bob@example.com": "key untouched",
  });
  assert.deepEqual(fired, [{ ruleId: "api-keys/github-token", pointer: "/args/notes/1" }]);
});

Deno.test("redactValue() returns a new value and leaves the input unchanged", () => {
  const input = { a: { b: ["password=x"] }, c: { d: 1 } };
  const before = structuredClone(input);
  const { value } = redactValue(input, r);
  assert.deepEqual(input, before);
  assert.notEqual(value, input);
  assert.notEqual((value as typeof input).c, input.c);
});

Deno.test("redactValue() replaces the whole value of secret-named fields in structured arguments", () => {
  const { value, fired } = redactValue({
    password: "correct horse battery staple",
    apiKey: "opaque",
    headers: { Authorization: "Bearer abc", "X-Request-Id": "42" },
    db_password_hash: "$2b$12$abc",
    max_tokens: "1500",
    token_count: "7",
    empty_password: "",
  }, r);
  assert.deepEqual(value, {
    password: REDACTED,
    apiKey: REDACTED,
    headers: { Authorization: REDACTED, "X-Request-Id": "42" },
    db_password_hash: REDACTED,
    max_tokens: "1500",
    token_count: "7",
    empty_password: "",
  });
  assert.deepEqual(fired.map((f) => f.pointer), [
    "/password",
    "/apiKey",
    "/headers/Authorization",
    "/db_password_hash",
  ]);
  assert.ok(fired.every((f) => f.ruleId === "credentials/secret-assignment"));
});

Deno.test("redactValue() reports RFC 6901 pointers with ~ and / escaped, never the values", () => {
  const { fired } = redactValue({ "a/b": { "c~d": ["x", "mail bob@example.com"] } }, r);
  assert.deepEqual(fired, [{ ruleId: "emails/email", pointer: "/a~1b/c~0d/1" }]);
  assert.ok(!JSON.stringify(fired).includes("bob"));
});

Deno.test("redactValue() redacts a bare string at the root pointer", () => {
  assert.deepEqual(redactValue("token: abc", r), {
    value: `token: ${REDACTED}`,
    fired: [{ ruleId: "credentials/secret-assignment", pointer: "" }],
  });
});

Deno.test("redactValue() keeps a JSON __proto__ key as data", () => {
  const input = JSON.parse('{"__proto__": {"password": "x"}, "a": 1}');
  const { value } = redactValue(input, r);
  assert.equal(JSON.stringify(value), '{"__proto__":{"password":"‹redacted›"},"a":1}');
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
});

Deno.test("redactValue() fails closed on nesting deeper than the limit", () => {
  let deep: unknown = "password=x";
  for (let i = 0; i < 10_000; i++) deep = [deep];
  const { value, fired } = redactValue(deep, r);
  assert.ok(!JSON.stringify(value).includes("password=x"));
  assert.ok(fired.some((f) => f.ruleId === DEPTH_LIMIT_RULE_ID));
});

Deno.test("redactValue() judges a key the same every time, also after more keys than it remembers", () => {
  const many: Record<string, string> = {};
  for (let i = 0; i < 1500; i++) many[`k${i}`] = "plain";
  for (let round = 0; round < 3; round++) {
    const { value, fired } = redactValue({ ...many, password: "hunter22", note: "plain" }, r);
    const v = value as Record<string, string>;
    assert.notEqual(v.password, "hunter22");
    assert.equal(v.note, "plain");
    assert.equal(v.k1499, "plain");
    assert.deepEqual(fired.map((f) => f.pointer), ["/password"]);
  }
  // A text on its own: redacted like a value inside an object, reported at the root pointer.
  const one = redactValue("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", r);
  assert.ok(!String(one.value).includes("ghp_"));
  assert.deepEqual(one.fired.map((f) => f.pointer), [""]);
});
