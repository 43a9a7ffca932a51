/**
 * End to end: `agentperms gateway` (a process, temp HOME, loopback only) in front of the real server-everything
 * over stdio (contained as `agentperms proxy` starts it) and in its own streamableHttp mode (through the
 * bridge), with the MCP SDK's `StreamableHTTPClientTransport` and the MCP Inspector CLI as clients.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { CreateMessageRequestSchema, ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  childEnv,
  CLI,
  CONFIG,
  DENO,
  firstText,
  npmServer,
  ROOT,
  tempDir,
  traceEvents,
  until,
} from "./_helpers.ts";

// The test's own HOME must not move Deno's cache (an empty one would download everything again).
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  (JSON.parse(new TextDecoder().decode(
    new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" }).outputSync().stdout,
  )) as { denoDir: string }).denoDir;

const FAKE = join(ROOT, "tests/proxy/_fake_server.ts");

const POLICY = `version: 1
servers:
  ev:
    allowed_tools: [echo, get-sum, trigger-sampling-request, trigger-long-running-operation]
    deny_sampling: true
  remote:
    allowed_tools: [echo]
  crash:
    allowed_tools: [boom]
    sandbox:
      mode: "off"
approvals:
  require_human_approval: [ev.get-sum]
`;

interface RunningGateway extends AsyncDisposable {
  urls: Record<string, string>;
  token: string;
  tokenFile: string;
  startLine: string;
  stderr: () => string;
}

/** The gateway as a process on a free loopback port, serving the servers of `gatewayFile`. */
function gateway(
  home: string,
  o: { traceDir: string; policy: string; gatewayFile: string },
): Promise<RunningGateway> {
  return gatewayWith(home, [
    "--policy",
    o.policy,
    "--config",
    o.gatewayFile,
    "--trace-dir",
    o.traceDir,
    "--shutdown-grace",
    "300",
  ]);
}

