import assert from "node:assert/strict";
import { parseHeaderArgs } from "./header_args.ts";

Deno.test("parseHeaderArgs() expands ${env:NAME} once and names a missing variable without any value", () => {
  const env = (n: string) => (n === "TOK" ? "s3cr3t" : undefined);
  assert.deepEqual(parseHeaderArgs(["Authorization: Bearer ${env:TOK}", "X-Team:  a:b "], env), {
    Authorization: "Bearer s3cr3t",
    "X-Team": "a:b",
  });
  assert.throws(
    () => parseHeaderArgs(["X-Key: ${env:NOPE}"], env),
    /"X-Key" names the environment variable "NOPE"/,
  );
  assert.throws(() => parseHeaderArgs(["Bearer s3cr3t"], env), (e: Error) => !e.message.includes("s3cr3t"));
  assert.throws(() => parseHeaderArgs(["Mcp-Session-Id: x"], env), /set by the bridge itself/);
});

Deno.test("parseHeaderArgs() takes ${NAME:-default} and refuses an ${input:…} only the client can expand", () => {
  assert.deepEqual(
    parseHeaderArgs(["X-A: ${NOPE:-d}", "X-B: ${HOME}"], (n) => (n === "HOME" ? "/h" : undefined)),
    {
      "X-A": "d",
      "X-B": "/h",
    },
  );
  assert.throws(
    () => parseHeaderArgs(["X-Key: ${input:key}"], () => undefined),
    /only the client can expand/,
  );
});
