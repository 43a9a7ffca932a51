import assert from "node:assert/strict";
import { listServer } from "../../src/lock/mod.ts";
import { AgentPermsError } from "../../src/errors.ts";
import { inheritEnv, rugPullEntry } from "./_servers.ts";

Deno.test("listServer() lists tools, prompts, resources and identity of the rug-pull server", async () => {
  await using tmp = await tempDir();
  const l = await listServer(rugPullEntry(tmp.path), { timeoutMs: 30_000, inheritEnv: inheritEnv() });
  assert.deepEqual(l.serverInfo, { name: "rug-pull-test", version: "1.0.0" });
  assert.equal(l.instructions, "Test server for AgentPerms lock tests.");
  assert.ok(l.protocolVersion);
  assert.deepEqual(l.tools.map((t) => t.name), ["read_notes", "write_notes", "trigger_rug_pull"]);
  assert.equal(l.prompts?.[0]?.name, "summarize");
  assert.equal(l.resources?.[0]?.uri, "notes://today");
  assert.equal(l.resourceTemplates?.[0]?.uriTemplate, "notes://{date}");
});

Deno.test("listServer() treats a missing resources/templates/list as no templates", async () => {
  await using tmp = await tempDir();
  const entry = rugPullEntry(tmp.path, { RUG_NO_TEMPLATES: "1" });
  const l = await listServer(entry, { timeoutMs: 30_000, inheritEnv: inheritEnv() });
  assert.equal(l.resourceTemplates, undefined);
  assert.equal(l.resources?.length, 1);
});

Deno.test("listServer() follows every nextCursor page", async () => {
  await using tmp = await tempDir();
  const entry = rugPullEntry(tmp.path, { RUG_PAGE_SIZE: "2", RUG_EXTRA_TOOLS: "5" });
  const l = await listServer(entry, { timeoutMs: 30_000, inheritEnv: inheritEnv() });
  assert.equal(l.tools.length, 8);
  assert.equal(l.tools.at(-1)?.name, "filler_05");
});

Deno.test("listServer() reports a crashing server with its stderr", async () => {
  await using tmp = await tempDir();
  const err = await listServer(rugPullEntry(tmp.path, { RUG_MODE: "crash" }), {
    timeoutMs: 30_000,
    inheritEnv: inheritEnv(),
  }).catch((e) => e);
  assert.ok(err instanceof AgentPermsError, String(err));
  assert.equal(err.code, "upstream_failed");
  assert.match(err.message, /cannot open database/);
});

Deno.test("listServer() times out on a server that never answers, and kills it", async () => {
  await using tmp = await tempDir();
  const t0 = Date.now();
  const err = await listServer(rugPullEntry(tmp.path, { RUG_MODE: "hang" }), {
    timeoutMs: 1_500,
    inheritEnv: inheritEnv(),
  }).catch((e) => e);
  assert.ok(err instanceof AgentPermsError, String(err));
  assert.equal(err.code, "upstream_failed");
  assert.match(err.message, /did not answer within 1500 ms/);
  assert.ok(Date.now() - t0 < 5_000, "returned promptly after the timeout");
});

Deno.test("listServer() fails on a tools/list error instead of returning no tools", async () => {
  await using tmp = await tempDir();
  const err = await listServer(rugPullEntry(tmp.path, { RUG_MODE: "list_error" }), {
    timeoutMs: 30_000,
    inheritEnv: inheritEnv(),
  }).catch((e) => e);
  assert.ok(err instanceof AgentPermsError, String(err));
  assert.match(err.message, /tools\/list is broken today/);
});

Deno.test("listServer() fails fast when the server dies in the middle of tools/list", async () => {
  await using tmp = await tempDir();
  const t0 = Date.now();
  const err = await listServer(rugPullEntry(tmp.path, { RUG_MODE: "crash_on_list" }), {
    timeoutMs: 20_000,
    inheritEnv: inheritEnv(),
  }).catch((e) => e);
  assert.ok(err instanceof AgentPermsError, String(err));
  assert.match(err.message, /Connection closed/);
  assert.match(err.message, /the server exited/);
  assert.match(err.message, /out of memory while listing/);
  assert.ok(Date.now() - t0 < 10_000, "waited for the timeout instead of failing on exit");
});

Deno.test("listServer() stops a server that repeats its cursor", async () => {
  await using tmp = await tempDir();
  const err = await listServer(rugPullEntry(tmp.path, { RUG_MODE: "loop_cursor" }), {
    timeoutMs: 30_000,
    inheritEnv: inheritEnv(),
  }).catch((e) => e);
  assert.ok(err instanceof AgentPermsError, String(err));
  assert.match(err.message, /repeated the cursor "same"/);
});

Deno.test("listServer() reports a missing command", async () => {
  const err = await listServer({ command: "/nonexistent/agentperms-no-such-server", args: [] }, {
    timeoutMs: 5_000,
  }).catch((e) => e);
  assert.ok(err instanceof AgentPermsError, String(err));
  assert.match(err.message, /not found/);
});

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-lock-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
