import assert from "node:assert/strict";
import { AgentPermsError } from "../errors.ts";
import {
  checkSamples,
  defineRedactor,
  type RedactorDescriptor,
  validateRedactor,
} from "./define_redactor.ts";

const good = (): RedactorDescriptor => ({
  apiVersion: 1,
  id: "cloud-keys",
  version: "1.0.0",
  rules: [{
    id: "aws-access-key",
    pattern: /AKIA[0-9A-Z]{16}/g,
    samples: { redact: ["AKIAABCDEFGHIJKLMNOP"], keep: ["AKIA-x"] },
  }],
  samples: { redact: ["key=AKIAABCDEFGHIJKLMNOP"], keep: ["AKIA-not-a-key"] },
});

function assertPluginInvalid(fn: () => unknown, includes: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AgentPermsError);
    assert.equal(e.code, "plugin_invalid");
    assert.ok(e.message.includes(includes), e.message);
    return true;
  });
}

Deno.test("defineRedactor() returns a valid descriptor unchanged", () => {
  const d = good();
  assert.equal(defineRedactor(d), d);
});

Deno.test("defineRedactor() rejects an unknown apiVersion", () => {
  assertPluginInvalid(() => defineRedactor({ ...good(), apiVersion: 2 as 1 }), "unsupported apiVersion 2");
});

Deno.test("defineRedactor() rejects a pattern that is not a RegExp, naming the field", () => {
  const d = good();
  (d.rules[0] as { pattern: unknown }).pattern = "AKIA.*";
  assertPluginInvalid(() => defineRedactor(d), "rules.0.pattern");
});

Deno.test("defineRedactor() rejects unknown keys, bad ids, duplicate rule ids and empty rules", () => {
  assertPluginInvalid(() => defineRedactor({ ...good(), extra: 1 } as RedactorDescriptor), "extra");
  assertPluginInvalid(() => defineRedactor({ ...good(), id: "Cloud Keys" }), "id");
  const dup = good();
  dup.rules.push({ ...dup.rules[0]! });
  assertPluginInvalid(() => defineRedactor(dup), 'duplicate rule id "aws-access-key"');
  assertPluginInvalid(() => defineRedactor({ ...good(), rules: [] }), "at least one rule");
});

Deno.test("defineRedactor() rejects a redact sample that does not change, naming the sample", () => {
  const d = good();
  d.samples.redact.push("nothing secret");
  assertPluginInvalid(() => defineRedactor(d), '"nothing secret" is not changed');
});

Deno.test("checkSamples() reports a rule's keep sample that changes, naming the rule", () => {
  const d = good();
  d.rules[0]!.samples!.keep.push("AKIAZZZZZZZZZZZZZZZZ");
  assert.deepEqual(checkSamples(d), [
    'rule "cloud-keys/aws-access-key": keep sample "AKIAZZZZZZZZZZZZZZZZ" is changed to "‹redacted›"',
  ]);
});

Deno.test("checkSamples() treats a pattern without the g flag as global", () => {
  const d = good();
  d.rules[0]!.pattern = /AKIA[0-9A-Z]{16}/;
  d.samples.keep.push("x");
  assert.deepEqual(checkSamples(d), []);
});

Deno.test("validateRedactor() rejects a non-object default export", () => {
  assertPluginInvalid(() => validateRedactor("nope", "p.ts"), '"p.ts" is not an object');
});

Deno.test("checkSamples() applies needles, so a needle that misses a redact sample is reported", () => {
  const d = good();
  d.rules[0]!.needles = ["ASIA"];
  assert.deepEqual(checkSamples(d), [
    'pack "cloud-keys": redact sample "key=AKIAABCDEFGHIJKLMNOP" is not changed',
    'rule "cloud-keys/aws-access-key": redact sample "AKIAABCDEFGHIJKLMNOP" is not changed',
  ]);
  d.rules[0]!.needles = ["ASIA", "AKIA"];
  assert.deepEqual(checkSamples(d), []);
});