/** The gateway as a process on a free loopback port with these options. */
async function gatewayWith(home: string, options: string[]): Promise<RunningGateway> {
  const child = new Deno.Command(DENO, {
    args: [
      "run",
      "-A",
      "--config",
      CONFIG,
      CLI,
      "gateway",
      "--listen",
      "127.0.0.1:0",
      "--format",
      "json",
      ...options,
    ],
    env: childEnv({ HOME: home, DENO_DIR }),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let err = "";
  const errDone = (async () => {
    for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) err += c;
  })();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the gateway stopped before listening:\n${err}`);
    out += value;
  }
  reader.releaseLock();
  const startLine = out.split("\n")[0]!;
  const start = JSON.parse(startLine) as { servers: { name: string; url: string }[]; tokenFile: string };
  const token = (await Deno.readTextFile(start.tokenFile)).trim();
  return {
    urls: Object.fromEntries(start.servers.map((s) => [s.name, s.url])),
    token,
    tokenFile: start.tokenFile,
    startLine,
    stderr: () => err,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.status;
      clearTimeout(timer);
      await child.stdout.cancel().catch(() => {});
      await errDone.catch(() => {});
    },
  };
}

/** An SDK client over Streamable HTTP with the gateway's token. */
async function httpClient(
  url: string,
  token: string,
  capabilities: Record<string, unknown> = {},
): Promise<{ client: Client; transport: StreamableHTTPClientTransport } & AsyncDisposable> {
  const client = new Client({ name: "gateway-e2e", version: "1.0.0" }, { capabilities });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport, [Symbol.asyncDispose]: () => client.close() };
}

/** server-everything serving Streamable HTTP on a free loopback port; killed on dispose. */
async function everythingHttp(): Promise<{ url: string } & AsyncDisposable> {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const child = new Deno.Command(DENO, {
    args: [
      "run",
      "--no-config",
      "--no-prompt",
      "-A",
      "npm:@modelcontextprotocol/server-everything@2026.8.31",
      "streamableHttp",
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
    "server-everything streamableHttp",
  );
  return {
    url: `${base}/mcp`,
    async [Symbol.asyncDispose]() {
      child.kill("SIGKILL");
      await child.status;
    },
  };
}

async function setup(tmp: string, extraServers: Record<string, unknown> = {}) {
  const policy = join(tmp, "p.yaml");
  await Deno.writeTextFile(policy, POLICY);
  const [command, ...args] = npmServer("everything");
  const gatewayFile = join(tmp, "gateway.json");
  await Deno.writeTextFile(
    gatewayFile,
    JSON.stringify({
      mcpServers: {
        ev: { command, args },
        crash: { command: DENO, args: ["run", "--no-config", "--no-prompt", FAKE, "crash"] },
        ...extraServers,
      },
    }),
  );
  const home = join(tmp, "home");
  await Deno.mkdir(home);
  return { policy, gatewayFile, home, traceDir: join(tmp, "traces") };
}

Deno.test("gateway: SDK clients over Streamable HTTP to stdio server-everything: tools/list filtered, calls allowed and denied, a sampling request denied and answered by the gateway, sessions isolated, DELETE ends one", async () => {
  await using tmp = await tempDir();
  const s = await setup(tmp.path);
  await using gw = await gateway(s.home, s);
  // The startup line names each URL and the token file, never the token.
  assert.ok(!gw.startLine.includes(gw.token));
  assert.equal(gw.tokenFile, join(s.home, ".local/state/agentperms/gateway.token"));
  assert.equal((await Deno.stat(gw.tokenFile)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(join(s.home, ".local/state/agentperms"))).mode! & 0o777, 0o700);

  let sampled = 0;
  const asked: string[] = [];
  await using a = await httpClient(gw.urls.ev!, gw.token, { sampling: {}, elicitation: {} });
  a.client.setRequestHandler(CreateMessageRequestSchema, () => {
    sampled++;
    return { model: "m", role: "assistant", content: { type: "text", text: "leaked" } };
  });
  a.client.setRequestHandler(ElicitRequestSchema, (req) => {
    asked.push(String((req.params as { message?: string }).message));
    return { action: "accept", content: { decision: asked.length === 1 ? "allow" : "deny" } };
  });
  const { tools } = await a.client.listTools();
  assert.deepEqual(
    tools.map((t) => t.name).sort(),
    ["echo", "get-sum", "trigger-long-running-operation", "trigger-sampling-request"],
  );
  assert.equal(
    firstText(await a.client.callTool({ name: "echo", arguments: { message: "hi" } })),
    "Echo: hi",
  );
  const denied = await a.client.callTool({ name: "get-env", arguments: {} });
  assert.equal(denied.isError, true);
  assert.match(firstText(denied), /AgentPerms blocked this call/);
  const sampling = await a.client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hi" } });
  assert.match(JSON.stringify(sampling), /AgentPerms blocked this call.*sampling is denied/);
  assert.equal(sampled, 0, "the client was never asked");
  // An approval goes to the client as elicitation (the client declared it); its answer decides.
  assert.match(firstText(await a.client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } })), /3/);
  const refused = await a.client.callTool({ name: "get-sum", arguments: { a: 2, b: 2 } });
  assert.match(firstText(refused), /approval denied/);
  assert.equal(asked.length, 2);
  assert.match(asked[0]!, /"ev"[\s\S]*"get-sum"/);

  // A second session: its own proxy, server process and trace; unaffected when the first is deleted.
  await using b = await httpClient(gw.urls.ev!, gw.token);
  assert.notEqual(a.transport.sessionId, b.transport.sessionId);
  await a.transport.terminateSession();
  const gone = await fetch(gw.urls.ev!, {
    method: "POST",
    headers: {
      authorization: `Bearer ${gw.token}`,
      accept: "application/json, text/event-stream",
      "content-type": "application/json",
      "mcp-session-id": a.transport.sessionId ?? "deleted",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
  await gone.body?.cancel();
  assert.equal(gone.status, 404, "the deleted session is gone");
  assert.equal(firstText(await b.client.callTool({ name: "echo", arguments: { message: "b" } })), "Echo: b");

  const files = [...Deno.readDirSync(s.traceDir)].map((e) => e.name);
  assert.equal(files.filter((f) => f.includes("-ev-")).length, 2, "one trace file per session");
  const events = await traceEvents(s.traceDir);
  const calls = events.filter((e) => e.kind === "call" && e.method === "tools/call");
  // Each session's calls in its own trace (the files' order is not the sessions' order).
  const bySession = new Map<string, [string | undefined, string | undefined][]>();
  for (const e of calls) {
    bySession.set(e.sessionId, [...bySession.get(e.sessionId) ?? [], [e.tool, e.decision?.verdict]]);
  }
  assert.deepEqual(
    [...bySession.values()].sort((x, y) => y.length - x.length),
    [
      [
        ["echo", "allow"],
        ["get-env", "deny"],
        ["trigger-sampling-request", "allow"],
        ["get-sum", "approve"],
        ["get-sum", "approve"],
      ],
      [["echo", "allow"]],
    ],
  );
  const serverReq = events.find((e) => e.kind === "server-request" && e.method === "sampling/createMessage");
  assert.equal(serverReq?.forwarded, false);
  assert.ok(
    events.some((e) => e.kind === "lifecycle" && /contained/.test(e.detail ?? "")),
    "contained like proxy",
  );
  // Deno 2.9's warning about request.signal (the gateway watches info.completed instead).
  assert.doesNotMatch(gw.stderr(), /legacy behavior|request\.signal/);
  assert.ok(!gw.stderr().includes(gw.token), "the token is never printed");
});

Deno.test("gateway: a remote server (server-everything streamableHttp) through the bridge, and a stdio server that exits mid-call", async () => {
  await using tmp = await tempDir();
  await using ev = await everythingHttp();
  const s = await setup(tmp.path, { remote: { type: "http", url: ev.url } });
  await using gw = await gateway(s.home, s);
  {
    await using r = await httpClient(gw.urls.remote!, gw.token);
    const { tools } = await r.client.listTools();
    assert.deepEqual(tools.map((t) => t.name), ["echo"]);
    assert.equal(
      firstText(await r.client.callTool({ name: "echo", arguments: { message: "far" } })),
      "Echo: far",
    );
    const denied = await r.client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } });
    assert.match(firstText(denied), /AgentPerms blocked this call/);
  }
  // The fake server exits (code 7) on its first tools/call: the call gets an error, the session ends (404).
  await using c = await httpClient(gw.urls.crash!, gw.token);
  await assert.rejects(c.client.callTool({ name: "boom", arguments: {} }), /exited \(code 7\)|session ended/);
  await until(
    async () => {
      const res = await fetch(gw.urls.crash!, {
        method: "POST",
        headers: {
          authorization: `Bearer ${gw.token}`,
          accept: "application/json, text/event-stream",
          "content-type": "application/json",
          "mcp-session-id": c.transport.sessionId!,
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
      });
      await res.body?.cancel();
      return res.status === 404;
    },
    10_000,
    "the crashed session to be gone",
  );
  // The gateway keeps serving: a new session of the same server starts.
  await using again = await httpClient(gw.urls.ev!, gw.token);
  assert.equal(
    firstText(await again.client.callTool({ name: "echo", arguments: { message: "up" } })),
    "Echo: up",
  );
});

Deno.test("gateway: a foreign Origin is refused (403), a missing or wrong token is refused (401), a POST stream resumes with Last-Event-ID", async () => {
  await using tmp = await tempDir();
  const s = await setup(tmp.path);
  await using gw = await gateway(s.home, s);
  const url = gw.urls.ev!;
  const headers = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${gw.token}`,
    accept: "application/json, text/event-stream",
    "content-type": "application/json",
    ...extra,
  });
  const init = JSON.stringify({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
  });
  const status = async (h: Record<string, string>) => {
    const r = await fetch(url, { method: "POST", headers: h, body: init });
    await r.body?.cancel();
    return r.status;
  };
  assert.equal(await status(headers({ origin: "http://evil.example" })), 403);
  const { authorization: _, ...noToken } = headers();
  assert.equal(await status(noToken), 401);
  assert.equal(await status(headers({ authorization: "Bearer wrong" })), 401);
  assert.match(gw.stderr(), /created the gateway token/);
  assert.ok(!gw.stderr().includes(gw.token), "the token is never printed");

  // A long call whose answer stream the client loses after the first progress event: GET with Last-Event-ID
  // gets the rest, ids moving forward.
  const opened = await fetch(url, { method: "POST", headers: headers(), body: init });
  const sid = opened.headers.get("mcp-session-id")!;
  await opened.text();
  const h = headers({ "mcp-session-id": sid, "mcp-protocol-version": "2025-06-18" });
  (await fetch(url, {
    method: "POST",
    headers: h,
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  })).body?.cancel();
  const long = await fetch(url, {
    method: "POST",
    headers: h,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 5,
      method: "tools/call",
      params: {
        name: "trigger-long-running-operation",
        arguments: { duration: 1, steps: 4 },
        _meta: { progressToken: "p" },
      },
    }),
  });
  // Progress goes on the call's own stream (its token names it); the client loses it after the first.
  const first = await readEvents(long.body!, 1);
  assert.match(first[0]!.data, /notifications\/progress.*"progressToken":"p"/);
  const resumed = await fetch(url, {
    method: "GET",
    headers: { ...h, accept: "text/event-stream", "last-event-id": first[0]!.id },
  });
  assert.equal(resumed.status, 200);
  const rest = await readEvents(resumed.body!);
  assert.ok(rest.length >= 2);
  assert.match(rest.at(-1)!.data, /Long running operation completed.*"id":5/);
  const ids = [first[0]!, ...rest].map((e) => Number(e.id));
  assert.deepEqual(ids, [...ids].sort((x, y) => x - y));
  assert.equal(new Set(ids).size, ids.length, "nothing is replayed twice");
});

