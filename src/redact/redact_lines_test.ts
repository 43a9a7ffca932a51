import assert from "node:assert/strict";
import { BUILTIN_REDACTORS, compileRedactor, RedactLineStream } from "./mod.ts";

async function pipe(chunks: string[], opts: Parameters<typeof compileRedactor>[1] = {}) {
  const lines = new RedactLineStream(compileRedactor(BUILTIN_REDACTORS, opts));
  const src = ReadableStream.from(chunks).pipeThrough(lines);
  let out = "";
  for await (const c of src) out += c;
  return { out, counts: Object.fromEntries(lines.counts) };
}

Deno.test("RedactLineStream redacts lines split across chunks and keeps a last line without newline", async () => {
  const { out, counts } = await pipe(["pass", "word=hunter2\nok\r\nbob@exa", "mple.com"]);
  assert.equal(out, "password=‹redacted›\nok\r\n‹redacted›@example.com");
  assert.deepEqual(counts, { "credentials/secret-assignment": 1, "emails/email": 1 });
});

Deno.test("RedactLineStream holds a private-key block across lines so no body line leaks", async () => {
  const { out } = await pipe([
    "before\n-----BEGIN OPENSSH PRIVATE KEY-----\n",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU\nQyNTUxOQAAACBsecretline\n",
    "-----END OPENSSH PRIVATE KEY----- tail\nafter\n",
  ]);
  assert.equal(out, "before\n‹redacted› tail\nafter\n");
});

Deno.test("RedactLineStream redacts an unterminated key block to the end of input", async () => {
  const { out } = await pipe(["-----BEGIN RSA PRIVATE KEY-----\nMIIEsecret\nmore"]);
  assert.equal(out, "‹redacted›");
});

Deno.test("RedactLineStream streams key blocks line by line when secrets are off", async () => {
  const text = "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n";
  assert.equal((await pipe([text], { secrets: false })).out, text);
});
