/**
 * End to end: the MCP SDK `Client` (stdio) → `agentperms proxy --url` → the real server-everything in its
 * `streamableHttp` and `sse` modes on loopback, sometimes behind a recording front (`Deno.serve`) that shows
 * what reached the remote and can drop a connection.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
// @ts-types="@modelcontextprotocol/sdk/types"
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  childEnv,
  CLI,
  CONFIG,
  DENO,
  firstText,
  proxyArgv,
  RawProxy,
  sdkClient,
  tempDir,
  traceEvents,
  until,
} from "./_helpers.ts";

const TOKEN = "tok-8f2d1c9a7b6e5d4c3b2a";

// The test's own HOME must not move Deno's cache (an empty one would download everything again).
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  (JSON.parse(new TextDecoder().decode(
    new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" }).outputSync().stdout,
  )) as { denoDir: string }).denoDir;

/** The bridge's environment: a temp HOME, Deno's cache, the token the header names. */
const bridgeEnv = (home: string) => ({ AP_TEST_TOKEN: TOKEN, HOME: home, DENO_DIR });

/** server-everything serving `mode` on a free loopback port; killed on dispose. */
async function everything(mode: "streamableHttp" | "sse"): Promise<{ base: string } & AsyncDisposable> {
  const port = freePort();
  const child = new Deno.Command(DENO, {
    args: [
      "run",
      "--no-config",
      "--no-prompt",
      "-A",
      "npm:@modelcontextprotocol/server-everything@2026.8.31",
      mode,
    ],
    env: childEnv({ PORT: String(port), DENO_DIR }),
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  await until(
    async () => {
      try {
        const r = await fetch(`${base}/`, { signal: AbortSignal.timeout(1000) });
        await r.body?.cancel();
        return true;
      } catch {
        return false;
      }
    },
    60_000,
    `server-everything ${mode} on ${base}`,
  );
  return {
    base,
    async [Symbol.asyncDispose]() {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * A front that passes every request on to `target` (streamed both ways) and records the method and the
 * Authorization header it saw; a POSTed tools/call whose body holds `drop-me` gets an event stream that ends
 * without an answer (a server that drops the connection).
 */
function front(
  target: string,
): { url: string; seen: { method: string; auth: string | null }[] } & AsyncDisposable {
  const seen: { method: string; auth: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    seen.push({ method: req.method, auth: req.headers.get("authorization") });
    const body = req.method === "POST" ? await req.text() : undefined;
    if (body?.includes("drop-me")) {
      return new Response(new ReadableStream({ start: (c) => c.close() }), {
        headers: { "content-type": "text/event-stream" },
      });
    }
    const u = new URL(req.url);
    const res = await fetch(target + u.pathname + u.search, {
      method: req.method,
      headers: req.headers,
      body,
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

const POLICY = `version: 1
servers:
  ev:
    allowed_tools: [echo, get-sum, trigger-sampling-request]
    deny_sampling: true
`;

function bridgeArgv(
  o: { mode: "record" | "enforce"; policy?: string; traceDir: string; url: string; extra?: string[] },
) {
  return proxyArgv({
    mode: o.mode,
    server: "ev",
    policy: o.policy,
    traceDir: o.traceDir,
    separator: false,
    extra: ["--url", o.url, "--header", "Authorization: Bearer ${env:AP_TEST_TOKEN}", ...(o.extra ?? [])],
  }, []);
}

Deno.test("proxy --url: Streamable HTTP through the router: tools/list filtered, calls allowed and denied, a sampling request inside the SSE stream denied and answered upstream, the token sent and never traced", async () => {
  await using tmp = await tempDir();
  await using ev = await everything("streamableHttp");
  await using f = front(ev.base);
  const policy = join(tmp.path, "p.yaml");
  await Deno.writeTextFile(policy, POLICY);
  const traces = join(tmp.path, "traces");
  let sampled = 0;
  {
    await using client = await sdkClient(
      bridgeArgv({ mode: "enforce", policy, traceDir: traces, url: `${f.url}/mcp` }),
      { env: bridgeEnv(tmp.path), capabilities: { sampling: {} } },
    );
    client.setRequestHandler(CreateMessageRequestSchema, () => {
      sampled++;
      return { model: "m", role: "assistant", content: { type: "text", text: "leaked" } };
    });
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ["echo", "get-sum", "trigger-sampling-request"]);
    assert.equal(
      firstText(await client.callTool({ name: "echo", arguments: { message: "hi" } })),
      "Echo: hi",
    );
    const denied = await client.callTool({ name: "get-env", arguments: {} });
    assert.equal(denied.isError, true);
    assert.match(firstText(denied), /AgentPerms blocked this call/);
    const s = await client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hi" } });
    assert.match(JSON.stringify(s), /AgentPerms blocked this call.*sampling is denied/);
    assert.equal(sampled, 0, "the client was never asked");
  }
  // Every request carried the token; DELETE ended the session.
  assert.ok(f.seen.length > 0 && f.seen.every((r) => r.auth === `Bearer ${TOKEN}`));
  await until(() => f.seen.some((r) => r.method === "DELETE"), 5000, "DELETE");
  assert.ok(f.seen.some((r) => r.method === "GET"), "the GET stream was opened");
  const events = await traceEvents(traces);
  const serverReq = events.find((e) => e.kind === "server-request" && e.method === "sampling/createMessage");
  assert.equal(serverReq?.forwarded, false);
  assert.deepEqual(
    events.filter((e) => e.kind === "call" && e.method === "tools/call").map((
      e,
    ) => [e.tool, e.decision?.verdict]),
    [["echo", "allow"], ["get-env", "deny"], ["trigger-sampling-request", "allow"]],
  );
  for await (const e of Deno.readDir(traces)) {
    assert.doesNotMatch(await Deno.readTextFile(join(traces, e.name)), new RegExp(TOKEN));
  }
});

Deno.test("proxy --url: falls back to the legacy HTTP+SSE transport when POST gets a 4xx", async () => {
  await using tmp = await tempDir();
  await using ev = await everything("sse");
  const traces = join(tmp.path, "traces");
  await using client = await sdkClient(
    bridgeArgv({ mode: "record", traceDir: traces, url: `${ev.base}/sse` }),
    { env: bridgeEnv(tmp.path) },
  );
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === "echo"));
  assert.equal(
    firstText(await client.callTool({ name: "echo", arguments: { message: "old" } })),
    "Echo: old",
  );
  const events = await traceEvents(traces);
  assert.ok(events.some((e) => e.kind === "call" && e.tool === "echo" && e.forwarded));
});

Deno.test("proxy --url: a dropped answer stream and an unreachable remote are answered with an error naming the fix; the token never reaches stderr", async () => {
  await using tmp = await tempDir();
  await using ev = await everything("streamableHttp");
  await using f = front(ev.base);
  const traces = join(tmp.path, "traces");
  {
    await using client = await sdkClient(
      bridgeArgv({ mode: "record", traceDir: traces, url: `${f.url}/mcp` }),
      { env: bridgeEnv(tmp.path) },
    );
    await assert.rejects(
      client.callTool({ name: "echo", arguments: { message: "drop-me" } }),
      /closed the answer's event stream before answering/,
    );
    // The bridge keeps serving.
    assert.equal(firstText(await client.callTool({ name: "echo", arguments: { message: "x" } })), "Echo: x");
  }
  // Enforce mode, nothing listening: the client's initialize gets an error that says what to check.
  const port = freePort();
  await Deno.writeTextFile(join(tmp.path, "p.yaml"), POLICY);
  const p = new RawProxy(
    bridgeArgv({
      mode: "enforce",
      policy: join(tmp.path, "p.yaml"),
      traceDir: traces,
      url: `http://127.0.0.1:${port}/mcp`,
    }),
    bridgeEnv(tmp.path),
  );
  await p.send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
  });
  await until(() => p.messages.length > 0, 10_000, "an answer");
  const answer = JSON.stringify(p.messages[0]);
  assert.match(answer, /"id":1.*did not answer: it cannot be reached.*Fix: check --url/);
  await p[Symbol.asyncDispose]();
  assert.doesNotMatch(p.stderr + answer, new RegExp(TOKEN));
});

Deno.test("proxy --url in enforce mode without a policy tells the client how to fix it, and exits 2", async () => {
  await using tmp = await tempDir();
  const argv = bridgeArgv({ mode: "enforce", traceDir: join(tmp.path, "t"), url: "http://127.0.0.1:9/mcp" });
  const p = new RawProxy(argv, bridgeEnv(tmp.path));
  await p.send({ jsonrpc: "2.0", id: 7, method: "initialize", params: {} });
  await until(() => p.messages.length > 0, 10_000, "an answer");
  assert.match(JSON.stringify(p.messages[0]), /"id":7.*Enforce mode needs a policy.*Fix: Pass --policy FILE/);
  await p.closeStdin();
  assert.equal(await p.exit(), 2);
  await p[Symbol.asyncDispose]();
});

Deno.test("proxy --remote (what record/enforce write for a url entry) reads the URL and the headers from the environment", async () => {
  await using tmp = await tempDir();
  await using ev = await everything("streamableHttp");
  await using f = front(ev.base);
  const traces = join(tmp.path, "traces");
  const argv = proxyArgv(
    { mode: "record", server: "ev", traceDir: traces, separator: false, extra: ["--remote", "http"] },
    [],
  );
  {
    await using client = await sdkClient(argv, {
      env: {
        ...bridgeEnv(tmp.path),
        AGENTPERMS_REMOTE_URL: `${f.url}/mcp`,
        AGENTPERMS_REMOTE_HEADER_0: "Authorization: Bearer ${env:AP_TEST_TOKEN}",
      },
    });
    assert.equal(firstText(await client.callTool({ name: "echo", arguments: { message: "w" } })), "Echo: w");
  }
  assert.ok(f.seen.length > 0 && f.seen.every((r) => r.auth === `Bearer ${TOKEN}`));
  for await (const e of Deno.readDir(traces)) {
    assert.doesNotMatch(await Deno.readTextFile(join(traces, e.name)), new RegExp(TOKEN));
  }
});

Deno.test("a remote entry in a client config is recorded, inferred, enforced and restored like a stdio one", async () => {
  await using tmp = await tempDir();
  await using ev = await everything("streamableHttp");
  const file = join(tmp.path, "mcp.json");
  const original = JSON.stringify({ mcpServers: { ev: { type: "http", url: `${ev.base}/mcp` } } }, null, 2) +
    "\n";
  await Deno.writeTextFile(file, original);
  const traces = join(tmp.path, "traces");
  const env = { ...childEnv(), ...bridgeEnv(tmp.path) };
  const cli = async (...args: string[]) => {
    const o = await new Deno.Command(DENO, {
      args: ["run", "-A", "--config", CONFIG, CLI, ...args],
      env,
      cwd: tmp.path,
    })
      .output();
    const err = new TextDecoder().decode(o.stderr);
    assert.equal(o.code, 0, `${args.join(" ")}: ${err}${new TextDecoder().decode(o.stdout)}`);
  };
  const connect = async () => {
    const entry = JSON.parse(await Deno.readTextFile(file)).mcpServers.ev;
    return await sdkClient([entry.command, ...entry.args], { env: { ...bridgeEnv(tmp.path), ...entry.env } });
  };

  await cli("record", "--path", file, "--trace-dir", traces);
  {
    await using client = await connect();
    assert.equal(firstText(await client.callTool({ name: "echo", arguments: { message: "a" } })), "Echo: a");
  }
  const policy = join(tmp.path, "mcp.policy.yaml");
  await cli("infer", traces, "--out", policy);
  assert.match(await Deno.readTextFile(policy), /echo/);
  await cli("enforce", "--path", file, "--policy", policy);
  {
    await using client = await connect();
    assert.equal(firstText(await client.callTool({ name: "echo", arguments: { message: "b" } })), "Echo: b");
    const denied = await client.callTool({ name: "get-env", arguments: {} });
    assert.equal(denied.isError, true, "a tool the recorded session never used is denied");
  }
  await cli("enforce", "--path", file, "--stop");
  assert.equal(await Deno.readTextFile(file), original, "--stop gives back the same bytes");
});
