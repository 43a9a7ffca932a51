import assert from "node:assert/strict";
import { classifyToolName as classifyTool, toolWords } from "./classify_tool_name.ts";

Deno.test("toolWords() splits on _, -, . and camelCase into lowercase whole words", () => {
  assert.deepEqual(toolWords("sendEmail"), ["send", "email"]);
  assert.deepEqual(toolWords("git.force-push"), ["git", "force", "push"]);
  assert.deepEqual(toolWords("HTMLParser_v2"), ["html", "parser", "v2"]);
});

Deno.test("classifyTool() does not misfire on substrings the original matched", () => {
  for (
    const name of [
      "list_filesystem",
      "search_system_logs",
      "retrieval_search",
      "format_document",
      "confirm_order",
      "terminal_read",
      "get_updates",
      "dropdown_options",
      "list_messages",
      "read_email",
      "query_db",
      "push_files",
      "create_entities",
    ]
  ) {
    assert.equal(classifyTool(name).dangerous, false, name);
  }
});

Deno.test("classifyTool() flags shell, send, delete, force push, merge and database writes by whole words", () => {
  const cases: [string, string][] = [
    ["exec", "shell"],
    ["run_command", "shell"],
    ["execute_write", "shell"],
    ["send_email", "send"],
    ["sendEmail", "send"],
    ["post_message", "send"],
    ["delete_repo", "delete"],
    ["drop_table", "delete"],
    ["force_push", "force-push"],
    ["merge_pr", "merge"],
    ["write_query", "db-write"],
    ["insert_rows", "db-write"],
  ];
  for (const [name, cat] of cases) {
    const c = classifyTool(name);
    assert.equal(c.dangerous, true, name);
    assert.ok(c.categories.includes(cat as never), `${name}: ${c.categories}`);
    assert.equal(c.source, "name");
  }
});

Deno.test("classifyTool() prefers MCP annotations over the name", () => {
  assert.equal(classifyTool("post_message", { readOnlyHint: true }).dangerous, false);
  const d = classifyTool("update_record", { readOnlyHint: false, destructiveHint: true });
  assert.equal(d.dangerous, true);
  assert.equal(d.source, "annotations");
  // MCP: destructiveHint defaults to true when the tool is not read-only.
  assert.equal(classifyTool("touch", { readOnlyHint: false }).dangerous, true);
  assert.equal(
    classifyTool("create_issue", { readOnlyHint: false, destructiveHint: false }).dangerous,
    false,
  );
});

Deno.test("classifyTool() keeps a shell or delete name dangerous despite readOnlyHint", () => {
  const c = classifyTool("delete_repo", { readOnlyHint: true });
  assert.equal(c.dangerous, true);
  assert.match(c.why, /despite readOnlyHint/);
});

Deno.test("classifyTool() falls back to the name when annotations carry no hints", () => {
  assert.equal(classifyTool("exec", { openWorldHint: true }).dangerous, true);
  assert.equal(classifyTool("read_file", {}).dangerous, false);
});

Deno.test("classifyTool() calls executing statements against a database a database write, not a shell", () => {
  assert.deepEqual(classifyTool("execute_sql").categories, ["db-write"]);
  assert.deepEqual(classifyTool("run_query").categories, ["db-write"]);
  assert.deepEqual(classifyTool("execute_command").categories, ["shell"]);
});
