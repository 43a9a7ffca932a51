import assert from "node:assert/strict";
import fc from "fast-check";
import { AgentPermsError } from "../errors.ts";
import { formatLockFile } from "./format_lock_file.ts";
import { parseLockFile, readLockFile } from "./read_lock_file.ts";
import { checkToolsAgainstLock } from "./check_tools_against_lock.ts";
import { lockOf, READ, WRITE } from "./_test_util.ts";

function lockInvalid(fn: () => unknown, re: RegExp) {
  assert.throws(
    fn,
    (e: unknown) => e instanceof AgentPermsError && e.code === "lock_invalid" && re.test(e.message),
  );
}

Deno.test("formatLockFile() round-trips through parseLockFile()", () => {
  const lock = lockOf([WRITE, READ]);
  const text = formatLockFile(lock);
  assert.deepEqual(parseLockFile(text, "mcp.lock"), lock);
});

Deno.test("formatLockFile() writes servers and tools in sorted, stable order with readable text", () => {
  const a = formatLockFile(lockOf([WRITE, READ]));
  const b = formatLockFile(lockOf([READ, WRITE]));
  assert.equal(a, b);
  assert.ok(a.indexOf("read_notes:") < a.indexOf("write_notes:"));
  assert.match(a, /description: Read the user's notes for today\./);
  assert.match(a, /^v: 1$/m);
  const multi = formatLockFile(lockOf([{ ...READ, description: "Line one.\nLine two." }]));
  assert.match(multi, /description: \|-\n\s+Line one\.\n\s+Line two\./);
});

Deno.test("parseLockFile() fails closed on corrupt, empty, unknown-version and wrong-shape files", () => {
  lockInvalid(() => parseLockFile("v: 1\nservers: [", "l"), /Cannot read lock "l"/);
  lockInvalid(() => parseLockFile("", "l"), /empty/);
  lockInvalid(() => parseLockFile("v: 2\nservers: {}\n", "l"), /unknown lock version 2/);
  lockInvalid(() => parseLockFile("version: 1\nentries: []\n", "l"), /unknown lock version null/);
  lockInvalid(() => parseLockFile("v: 1\nservers:\n  a:\n    launch: {}\n", "l"), /servers\.a\.launch/);
  const text = formatLockFile(lockOf([READ]));
  lockInvalid(() => parseLockFile(text.replace(/sha256: ([0-9a-f]{64})/, "sha256: abc"), "l"), /SHA-256/);
  lockInvalid(() => parseLockFile(text + "v: 1\n", "l"), /Cannot read lock/);
  lockInvalid(
    () => parseLockFile(text.replace("- server.ts", "- evil.ts"), "l"),
    /launch hash of server "notes"/,
  );
});

Deno.test("readLockFile() fails closed on a missing file", async () => {
  await assert.rejects(
    readLockFile("/nonexistent/agentperms/mcp.lock"),
    (e: unknown) =>
      e instanceof AgentPermsError && e.code === "lock_invalid" && /does not exist/.test(e.message),
  );
});

Deno.test("formatLockFile() round-trips arbitrary tool names and descriptions exactly (property)", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string({ unit: "binary", minLength: 1, maxLength: 12 }), {
        minLength: 1,
        maxLength: 5,
      }),
      fc.array(fc.string({ unit: "binary", maxLength: 80 }), { minLength: 5, maxLength: 5 }),
      (names, descriptions) => {
        const tools = names.map((name, i) => ({ ...READ, name, description: descriptions[i]! }));
        const lock = lockOf(tools);
        assert.deepEqual(parseLockFile(formatLockFile(lock), "l"), lock);
      },
    ),
    { numRuns: 50 },
  );
});

Deno.test("parseLockFile() keeps a tool named __proto__ as a plain entry", () => {
  const lock = lockOf([{ ...READ, name: "__proto__" }, WRITE]);
  const back = parseLockFile(formatLockFile(lock), "l");
  assert.deepEqual(Object.keys(back.servers.notes!.tools).sort(), ["__proto__", "write_notes"]);
  assert.equal(checkToolsAgainstLock(back, "notes", [{ ...READ, name: "__proto__" }]).drift.size, 0);
  assert.equal(Object.hasOwn(back.servers.notes!.tools, "__proto__"), true);
});
