import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { parseConfig } from "../../src/clients/mod.ts";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import { denoRuntimeEnv } from "../../src/sandbox/mod.ts";

const TINY = fileURLToPath(new URL("./_tiny_server.ts", import.meta.url));
const LOCATORS = [{ kind: "map" as const, at: ["mcpServers"] }];

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-e2e-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  // The server's and proxy's stderr go into the failure message: a wiring bug shows up there first.
  return Promise.race([p, t]).catch((e) => {
    throw new Error(`${what}: ${(e as Error).message}\nstderr: ${errText.join("")}`);
  }).finally(() => clearTimeout(timer));
}

/** Starts the entry exactly as a client would: its command, args, env and the config's directory as cwd. */
const errText: string[] = [];

async function connect(file: string, name: string, stateDir: string): Promise<Client> {
  const entry = parseConfig(await Deno.readTextFile(file), { format: "jsonc", locators: LOCATORS }).servers
    .find((s) => s.name === name)!;
  // The proxy's default trace folder is under XDG_STATE_HOME: the test's own, never the user's.
  const env: Record<string, string> = {
    ...entry.env,
    ...denoRuntimeEnv((k) => Deno.env.get(k)),
    XDG_STATE_HOME: stateDir,
  };
  const transport = new StdioClientTransport({
    command: entry.command!,
    args: entry.args,
    env,
    stderr: "pipe",
  });
  const client = new Client({ name: "e2e-client", version: "1.0.0" });
  await withTimeout(client.connect(transport), 30_000, "connect");
  return client;
}

Deno.test("record and enforce wire a real config; the rewritten command speaks MCP through the proxy", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "mcp.json");
  const original = JSON.stringify(
    {
      mcpServers: {
        tiny: {
          command: Deno.execPath(),
          args: ["run", "--no-config", "--no-prompt", "--allow-env=TINY_GREETING", TINY],
          env: { TINY_GREETING: "hi " },
        },
        remote: { url: "https://example.invalid/mcp" },
      },
    },
    null,
    2,
  ) + "\n";
  await Deno.writeTextFile(file, original);
  const traces = join(dir.path, "traces");
  const io = fakeIo({ cwd: dir.path, env: { HOME: dir.path } });
  assert.equal(await run(["record", "--path", file, "--trace-dir", "traces"], io), 0, io.stderrText());
  // The remote entry is wired too: the proxy bridges stdio to its URL (--remote, the URL in its env).
  assert.match(io.stdoutText(), /Wired 2 server\(s\) through the record proxy/);

  const state = join(dir.path, "state");
  const rec = await connect(file, "tiny", state);
  try {
    const tools = await withTimeout(rec.listTools(), 20_000, "tools/list");
    assert.deepEqual(tools.tools.map((t) => t.name), ["echo", "read_secret"]);
    const r = await withTimeout(
      rec.callTool({ name: "echo", arguments: { text: "there" } }),
      20_000,
      "record echo",
    );
    assert.deepEqual(r.content, [{ type: "text", text: "hi there" }]);
  } finally {
    await rec.close();
  }
  const traceFiles = [...Deno.readDirSync(traces)].map((e) => e.name);
  assert.ok(traceFiles.some((n) => n.endsWith(".jsonl")), `a trace was written: ${traceFiles}`);

  const policy = join(dir.path, "mcp.policy.yaml");
  await Deno.writeTextFile(policy, "version: 1\nservers:\n  tiny:\n    allowed_tools: [echo]\n");
  const io2 = fakeIo({ cwd: dir.path, env: { HOME: dir.path } });
  assert.equal(
    await run(["enforce", "--path", file, "--policy", "mcp.policy.yaml"], io2),
    0,
    io2.stderrText(),
  );
  const enf = await connect(file, "tiny", state);
  try {
    const ok = await withTimeout(
      enf.callTool({ name: "echo", arguments: { text: "again" } }),
      20_000,
      "echo",
    );
    // Enforce mode contains the server (no env access unless the policy grants it), so only the echo is sure.
    const text = (ok.content as { text: string }[])[0]?.text ?? "";
    assert.ok(text.endsWith("again"), text);
    const denied = await withTimeout(
      enf.callTool({ name: "read_secret", arguments: {} }),
      20_000,
      "read_secret",
    )
      .then((res) => ({ res, err: undefined }), (err) => ({ res: undefined, err }));
    const blocked = denied.err !== undefined || denied.res?.isError === true;
    assert.ok(blocked, "the policy blocks read_secret");
    assert.ok(!JSON.stringify(denied).includes("s3cr3t"));
  } finally {
    await enf.close();
  }

  // Enforce was wired without --trace-dir: its trace went to the test's state folder.
  assert.ok([...Deno.readDirSync(join(state, "agentperms/traces"))].some((e) => e.name.endsWith(".jsonl")));
  const io3 = fakeIo({ cwd: dir.path, env: { HOME: dir.path } });
  assert.equal(await run(["record", "--path", file, "--stop"], io3), 0, io3.stderrText());
  assert.equal(await Deno.readTextFile(file), original);
});
