import assert from "node:assert/strict";
import { buildRedactFn } from "./redact_fn.ts";

Deno.test("buildRedactFn() gives the same redactions for repeated texts, short and long", async () => {
  const redact = await buildRedactFn({ version: 1, servers: {} }, { baseDir: "/" });
  const token = "ghp_" + "A1b2C3d4".repeat(4) + "abcd";
  const texts = [`token ${token}`, "hello", `token ${token}`, "x ".repeat(300) + token, "hello"];
  const out = texts.map((t) => redact({ a: t }));
  assert.deepEqual(out.map((r) => JSON.stringify(r.value).includes("ghp_")), [
    false,
    false,
    false,
    false,
    false,
  ]);
  assert.deepEqual(out[1]!.value, { a: "hello" });
  assert.deepEqual(out[4]!.value, { a: "hello" });
  assert.deepEqual(out[0], out[2]);
  assert.deepEqual(out.map((r) => r.fired.length > 0), [true, false, true, true, false]);
});
