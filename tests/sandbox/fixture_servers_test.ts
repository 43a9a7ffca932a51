/**
 * The sandbox fixture servers (`tests/fixtures/servers/py_server.py`, `sh_server.sh`) speak MCP well enough
 * for the SDK client, driven directly (no AgentPerms), so a failure under the sandbox is the sandbox's.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { EmptyResultSchema, LATEST_PROTOCOL_VERSION, McpError } from "@modelcontextprotocol/sdk/types.js";

const SERVERS = fileURLToPath(new URL("../fixtures/servers/", import.meta.url));
const PY_SERVER = join(SERVERS, "py_server.py");
const SH_SERVER = join(SERVERS, "sh_server.sh");

/** A temp dir removed on dispose. */
async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** An SDK client over stdio to `argv`, with its own HOME and only PATH besides; stderr is collected. */
async function connect(
  argv: string[],
  home: string,
): Promise<{ client: Client; stderr: () => string } & AsyncDisposable> {
  const transport = new StdioClientTransport({
    command: argv[0]!,
    args: argv.slice(1),
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home },
    cwd: home,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (b: Uint8Array) => void (stderr += new TextDecoder().decode(b)));
  const client = new Client({ name: "agentperms-fixture-test", version: "0.0.0" });
  await client.connect(transport);
  return { client, stderr: () => stderr, [Symbol.asyncDispose]: () => client.close() };
}

/** The text of a tool result, and whether it is an error. */
function text(result: unknown): { text: string; isError: boolean } {
  const r = result as { content?: { type: string; text?: string }[]; isError?: boolean };
  return { text: (r.content ?? []).map((c) => c.text ?? "").join(""), isError: r.isError === true };
}

Deno.test("py_server.py answers initialize, tools/list, tools/call and ping over stdio", async () => {
  await using home = await tempDir("ap-fixture-home-");
  await using s = await connect(["python3", PY_SERVER], home.path);
  const { client } = s;
  assert.deepEqual(client.getServerVersion(), { name: "py-fixture", version: "1.0.0" });
  assert.deepEqual(client.getServerCapabilities(), { tools: {} });
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ["echo", "read_file", "write_file", "fetch", "run", "connect"]);
  await client.ping();

  assert.deepEqual(text(await client.callTool({ name: "echo", arguments: { text: "hi" } })), {
    text: "hi",
    isError: false,
  });
  const file = join(home.path, "f.txt");
  assert.equal(
    text(await client.callTool({ name: "write_file", arguments: { path: file, content: "abc" } })).isError,
    false,
  );
  assert.equal(await Deno.readTextFile(file), "abc");
  assert.deepEqual(text(await client.callTool({ name: "read_file", arguments: { path: file } })), {
    text: "abc",
    isError: false,
  });
  const missing = text(await client.callTool({ name: "read_file", arguments: { path: `${file}.missing` } }));
  assert.equal(missing.isError, true);
  assert.match(missing.text, /^FileNotFoundError: .*No such file or directory/);
  // stderr is a separate pipe: its line may arrive after the result, so wait for it (bounded).
  for (let i = 0; i < 100 && !/read_file failed: FileNotFoundError/.test(s.stderr()); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(s.stderr(), /read_file failed: FileNotFoundError/);

  const run = text(
    await client.callTool({ name: "run", arguments: { command: "echo out; echo err >&2; exit 3" } }),
  );
  assert.deepEqual(run, { text: "exit 3\nstdout:\nout\n\nstderr:\nerr\n", isError: false });
});

Deno.test("py_server.py reaches the network through fetch and connect, and reports refusals as isError", async () => {
  await using home = await tempDir("ap-fixture-home-");
  await using http = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("pong"),
  );
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await tcp.accept();
    await conn.write(new TextEncoder().encode("banner line\nrest"));
    conn.close();
  })();
  try {
    await using s = await connect(["python3", PY_SERVER], home.path);
    const { client } = s;
    const fetched = text(
      await client.callTool({ name: "fetch", arguments: { url: `http://127.0.0.1:${http.addr.port}/` } }),
    );
    assert.deepEqual(fetched, { text: "status 200\npong", isError: false });
    const connected = text(
      await client.callTool({ name: "connect", arguments: { host: "127.0.0.1", port: tcp.addr.port } }),
    );
    assert.deepEqual(connected, { text: "connected\nbanner line\n", isError: false });
    await served;

    // A port nobody listens on: the refusal comes back as the tool's own error text.
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const deadPort = closed.addr.port;
    closed.close();
    const refused = text(
      await client.callTool({ name: "connect", arguments: { host: "127.0.0.1", port: deadPort } }),
    );
    assert.equal(refused.isError, true);
    assert.match(refused.text, /ConnectionRefusedError/);
    const badFetch = text(
      await client.callTool({ name: "fetch", arguments: { url: `http://127.0.0.1:${deadPort}/` } }),
    );
    assert.equal(badFetch.isError, true);
    assert.match(badFetch.text, /URLError: .*Connection refused/);
  } finally {
    tcp.close();
  }
});

Deno.test("py_server.py answers an unknown method with -32601 and echoes the client's protocol version", async () => {
  await using home = await tempDir("ap-fixture-home-");
  await using s = await connect(["python3", PY_SERVER], home.path);
  await assert.rejects(
    s.client.request({ method: "resources/list" }, EmptyResultSchema),
    (e: unknown) => e instanceof McpError && e.code === -32601,
  );
  // The SDK client offers its latest version; the fixture agrees to it.
  const raw = new Deno.Command("python3", {
    args: [PY_SERVER],
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home.path },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = raw.stdin.getWriter();
  await w.write(
    new TextEncoder().encode(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "initialize",
        params: {
          protocolVersion: LATEST_PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: "t", version: "0" },
        },
      }) + "\n",
    ),
  );
  await w.close();
  const out = new TextDecoder().decode((await raw.output()).stdout).trim();
  assert.equal(JSON.parse(out).result.protocolVersion, LATEST_PROTOCOL_VERSION);
});

Deno.test("sh_server.sh answers initialize, tools/list, tools/call and ping over stdio", async () => {
  await using home = await tempDir("ap-fixture-home-");
  // Run by path, as a client would run a native binary: this needs the executable bit.
  await using s = await connect([SH_SERVER], home.path);
  const { client } = s;
  assert.deepEqual(client.getServerVersion(), { name: "sh-fixture", version: "1.0.0" });
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), ["hello"]);
  assert.deepEqual(text(await client.callTool({ name: "hello", arguments: {} })), {
    text: "hello from sh",
    isError: false,
  });
  await client.ping();
  await assert.rejects(
    client.request({ method: "resources/list" }, EmptyResultSchema),
    (e: unknown) => e instanceof McpError && e.code === -32601,
  );
  assert.match(s.stderr(), /sh-fixture: running on stdio/);
});
