import assert from "node:assert/strict";
import { AgentPermsError } from "../errors.ts";
import { BUILTIN_REDACTORS, compileRedactor, REDACTED, type RedactorDescriptor } from "./mod.ts";

const SECRET_TEXT = "password=hunter2 key AKIAABCDEFGHIJKLMNOP to bob@example.com";

Deno.test("compileRedactor() turns on every category by default", () => {
  const r = compileRedactor(BUILTIN_REDACTORS);
  const { text, fired } = r.redactText(SECRET_TEXT);
  assert.equal(text, `password=${REDACTED} key ${REDACTED} to ${REDACTED}@example.com`);
  assert.deepEqual(fired, ["api-keys/aws-access-key", "credentials/secret-assignment", "emails/email"]);
});

Deno.test("compileRedactor() honours each redaction switch, including secrets", () => {
  const noEmails = compileRedactor(BUILTIN_REDACTORS, { emails: false }).redactText(SECRET_TEXT).text;
  assert.ok(noEmails.includes("bob@example.com") && !noEmails.includes("hunter2"));
  const noKeys = compileRedactor(BUILTIN_REDACTORS, { api_keys: false }).redactText(SECRET_TEXT).text;
  assert.ok(noKeys.includes("AKIAABCDEFGHIJKLMNOP") && !noKeys.includes("hunter2"));
  const noSecrets = compileRedactor(BUILTIN_REDACTORS, { secrets: false }).redactText(SECRET_TEXT).text;
  assert.ok(noSecrets.includes("hunter2") && !noSecrets.includes("AKIA"));
  const pem = "-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----";
  assert.equal(compileRedactor(BUILTIN_REDACTORS, { secrets: false }).redactText(pem).text, pem);
});

Deno.test("compileRedactor() always runs a pack without a category", () => {
  const pack: RedactorDescriptor = {
    apiVersion: 1,
    id: "always",
    version: "1.0.0",
    rules: [{ id: "x", pattern: /XSECRETX/ }],
    samples: { redact: ["XSECRETX"], keep: [] },
  };
  const r = compileRedactor([pack], { secrets: false, emails: false, api_keys: false });
  assert.deepEqual(r.redactText("a XSECRETX b XSECRETX"), {
    text: `a ${REDACTED} b ${REDACTED}`,
    fired: ["always/x"],
  });
});

Deno.test("compileRedactor() rejects two packs with the same id", () => {
  assert.throws(
    () => compileRedactor([...BUILTIN_REDACTORS, BUILTIN_REDACTORS[0]!]),
    (e) =>
      e instanceof AgentPermsError && e.code === "plugin_invalid" && e.message.includes('"private-keys"'),
  );
});

Deno.test("compileRedactor() prefixes rule ids with the pack and reports each rule once", () => {
  const r = compileRedactor(BUILTIN_REDACTORS);
  assert.ok(r.rules.every((x) => x.id.startsWith(`${x.pack}/`)));
  assert.deepEqual(r.redactText("a@example.com b@example.com").fired, ["emails/email"]);
  assert.deepEqual(r.redactText("nothing here"), { text: "nothing here", fired: [] });
});

Deno.test("compileRedactor() skips a rule whose needles are absent and folds case for an i pattern", () => {
  const pack: RedactorDescriptor = {
    apiVersion: 1,
    id: "n",
    version: "1",
    rules: [
      { id: "cs", pattern: /tok_[a-z]{4}/, needles: ["tok_"] },
      { id: "ci", pattern: /secret=\w+/i, needles: ["SECRET="] },
    ],
    samples: { redact: ["tok_abcd", "Secret=x"], keep: ["TOK_abcd"] },
  };
  const r = compileRedactor([pack]);
  assert.deepEqual(r.redactText("tok_abcd SeCrEt=x"), {
    text: `${REDACTED} ${REDACTED}`,
    fired: ["n/cs", "n/ci"],
  });
  assert.deepEqual(r.redactText("TOK_abcd"), { text: "TOK_abcd", fired: [] });
  assert.deepEqual(r.rules[1]!.needles, ["secret="]);
});
