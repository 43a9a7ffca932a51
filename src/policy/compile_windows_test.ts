import assert from "node:assert/strict";
import { canonicalizeCall, rawCallOf } from "../canonical/mod.ts";
import { decide } from "../decision/mod.ts";
import { compilePolicy, parsePolicy } from "./mod.ts";

const WIN = String.raw`version: 1
servers:
  fs:
    allowed_paths: ['C:\Users\u\work']
    denied_paths: ['C:\Users\u\.ssh']
`;

Deno.test("compilePolicy() reads a policy that names Windows paths the Windows way, and says so to its callers", () => {
  const { policy } = parsePolicy(WIN, { file: "p.yaml" });
  const compiled = compilePolicy(policy, { baseDir: "/proj", home: "/home/u" });
  assert.equal(compiled.windows, true);
  const judge = (path: string) => {
    const opts = { cwd: "/proj", home: "/home/u", ...(compiled.windows ? { windows: true } : {}) };
    return decide(
      compiled,
      canonicalizeCall(rawCallOf({ server: "fs", tool: "read", arguments: { path } }), opts),
    )
      .verdict;
  };
  assert.equal(judge(String.raw`C:\Users\u\work\notes.txt`), "allow");
  assert.equal(judge(String.raw`c:\users\U\WORK\notes.txt`), "allow", "NTFS compares names without case");
  assert.equal(judge(String.raw`C:\Users\u\.ssh\id_rsa`), "deny");
  assert.equal(judge(String.raw`\\?\C:\Users\u\.ssh\id_rsa`), "deny");
  const posix = compilePolicy(
    parsePolicy("version: 1\nservers:\n  fs:\n    allowed_paths: [./src]\n", {
      file: "p.yaml",
    }).policy,
    { baseDir: "/proj", home: "/home/u" },
  );
  assert.equal(posix.windows, undefined);
});
