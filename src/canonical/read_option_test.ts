import assert from "node:assert/strict";
import { isOptionShaped, nameWords, optionKeyClass, optionValues, runsProgram } from "./read_option.ts";

Deno.test("runsProgram() reads program names from the server, the tool and the description", () => {
  assert.equal(runsProgram("mcp-server-git", "log"), true);
  assert.equal(runsProgram("tools", "kubectlApply"), true);
  assert.equal(runsProgram("tools", "search", "Runs ripgrep over the tree"), true);
  assert.equal(runsProgram("github", "search_issues", "Search GitHub issues"), false);
  assert.equal(runsProgram("filesystem", "read_file"), false);
});

Deno.test("optionKeyClass() lets the last word of the name decide", () => {
  assert.deepEqual(nameWords("repoPath_x-y"), ["repo", "path", "x", "y"]);
  assert.equal(optionKeyClass("commit_message", true), "free");
  assert.equal(optionKeyClass("repo_path", false), "operand");
  assert.equal(optionKeyClass("contains", false), "free");
  assert.equal(optionKeyClass("not_contains", true), "operand");
  assert.equal(optionKeyClass("mode", false), "other");
});

Deno.test("isOptionShaped() and optionValues() read options as getopt does", () => {
  for (const v of ["-x", "--x", "--", "  -o", "－－output"]) assert.equal(isOptionShaped(v), true, v);
  for (const v of ["-", "-1", "-2.5", "- item", "x-y"]) assert.equal(isOptionShaped(v), false, v);
  assert.deepEqual(optionValues("--output=/tmp/x"), ["/tmp/x"]);
  assert.deepEqual(optionValues("-o/etc/passwd"), ["/etc/passwd"]);
  assert.deepEqual(optionValues("-oProxyCommand=id"), ["id", "ProxyCommand=id"]);
  assert.deepEqual(optionValues("--force"), []);
});
