import assert from "node:assert/strict";
import { describeStartFailure } from "./describe_start_failure.ts";

Deno.test("describeStartFailure() names the likely cause and keeps the last stderr lines", () => {
  const rows: Array<[string, string, RegExp]> = [
    ["Error: BRAVE_API_KEY environment variable is required", "missing-env", /BRAVE_API_KEY.*sandbox\.env/],
    ['error: Requires env access to "MEMORY_FILE_PATH"', "missing-env", /MEMORY_FILE_PATH/],
    ["Error: Cannot find module 'zod'\nRequire stack:", "missing-module", /cannot load "zod"/],
    ["ModuleNotFoundError: No module named 'mcp'", "missing-module", /"mcp"/],
    [
      "OSError: [Errno 30] Read-only file system: '/home/u/.cache/x'",
      "denied-write",
      /\/home\/u\/\.cache\/x/,
    ],
    [
      "Error: ENOENT: no such file or directory, open '/home/u/data/db.json'",
      "denied-read",
      /"\/home\/u\/data\/db\.json": it is not visible in the sandbox/,
    ],
    ["getaddrinfo EAI_AGAIN api.example.com", "network", /"api\.example\.com".*allowed_hosts/],
    [
      // Node's recursive mkdir reports a read-only home as ENOENT; the stack and error block follow it.
      "Error: ENOENT: no such file or directory, mkdir '/home/u/.claude-server-commander'\n" +
      "    at Object.mkdirSync (node:fs:1372:26)\n    at file:///x/config.js:5:1 {\n  errno: -2,\n" +
      "  code: 'ENOENT',\n  syscall: 'mkdir',\n  path: '/home/u/.claude-server-commander'\n}\n\nNode.js v20.20.2",
      "denied-write",
      /write "\/home\/u\/\.claude-server-commander"/,
    ],
    [
      "bwrap: Can't mount proc on /newroot/proc: Operation not permitted",
      "sandbox",
      /OS sandbox could not start/,
    ],
    [
      "something odd happened",
      "unknown",
      /exited with code 1; its stderr ended with: banner \| something odd/,
    ],
  ];
  for (const [tail, cause, message] of rows) {
    const f = describeStartFailure(1, `banner\n${tail}\n`, true);
    assert.equal(f.cause, cause, tail);
    assert.match(f.message, message, tail);
    assert.match(f.message, /exit code 1|code 1/);
  }
  assert.equal(
    describeStartFailure(3, "", false).message,
    "the server exited with code 3 and wrote nothing to stderr",
  );
});
