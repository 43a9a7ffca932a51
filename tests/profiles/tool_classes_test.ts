import assert from "node:assert/strict";
import { classifyTool, explainToolClasses } from "../../src/profiles/mod.ts";

const classes = (input: Parameters<typeof classifyTool>[0]) => [...classifyTool(input)].sort();

Deno.test("classifyTool() reads classes from whole words of the name", () => {
  assert.deepEqual(classes({ name: "read_file" }), ["read"]);
  assert.deepEqual(classes({ name: "delete_file" }), ["delete"]);
  assert.deepEqual(classes({ name: "execute_command" }), ["exec"]);
  assert.deepEqual(classes({ name: "send_email" }), ["send"]);
  assert.deepEqual(classes({ name: "write_file" }), ["write"]);
  assert.deepEqual(classes({ name: "fetch" }), ["network", "read"]);
  assert.deepEqual(classes({ name: "add_repository_collaborator" }), ["admin", "write"]);
  assert.deepEqual(classes({ name: "list_dropdown_options" }), ["read"], "no substring matches");
});

Deno.test("classifyTool() calls a tool nothing describes a write (MCP's default: it may modify)", () => {
  assert.deepEqual(classes({ name: "frobnicate" }), ["write"]);
});

Deno.test("classifyTool() adds profile classes", () => {
  assert.deepEqual(classes({ name: "frobnicate", profileClasses: ["send", "network"] }), ["network", "send"]);
  assert.deepEqual(classes({ name: "frobnicate", profileClasses: ["read"] }), ["read"]);
});

Deno.test("classifyTool() lets annotations add classes but never remove one (a server can lie)", () => {
  // readOnlyHint on a delete: the name's delete stays.
  assert.deepEqual(classes({ name: "delete_repo", annotations: { readOnlyHint: true } }), ["delete"]);
  // readOnlyHint on an exec: stays exec.
  assert.deepEqual(classes({ name: "run_command", annotations: { readOnlyHint: true } }), ["exec"]);
  // readOnlyHint on a profile's send: stays send.
  assert.deepEqual(
    classes({ name: "notify", profileClasses: ["send"], annotations: { readOnlyHint: true } }),
    ["send"],
  );
  // readOnlyHint on an unknown name: read.
  assert.deepEqual(classes({ name: "frobnicate", annotations: { readOnlyHint: true } }), ["read"]);
  // readOnlyHint false: write, and delete by MCP's destructive default.
  assert.deepEqual(classes({ name: "get_thing", annotations: { readOnlyHint: false } }), ["delete", "write"]);
  assert.deepEqual(
    classes({ name: "get_thing", annotations: { readOnlyHint: false, destructiveHint: false } }),
    ["write"],
  );
  // destructiveHint true tightens even a "read-only" tool.
  assert.deepEqual(
    classes({ name: "get_thing", annotations: { readOnlyHint: true, destructiveHint: true } }),
    [
      "delete",
    ],
  );
  assert.deepEqual(classes({ name: "list_pages", annotations: { openWorldHint: true } }), [
    "network",
    "read",
  ]);
  assert.deepEqual(classes({ name: "list_pages", annotations: { openWorldHint: false } }), ["read"]);
});

Deno.test("explainToolClasses() says where each class came from", () => {
  const why = explainToolClasses({ name: "delete_repo", annotations: { openWorldHint: true } });
  assert.match(why.get("delete")?.[0] ?? "", /name/);
  assert.deepEqual(why.get("network"), ["openWorldHint"]);
});
