/**
 * Runtime rug-pull block: the real `agentperms proxy --lock` between the SDK client and the rug-pull
 * server. Enforce hides drifted tools and denies calls naming the drift; record keeps them and traces it.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import { rugPullEntry } from "./_servers.ts";
import { denoRuntimeEnv } from "../../src/sandbox/mod.ts";
import { selfCommand } from "../../src/clients/mod.ts";

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { RUST_BACKTRACE: "0", ...denoRuntimeEnv((k) => Deno.env.get(k)) };
  return env;
}

/**
 * These tests isolate the lock layer, so the server runs without the proxy's Deno-permission containment
 * (which would withhold the env and file access the fixture's knobs need). Older proxies lack the flag.
 */
async function noContainFlag(): Promise<string[]> {
  const io = fakeIo();
  await run(["proxy", "--help"], io);
  return io.stdoutText().includes("--no-contain") ? ["--no-contain"] : [];
}

interface Rig extends AsyncDisposable {
  dir: string;
  client: Client;
}

/**
 * Locks the rug-pull server (its first start), then starts it again behind the proxy.
 * @param mode proxy mode
 * @param stateful true: the proxied start is the server's second start (poisoned from the outset);
 *   false: every start is benign until `trigger_rug_pull`
 */
async function rig(mode: "enforce" | "record", stateful: boolean): Promise<Rig> {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-lock-rt-" });
  const entry = rugPullEntry(dir);
  if (!stateful) delete entry.env!.RUG_STATE_FILE;
  await Deno.writeTextFile(
    `${dir}/mcp.json`,
    JSON.stringify({ mcpServers: { notes: { command: entry.command, args: entry.args, env: entry.env } } }),
  );
  const io = fakeIo({ env: baseEnv(), cwd: dir });
  const code = await run(["lock", "--path", `${dir}/mcp.json`, "--out", `${dir}/mcp.lock`], io);
  assert.equal(code, 0, io.stderrText());
  await Deno.writeTextFile(
    `${dir}/policy.yaml`,
    "version: 1\nservers:\n  notes:\n    allowed_tools: [read_notes, write_notes, trigger_rug_pull]\n",
  );
  const transport = new StdioClientTransport({
    command: selfCommand()[0]!,
    args: [
      ...selfCommand().slice(1),
      "proxy",
      "--mode",
      mode,
      "--server",
      "notes",
      ...(mode === "enforce" ? ["--policy", `${dir}/policy.yaml`] : []),
      "--lock",
      `${dir}/mcp.lock`,
      "--trace-dir",
      `${dir}/traces`,
      "--no-tty",
      ...(await noContainFlag()),
      "--",
      entry.command,
      ...entry.args,
    ],
    env: { ...baseEnv(), ...entry.env },
    cwd: dir,
    stderr: "pipe",
  });
  transport.stderr?.on("data", () => {}); // drain; diagnostics are not asserted
  const client = new Client({ name: "lock-runtime-test", version: "1" });
  await client.connect(transport, { timeout: 30_000 });
  return {
    dir,
    client,
    [Symbol.asyncDispose]: async () => {
      await client.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function resultText(r: unknown): string {
  const c = (r as { content?: { text?: string }[] }).content;
  return c?.map((x) => x.text ?? "").join("") ?? "";
}

async function callText(client: Client, name: string): Promise<{ text: string; blocked: boolean }> {
  try {
    const r = await client.callTool({ name, arguments: {} }, undefined, { timeout: 15_000 });
    return { text: resultText(r), blocked: r.isError === true };
  } catch (e) {
    return { text: (e as Error).message, blocked: true };
  }
}

Deno.test("proxy --lock in enforce mode hides a tool poisoned since it was locked and denies calls to it", async () => {
  await using r = await rig("enforce", true);
  const { tools } = await r.client.listTools(undefined, { timeout: 15_000 });
  const names = tools.map((t) => t.name);
  assert.ok(!names.includes("read_notes"), `drifted tool listed: ${names}`);
  assert.ok(names.includes("write_notes"));
  const call = await callText(r.client, "read_notes");
  assert.equal(call.blocked, true);
  assert.match(call.text, /read_notes.*description changed/);
  const ok = await callText(r.client, "write_notes");
  assert.equal(ok.blocked, false, ok.text);
});

Deno.test("proxy --lock in enforce mode re-checks after notifications/tools/list_changed", async () => {
  await using r = await rig("enforce", false);
  let changed!: () => void;
  const notified = new Promise<void>((res) => (changed = res));
  r.client.setNotificationHandler(ToolListChangedNotificationSchema, () => changed());
  const before = await r.client.listTools(undefined, { timeout: 15_000 });
  assert.ok(before.tools.some((t) => t.name === "read_notes"), "benign tool should be listed");
  assert.equal((await callText(r.client, "read_notes")).blocked, false);

  assert.equal((await callText(r.client, "trigger_rug_pull")).blocked, false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    notified,
    new Promise((
      _,
      rej,
    ) => (timer = setTimeout(() => rej(new Error("no list_changed within 10 s")), 10_000))),
  ]).finally(() => clearTimeout(timer));

  const after = await r.client.listTools(undefined, { timeout: 15_000 });
  assert.ok(
    !after.tools.some((t) => t.name === "read_notes"),
    "poisoned tool still listed after list_changed",
  );
  const call = await callText(r.client, "read_notes");
  assert.equal(call.blocked, true);
  assert.match(call.text, /description changed/);
});

Deno.test("proxy --lock in record mode keeps a drifted tool and writes a drift event to the trace", async () => {
  await using r = await rig("record", true);
  const { tools } = await r.client.listTools(undefined, { timeout: 15_000 });
  assert.ok(tools.some((t) => t.name === "read_notes"));
  await r.client.close();
  const events: { kind: string; tool?: string; detail?: string }[] = [];
  for await (const f of Deno.readDir(`${r.dir}/traces`)) {
    const text = await Deno.readTextFile(`${r.dir}/traces/${f.name}`);
    for (const line of text.split("\n")) if (line.trim()) events.push(JSON.parse(line));
  }
  const drift = events.filter((e) => e.kind === "drift");
  assert.deepEqual(drift.map((e) => [e.tool, e.detail]), [["read_notes", "description changed"]]);
});

// A client that calls from a cached tool list, without listing first, must not reach a drifted tool: until a
// checked tools/list has shown the tool in this session, the proxy fails closed.
Deno.test({
  name: "proxy --lock in enforce mode denies a drifted tool called before any tools/list",
  fn: async () => {
    await using r = await rig("enforce", true);
    const call = await callText(r.client, "read_notes");
    assert.equal(call.blocked, true, call.text);
    assert.match(call.text, /does not match mcp\.lock \(not listed by the server in this session yet/);
  },
});
