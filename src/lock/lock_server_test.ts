import assert from "node:assert/strict";
import { AgentPermsError } from "../errors.ts";
import { lockLaunch, lockServer, lockTool } from "./lock_server.ts";
import { ENTRY, READ, WRITE } from "./_test_util.ts";

Deno.test("lockServer() refuses a server that lists one tool name twice", () => {
  assert.throws(
    () => lockServer(ENTRY, { tools: [READ, WRITE, { ...READ, description: "shadow" }] }),
    (e: unknown) =>
      e instanceof AgentPermsError && e.code === "upstream_failed" && /"read_notes" twice/.test(e.message),
  );
});

Deno.test("lockTool() hashes the full identity and each field with full-length SHA-256", () => {
  const t = lockTool(READ);
  assert.match(t.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(Object.keys(t.fields), ["description", "inputSchema", "annotations"]);
  assert.equal(t.description, READ.description);
  // Key order in the server's JSON must not matter (RFC 8785 canonical form).
  const reordered = JSON.parse(
    JSON.stringify({
      annotations: READ.annotations,
      inputSchema: READ.inputSchema,
      description: READ.description,
      name: READ.name,
    }),
  );
  assert.equal(lockTool(reordered).sha256, t.sha256);
  // Fields outside the identity (icons, _meta) do not change the pin.
  assert.equal(lockTool({ ...READ, _meta: { x: 1 } }).sha256, t.sha256);
  assert.notEqual(lockTool({ ...READ, title: "Read" }).sha256, t.sha256);
});

Deno.test("lockLaunch() pins command, args and env names but not env values", () => {
  const a = lockLaunch(ENTRY);
  assert.deepEqual(a.envNames, ["TOKEN"]);
  assert.equal(lockLaunch({ ...ENTRY, env: { TOKEN: "rotated" } }).sha256, a.sha256);
  assert.notEqual(lockLaunch({ ...ENTRY, args: [...ENTRY.args, "--x"] }).sha256, a.sha256);
  assert.equal(lockLaunch(a).sha256, a.sha256, "re-hashing a pinned launch is stable");
});

Deno.test("lockServer() sorts tools and keeps identity, prompts and resource templates", () => {
  const s = lockServer(ENTRY, {
    serverInfo: { name: "n", version: "1" },
    instructions: "Hi.",
    tools: [WRITE, READ],
    resourceTemplates: [{ uriTemplate: "notes://{d}", name: "by-day" }],
  });
  assert.deepEqual(Object.keys(s.tools), ["read_notes", "write_notes"]);
  assert.equal(s.instructions, "Hi.");
  assert.ok(s.resourceTemplates?.["notes://{d}"]);
});