Deno.test("gateway: the MCP Inspector CLI with the token header lists the filtered tools and is blocked on a denied call; without the header it is refused", async () => {
  await using tmp = await tempDir();
  const s = await setup(tmp.path);
  await using gw = await gateway(s.home, s);
  const cwd = join(tmp.path, "cwd");
  await Deno.mkdir(cwd);
  // inspector-cli 1.0.3 reads ../package.json relative to the cwd (see inspector_cli_test.ts).
  await Deno.writeTextFile(join(tmp.path, "package.json"), "{}");
  const inspect = async (args: string[]) => {
    const r = await new Deno.Command(DENO, {
      args: [
        "run",
        "-A",
        "--no-config",
        "npm:@modelcontextprotocol/inspector-cli@1.0.3/build/index.js",
        gw.urls.ev!,
        "--transport",
        "http",
        ...args,
      ],
      cwd,
      env: childEnv({ DENO_DIR }),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
  };
  const auth = ["--header", `Authorization: Bearer ${gw.token}`];
  const list = await inspect(["--method", "tools/list", ...auth]);
  assert.equal(list.code, 0, list.err);
  // (server-everything offers trigger-sampling-request only to clients that can sample; inspector-cli cannot.)
  assert.deepEqual(
    (JSON.parse(list.out) as { tools: { name: string }[] }).tools.map((t) => t.name).sort(),
    ["echo", "get-sum", "trigger-long-running-operation"],
  );
  const call = await inspect(["--method", "tools/call", "--tool-name", "get-env", ...auth]);
  assert.equal(call.code, 0, call.err);
  assert.match(call.out, /AgentPerms blocked this call/);
  const refused = await inspect(["--method", "tools/list"]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.out + refused.err, /401|Unauthorized/);
});

/** SSE events off a body: `count` of them, or until it ends. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  count = Infinity,
): Promise<{ id: string; data: string }[]> {
  const out: { id: string; data: string }[] = [];
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  while (out.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let end: number;
    while ((end = buf.indexOf("\n\n")) >= 0 && out.length < count) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      out.push({ id: /^id: (.*)$/m.exec(block)?.[1] ?? "", data: /^data: (.*)$/m.exec(block)?.[1] ?? "" });
    }
  }
  await reader.cancel().catch(() => {});
  return out;
}

Deno.test("gateway: clear errors with a hint: no servers, a bad policy, a port in use; --path serves a client config's entries", async () => {
  await using tmp = await tempDir();
  const s = await setup(tmp.path);
  const run = async (args: string[]) => {
    const r = await new Deno.Command(DENO, {
      args: ["run", "-A", "--config", CONFIG, CLI, "gateway", "--listen", "127.0.0.1:0", ...args],
      env: childEnv({ HOME: s.home, DENO_DIR }),
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: r.code, err: new TextDecoder().decode(r.stderr) };
  };
  const none = await run(["--policy", s.policy]);
  assert.equal(none.code, 2);
  assert.match(none.err, /No servers to serve[\s\S]*--config gateway.json, --client NAME or --path FILE/);
  const bad = join(tmp.path, "bad.yaml");
  await Deno.writeTextFile(bad, "version: 1\nservers:\n  ev:\n    alowed_tools: [x]\n");
  const badPolicy = await run(["--policy", bad, "--config", s.gatewayFile]);
  assert.equal(badPolicy.code, 3);
  assert.match(badPolicy.err, /alowed_tools/);
  const unguarded = await run(["--config", s.gatewayFile]);
  assert.equal(unguarded.code, 2);
  assert.match(unguarded.err, /Enforce mode needs a policy/);
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const r = await new Deno.Command(DENO, {
      args: [
        "run",
        "-A",
        "--config",
        CONFIG,
        CLI,
        "gateway",
        "--listen",
        `127.0.0.1:${(busy.addr as Deno.NetAddr).port}`,
        "--policy",
        s.policy,
        "--config",
        s.gatewayFile,
      ],
      env: childEnv({ HOME: s.home, DENO_DIR }),
      clearEnv: true,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 4);
    assert.match(new TextDecoder().decode(r.stderr), /address is in use[\s\S]*--listen 127.0.0.1:PORT/);
  } finally {
    busy.close();
  }
  // A Claude Code project config (.mcp.json) through --path: its entries are served under their names.
  const project = join(tmp.path, "project");
  await Deno.mkdir(project);
  const entries = JSON.parse(await Deno.readTextFile(s.gatewayFile)).mcpServers;
  await Deno.writeTextFile(
    join(project, ".mcp.json"),
    JSON.stringify({
      mcpServers: {
        ...entries,
        // Only the client can ask for an input; an unset variable has no value: neither is served.
        asks: { command: "x", env: { TOKEN: "${input:tok}" } },
        unset: { type: "http", url: "https://${env:AP_GATEWAY_TEST_UNSET}/mcp" },
      },
    }),
  );
  await using gw = await gatewayWith(s.home, [
    "--policy",
    s.policy,
    "--path",
    join(project, ".mcp.json"),
    "--trace-dir",
    s.traceDir,
  ]);
  assert.deepEqual(Object.keys(gw.urls).sort(), ["crash", "ev"]);
  await until(() => /server "unset" is not served/.test(gw.stderr()), 5000, "the notes on stderr");
  assert.match(gw.stderr(), /server "asks" is not served: env TOKEN names a variable/);
  assert.match(gw.stderr(), /server "unset" is not served: its url names a variable that is not set/);
  await using c = await httpClient(gw.urls.ev!, gw.token);
  assert.equal(firstText(await c.client.callTool({ name: "echo", arguments: { message: "p" } })), "Echo: p");
});
