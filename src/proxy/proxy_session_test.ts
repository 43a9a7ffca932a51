import assert from "node:assert/strict";
import canonicalize from "canonicalize";
import { createHash } from "node:crypto";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { joinCallResults, MemoryTraceSink } from "../trace/mod.ts";
import { type ProxyMode, ProxySession, type ProxySessionOptions } from "./proxy_session.ts";
import { TtyPrompter } from "./tty_prompter.ts";

const POLICY = `
version: 1
servers:
  fs:
    allowed_tools: [read_file, list, send_email, echo]
    denied_tools: [exec]
    allowed_paths: [/proj]
    denied_paths: [~/.ssh]
    deny_sampling: true
approvals:
  require_human_approval: [fs.send_email]
`;

type Msg = Record<string, unknown>;

function harness(mode: ProxyMode = "enforce", extra: Partial<ProxySessionOptions> = {}, policyText = POLICY) {
  const { policy } = parsePolicy(policyText, { file: "p.yaml" });
  const compiled = compilePolicy(policy, { baseDir: "/proj", home: "/home/me", realpath: () => undefined });
  const toClient: Msg[] = [];
  const rawClient: string[] = [];
  const toServer: Msg[] = [];
  const rawServer: string[] = [];
  const diag: string[] = [];
  const trace = new MemoryTraceSink();
  const s = new ProxySession({
    mode,
    server: "fs",
    policy: compiled,
    cwd: "/proj",
    home: "/home/me",
    sessionId: "s1",
    trace,
    redact: (v) => ({ value: v, fired: [] }),
    toClient: (l) => {
      const text = typeof l === "string" ? l : new TextDecoder().decode(l);
      rawClient.push(text);
      toClient.push(JSON.parse(text));
    },
    toServer: (l) => {
      rawServer.push(l);
      toServer.push(JSON.parse(l));
    },
    diag: (m) => void diag.push(m),
    realpath: () => undefined,
    ...extra,
  });
  const enc = new TextEncoder();
  const client = (m: unknown) =>
    s.onClientFrame({ kind: "line", bytes: enc.encode(typeof m === "string" ? m : JSON.stringify(m)) });
  const server = (m: unknown) =>
    s.onServerFrame({ kind: "line", bytes: enc.encode(typeof m === "string" ? m : JSON.stringify(m)) });
  // Trace events are written at the end of the turn or before a message leaves; reading them flushes first.
  // `events` puts each call back together with its result line, as infer and report read them.
  const traced = {
    get events() {
      s.flushTrace({ results: true });
      return joinCallResults(trace.events);
    },
    get raw() {
      s.flushTrace({ results: true });
      return trace.events;
    },
  };
  return { s, toClient, rawClient, toServer, rawServer, diag, trace: traced, client, server };
}

const call = (id: unknown, name: string, args: unknown) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

/** Lets an approval's answer (a promise from Approvals.ask) reach the router. */
const answered = () => new Promise((r) => setTimeout(r, 0));

Deno.test("ProxySession denies a tools/call with an isError result and never forwards it", () => {
  const h = harness();
  h.client(call(1, "read_file", { path: "~/.ssh/id_rsa" }));
  assert.equal(h.toServer.length, 0);
  const r = h.toClient[0]!.result as Msg;
  assert.equal(r.isError, true);
  assert.match((r.content as Msg[])[0]!.text as string, /^AgentPerms blocked this call: Path/);
  const meta = (r._meta as Msg).agentperms as Msg;
  assert.deepEqual(meta.ruleIds, ["servers.fs.denied_paths[0]"]);
  assert.equal(meta.decisionId, "s1-1");
  const ev = h.trace.events.find((e) => e.kind === "call")!;
  assert.equal(ev.decision?.verdict, "deny");
  assert.equal(ev.forwarded, false);
});

Deno.test("ProxySession with denyStyle jsonrpc answers -32001 for a denied tools/call", () => {
  const h = harness("enforce", { denyStyle: "jsonrpc" });
  h.client(call(7, "exec", { command: "ls" }));
  const e = h.toClient[0]!.error as Msg;
  assert.equal(e.code, -32001);
  assert.deepEqual((e.data as Msg).ruleIds, ["servers.fs.denied_tools[0]"]);
});

Deno.test("ProxySession writes a call's line before the call leaves, and an answer's result line right after the answer", async () => {
  const written: string[] = [];
  const order: string[] = [];
  // A transport like run_proxy's outbox: lines queued in a turn are written in a microtask, after the trace.
  const box: { session?: ProxySession } = {};
  const outbox = (side: string) => (l: string | Uint8Array) => {
    const id = (JSON.parse(typeof l === "string" ? l : new TextDecoder().decode(l)) as Msg).id;
    queueMicrotask(() => {
      box.session!.flushTrace();
      order.push(`${side} ${id}`);
    });
  };
  const h = harness("enforce", {
    trace: {
      write: (e) => void written.push(`${e.kind} ${e.id}`),
      flush: () => void order.push(...written.splice(0).map((w) => `trace ${w}`)),
      close: () => {},
    },
    toServer: outbox("server"),
    toClient: outbox("client"),
  });
  box.session = h.s;
  h.client(call(1, "read_file", { path: "/proj/a" }));
  await Promise.resolve();
  h.server({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "A" }] } });
  await Promise.resolve();
  // The result line is built and written in the microtask after the answer's write, in the same turn.
  assert.deepEqual(order, ["trace call 1", "server 1", "client 1", "trace result 1"]);
});

Deno.test("ProxySession passes a client message on as written, or re-serialized when a CR in it could split it", () => {
  const h = harness();
  // Spacing, escapes and an id past 2^53: the strict reader read it exactly, so it leaves byte for byte.
  const asWritten =
    '{ "jsonrpc" : "2.0", "id" : 9007199254740993, "method":"tools/call",\t"params":{"name":"read_file","arguments":{"path":"/proj/\\u0061"}} }';
  h.client(asWritten);
  // A CR is white space to JSON but a line break to some readers: the judged value is written instead.
  h.client(
    '{"jsonrpc":"2.0","id":2,\r"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/proj/b"}}}',
  );
  // A batch's messages leave one by one, each re-serialized.
  h.client(
    '[ {"jsonrpc":"2.0", "id":3, "method":"tools/call","params":{"name":"read_file","arguments":{"path":"/proj/c"}}} ]',
  );
  assert.deepEqual(h.rawServer, [
    asWritten,
    '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/proj/b"}}}',
    '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/proj/c"}}}',
  ]);
  // What was judged is what the server reads: the escaped path was canonicalized as /proj/a.
  assert.deepEqual(h.trace.events.find((e) => e.id === 9007199254740993)?.paths, ["/proj/a"]);
});

Deno.test("ProxySession rejects duplicate keys and invalid JSON with -32700 and forwards nothing", () => {
  const h = harness("record");
  h.client('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","name":"exec"}}');
  h.client("{not json");
  assert.equal(h.toServer.length, 0);
  assert.deepEqual(h.toClient.map((m) => (m.error as Msg).code), [-32700, -32700]);
  assert.equal(h.trace.events.filter((e) => e.kind === "malformed").length, 2);
});

Deno.test("ProxySession refuses a call whose escaped key JSON.parse would misread, and forwards nothing", () => {
  const h = harness();
  JSON.parse('{"q":1,"\\\\":2}'); // V8 15.0 then reads the one-character key "\\u0070" below as "\\"
  h.client(
    String
      .raw`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_file","arguments":{"q":1,"\u0070":2}}}`,
  );
  assert.equal(h.toServer.length, 0);
  const e = h.toClient[0]!.error as Msg;
  assert.equal(e.code, -32700);
});

Deno.test("ProxySession judges a batch element by element and answers with one array", () => {
  const h = harness();
  h.client([call(1, "read_file", { path: "/proj/a" }), call(2, "exec", {}), {
    jsonrpc: "2.0",
    method: "notifications/x",
  }, 5]);
  // The allowed element went on alone; nothing answered yet because id 1 is outstanding.
  assert.deepEqual(h.toServer.map((m) => m.id ?? m.method), [1, "notifications/x"]);
  assert.equal(h.toClient.length, 0);
  h.server({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "ok" }] } });
  assert.equal(h.toClient.length, 1);
  const arr = h.toClient[0] as unknown as Msg[];
  assert.ok(Array.isArray(arr));
  assert.deepEqual(arr.map((m) => m.id).sort(), [1, 2, null].sort());
  assert.equal(h.client("[]"), undefined);
  assert.equal((h.toClient[1]!.error as Msg).code, -32600);
});

Deno.test("ProxySession judges a request without an id and one with an odd id", () => {
  const h = harness();
  h.client({ jsonrpc: "2.0", method: "tools/call", params: { name: "exec", arguments: {} } });
  h.client({
    jsonrpc: "2.0",
    id: { odd: true },
    method: "tools/call",
    params: { name: "exec", arguments: {} },
  });
  h.client({
    jsonrpc: "2.0",
    method: "tools/call",
    params: { name: "read_file", arguments: { path: "/proj/x" } },
  });
  assert.equal(h.toServer.length, 1);
  assert.equal((h.toServer[0]!.params as Msg).name, "read_file");
  // No id: no answer is possible; odd id: answered with that id.
  assert.equal(h.toClient.length, 1);
  assert.deepEqual(h.toClient[0]!.id, { odd: true });
  assert.equal(h.trace.events.filter((e) => e.kind === "call" && e.decision?.verdict === "deny").length, 2);
});

Deno.test("ProxySession refuses a request whose id cannot be written back (1e400), and forwards nothing", () => {
  const h = harness("record");
  h.client('{"jsonrpc":"2.0","id":1e400,"method":"tools/call","params":{"name":"read_file","arguments":{}}}');
  assert.equal(h.toServer.length, 0);
  assert.equal(h.toClient[0]!.id, Infinity); // written back as 1e400, exactly as the client sent it
  assert.equal((h.toClient[0]!.error as Msg).code, -32600);
  assert.ok(h.trace.raw.some((e) => e.kind === "malformed" && /too large/.test(e.detail ?? "")));
});

Deno.test("ProxySession judges resources/read file URIs, prompts/get and completion/complete", () => {
  const h = harness();
  h.client({
    jsonrpc: "2.0",
    id: 1,
    method: "resources/read",
    params: { uri: "file:///home/me/.ssh/id_rsa" },
  });
  h.client({
    jsonrpc: "2.0",
    id: 2,
    method: "prompts/get",
    params: { name: "p", arguments: { file: "~/.ssh/x" } },
  });
  h.client({
    jsonrpc: "2.0",
    id: 3,
    method: "completion/complete",
    params: {
      ref: { type: "ref/resource", uri: "file:///home/me/.ssh/{name}" },
      argument: { name: "name", value: "i" },
    },
  });
  h.client({ jsonrpc: "2.0", id: 4, method: "resources/read", params: { uri: "file:///proj/readme.md" } });
  assert.deepEqual(h.toServer.map((m) => m.id), [4]);
  assert.deepEqual(h.toClient.map((m) => (m.error as Msg).code), [-32001, -32001, -32001]);
});

Deno.test("ProxySession denies an unknown client method in enforce mode and forwards it in record mode", () => {
  const e = harness();
  e.client({ jsonrpc: "2.0", id: 1, method: "evil/run", params: {} });
  assert.equal(e.toServer.length, 0);
  assert.match((e.toClient[0]!.error as Msg).message as string, /unknown to AgentPerms/);
  const r = harness("record");
  r.client({ jsonrpc: "2.0", id: 1, method: "evil/run", params: {} });
  assert.equal(r.toServer.length, 1);
  r.server({ jsonrpc: "2.0", id: 1, error: { code: -32601, message: "Method not found" } });
  assert.equal(r.trace.events.find((x) => x.kind === "call")?.decision?.verdict, "deny");
});

Deno.test("ProxySession passes lifecycle, ping, list and notification messages", () => {
  const h = harness();
  for (const [i, m] of ["initialize", "ping", "tools/list", "resources/list", "prompts/list"].entries()) {
    h.client({ jsonrpc: "2.0", id: i, method: m, params: {} });
  }
  h.client({ jsonrpc: "2.0", method: "notifications/initialized" });
  assert.equal(h.toServer.length, 6);
  assert.equal(h.toClient.length, 0);
});

Deno.test("ProxySession filters every tools/list page and still denies a direct call to a hidden tool", () => {
  const h = harness();
  const tool = (name: string) => ({ name, inputSchema: { type: "object" } });
  h.client({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  h.server({ jsonrpc: "2.0", id: 1, result: { tools: [tool("read_file"), tool("exec")], nextCursor: "p2" } });
  h.client({ jsonrpc: "2.0", id: 2, method: "tools/list", params: { cursor: "p2" } });
  h.server({ jsonrpc: "2.0", id: 2, result: { tools: [tool("delete_everything"), tool("list")] } });
  assert.deepEqual(((h.toClient[0]!.result as Msg).tools as Msg[]).map((t) => t.name), ["read_file"]);
  assert.deepEqual(((h.toClient[1]!.result as Msg).tools as Msg[]).map((t) => t.name), ["list"]);
  assert.equal((h.toClient[0]!.result as Msg).nextCursor, "p2");
  h.client(call(3, "exec", {}));
  assert.equal((h.toClient[2]!.result as Msg).isError, true);
  // Record mode keeps the list whole but traces which tools would be hidden.
  const r = harness("record");
  r.client({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  r.server({ jsonrpc: "2.0", id: 1, result: { tools: [tool("read_file"), tool("exec")] } });
  assert.equal(((r.toClient[0]!.result as Msg).tools as Msg[]).length, 2);
  const ev = r.trace.events.find((e) => e.kind === "tools")!;
  assert.deepEqual(ev.tools?.map((t) => t.name), ["read_file", "exec"]);
});

Deno.test("ProxySession hides drifted tools and denies calls to them when a lock check reports drift", () => {
  const lockCheck = (tools: unknown[]) =>
    new Map(
      (tools as Msg[]).filter((t) => t.description === "changed").map((
        t,
      ) => [t.name as string, "description changed"]),
    );
  const h = harness("enforce", { lockCheck });
  h.client({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  h.server({
    jsonrpc: "2.0",
    id: 1,
    result: { tools: [{ name: "read_file", description: "changed" }, { name: "list" }] },
  });
  assert.deepEqual(((h.toClient[0]!.result as Msg).tools as Msg[]).map((t) => t.name), ["list"]);
  h.client(call(2, "read_file", { path: "/proj/a" }));
  assert.equal(h.toServer.length, 1);
  assert.match(JSON.stringify(h.toClient[1]), /lock\/drift/);
  const r = harness("record", { lockCheck });
  r.client({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  r.server({ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "read_file", description: "changed" }] } });
  assert.equal(((r.toClient[0]!.result as Msg).tools as Msg[]).length, 1);
  assert.equal(r.trace.events.filter((e) => e.kind === "drift").length, 1);
  const listed = r.trace.events.find((e) => e.kind === "tools")!.tools![0]!;
  assert.match(String(listed.descriptionSha256), /^[0-9a-f]{16}$/);
});

Deno.test("ProxySession records server requests and denies sampling when the policy says so", () => {
  const h = harness();
  h.server({ jsonrpc: "2.0", id: 9, method: "sampling/createMessage", params: { messages: [] } });
  h.server({ jsonrpc: "2.0", id: 10, method: "roots/list" });
  assert.deepEqual(h.toClient.map((m) => m.method), ["roots/list"]);
  assert.equal((h.toServer[0]!.error as Msg).code, -32001);
  assert.deepEqual(
    h.trace.events.filter((e) => e.kind === "server-request").map((e) => e.decision?.verdict),
    [
      "deny",
      "allow",
    ],
  );
  // The client's answer to the server's request goes back to the server.
  h.client({ jsonrpc: "2.0", id: 10, result: { roots: [] } });
  assert.deepEqual(h.toServer[1], { jsonrpc: "2.0", id: 10, result: { roots: [] } });
});

Deno.test("ProxySession reports server garbage on stderr and the trace, and does not forward it", () => {
  const h = harness();
  h.server("Debugger listening on ws://...");
  h.server('{"jsonrpc":"2.0","id":1,"result":{},"result":{"x":1}}');
  assert.equal(h.toClient.length, 0);
  assert.equal(h.diag.length, 2);
  assert.equal(h.trace.events.filter((e) => e.kind === "malformed" && e.direction === "server").length, 2);
});

Deno.test("ProxySession records a completed call with latency and the result's shape and hash, not its text", () => {
  const h = harness("record");
  h.client(call(1, "read_file", { path: "/proj/a" }));
  const result = {
    content: [{ type: "text", text: "hello" }, { type: "image", data: "AA==", mimeType: "x/y" }],
  };
  const line = JSON.stringify({ jsonrpc: "2.0", id: 1, result });
  h.server(line);
  const ev = h.trace.events.find((e) => e.kind === "call")!;
  assert.deepEqual(ev.result, {
    outcome: "ok",
    isError: false,
    size: line.length,
    contentTypes: ["text", "image"],
    sha256: createHash("sha256").update(canonicalize(result)!).digest("hex").slice(0, 16),
  });
  assert.equal(typeof ev.latencyMs, "number");
  assert.deepEqual(ev.paths, ["/proj/a"]);
});

Deno.test("ProxySession keeps a plain-text secret from a result out of the trace unless traceResults is set", () => {
  // No redaction rule knows this secret: only leaving the text out keeps it out of the trace.
  const secret = "db_password = correct-horse-battery-staple";
  const redact = (v: unknown) => {
    const s = JSON.stringify(v);
    return { value: JSON.parse(s.replaceAll("correct-horse", "‹redacted›")), fired: [] };
  };
  const run = (extra: Partial<ProxySessionOptions>) => {
    const h = harness("record", extra);
    h.client(call(1, "read_file", { path: "/proj/.env" }));
    h.server({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: secret }] } });
    h.client(call(2, "read_file", { path: "/proj/.env" }));
    h.server({ jsonrpc: "2.0", id: 2, error: { code: -32000, message: `cannot parse: ${secret}` } });
    return h.trace.raw;
  };
  const plain = run({});
  assert.doesNotMatch(JSON.stringify(plain), /horse|battery|db_password/);
  const results = plain.filter((e) => e.kind === "result");
  assert.deepEqual(results.map((e) => [e.result?.outcome, e.result?.summary]), [["ok", undefined], [
    "error",
    undefined,
  ]]);
  assert.ok(results.every((e) => /^[0-9a-f]{16}$/.test(e.result?.sha256 ?? "")));
  // Opted in: the start of the text, redacted (the rule the test's redactor knows still applies).
  const opted = run({ traceResults: true, redact }).filter((e) => e.kind === "result");
  assert.deepEqual(opted.map((e) => e.result?.summary), [
    "db_password = ‹redacted›-battery-staple",
    "cannot parse: db_password = ‹redacted›-battery-staple",
  ]);
});

Deno.test("ProxySession answers every pending request with an error when the server exits", () => {
  const h = harness();
  h.client(call(1, "read_file", { path: "/proj/a" }));
  h.client([call(2, "read_file", { path: "/proj/b" })]);
  h.s.onServerExit(3);
  assert.equal(h.toClient.length, 2);
  assert.match(JSON.stringify(h.toClient), /exited \(code 3\)/);
  assert.equal(h.s.pendingCount, 0);
});

Deno.test("ProxySession denies an approval when there is no channel", async () => {
  const h = harness();
  h.client(call(1, "send_email", { to: "a@b.c" }));
  await answered();
  assert.equal(h.toServer.length, 0);
  assert.match(JSON.stringify(h.toClient[0]), /approval required and no approval channel available/);
});

const initialize = (elicitation: boolean) => ({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: elicitation ? { elicitation: {} } : {},
    clientInfo: { name: "t" },
  },
});

Deno.test("ProxySession asks a client that declared elicitation, forwards on accept and remembers allow-session", async () => {
  const h = harness();
  h.client(initialize(true));
  h.client(call(1, "send_email", { to: "a@b.c", body: "hi" }));
  const ask = h.toClient.find((m) => m.method === "elicitation/create")!;
  assert.match((ask.params as Msg).message as string, /"fs"[\s\S]*"send_email"[\s\S]*"to": "a@b.c"/);
  // Other traffic flows while the human thinks.
  h.client(call(2, "read_file", { path: "/proj/a" }));
  assert.deepEqual(h.toServer.map((m) => m.id), [0, 2]);
  h.client({
    jsonrpc: "2.0",
    id: ask.id,
    result: { action: "accept", content: { decision: "allow-session" } },
  });
  await answered();
  assert.deepEqual(h.toServer.map((m) => m.id), [0, 2, 1]);
  // Same server, tool and arguments (in another key order): no second question.
  h.client(call(3, "send_email", { body: "hi", to: "a@b.c" }));
  assert.deepEqual(h.toServer.map((m) => m.id), [0, 2, 1, 3]);
  assert.equal(h.toClient.filter((m) => m.method === "elicitation/create").length, 1);
  // Different arguments: asked again; decline → denied.
  h.client(call(4, "send_email", { to: "evil@x.y", body: "hi" }));
  const ask2 = h.toClient.filter((m) => m.method === "elicitation/create")[1]!;
  h.client({ jsonrpc: "2.0", id: ask2.id, result: { action: "decline" } });
  await answered();
  assert.equal(h.toServer.length, 4);
  assert.match(JSON.stringify(h.toClient.at(-1)), /approval denied/);
  for (const id of [2, 1, 3]) h.server({ jsonrpc: "2.0", id, result: { content: [] } });
  const approvals = h.trace.events.filter((e) => e.approval).map((
    e,
  ) => [e.approval!.channel, e.approval!.granted]);
  assert.deepEqual(approvals, [["elicitation", false], ["elicitation", true], ["session", true]]);
});

Deno.test("ProxySession withdraws a pending approval on notifications/cancelled", () => {
  const h = harness();
  h.client(initialize(true));
  h.client(call(1, "send_email", { to: "a@b.c" }));
  const ask = h.toClient.find((m) => m.method === "elicitation/create")!;
  h.client({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
  assert.equal(h.s.approvalCount, 0);
  const cancel = h.toClient.find((m) => m.method === "notifications/cancelled")!;
  assert.equal((cancel.params as Msg).requestId, ask.id);
  // A late answer changes nothing.
  h.client({ jsonrpc: "2.0", id: ask.id, result: { action: "accept", content: { decision: "allow" } } });
  assert.deepEqual(h.toServer.map((m) => m.id), [0]);
});

function scriptedTty() {
  let push: (s: string) => void = () => {};
  const shown: string[] = [];
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      push = (s) => c.enqueue(new TextEncoder().encode(s));
    },
  });
  return {
    streams: { readable, write: (t: string) => void shown.push(t) },
    type: (s: string) => push(s),
    shown,
  };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 1));
  }
}

Deno.test("ProxySession asks on the terminal with the full arguments, and times out to deny", async () => {
  const tty = scriptedTty();
  const prompter = new TtyPrompter(tty.streams);
  const h = harness("enforce", { tty: () => prompter, approvalTimeoutMs: 50 });
  h.client(call(1, "send_email", { to: "a@b.c", subject: "s" }));
  await until(() => tty.shown.length > 0);
  assert.match(tty.shown.join(""), /"subject": "s"/);
  tty.type("y\n");
  await until(() => h.toServer.length === 1);
  h.client(call(2, "send_email", { to: "other@b.c" }));
  await until(() => h.toClient.length === 1);
  assert.match(JSON.stringify(h.toClient[0]), /no answer before the approval timeout/);
  // A line typed while no question is open is dropped: it cannot approve the next call.
  tty.type("y\n");
  await new Promise((r) => setTimeout(r, 5));
  h.client(call(3, "send_email", { to: "third@b.c" }));
  await until(() => h.toClient.length === 2);
  assert.equal(h.toServer.length, 1);
});

Deno.test("ProxySession keeps a tool's drift across tools/list_changed until a new listing shows it clean", () => {
  let changed = true;
  const lockCheck = (tools: unknown[]) =>
    new Map(changed ? (tools as Msg[]).map((t) => [t.name as string, "description changed"]) : []);
  const h = harness("enforce", { lockCheck });
  h.client({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  h.server({ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "read_file" }] } });
  h.server({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
  h.client(call(2, "read_file", { path: "/proj/a" }));
  assert.equal(h.toServer.length, 1, "still denied after list_changed");
  changed = false;
  h.client({ jsonrpc: "2.0", id: 3, method: "tools/list" });
  h.server({ jsonrpc: "2.0", id: 3, result: { tools: [{ name: "read_file" }] } });
  h.client(call(4, "read_file", { path: "/proj/a" }));
  assert.deepEqual(h.toServer.map((m) => m.id), [1, 3, 4]);
});

Deno.test("ProxySession redacts traced arguments, URLs and summaries, and clips long strings", () => {
  const redact = (v: unknown) => {
    const s = JSON.stringify(v);
    return {
      value: JSON.parse(s.replaceAll("SECRET", "‹redacted›")),
      fired: s.includes("SECRET") ? [{ ruleId: "t/secret", pointer: "" }] : [],
    };
  };
  const h = harness("record", { redact, traceResults: true });
  h.client(
    call(1, "read_file", {
      path: "/proj/a",
      token: "SECRET",
      url: "https://x.y/?k=SECRET",
      big: "z".repeat(10_000),
    }),
  );
  assert.match(JSON.stringify(h.toServer[0]), /SECRET/, "the server still gets the real call");
  h.server({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "the SECRET is out" }] } });
  const ev = h.trace.events.find((e) => e.kind === "call")!;
  const text = JSON.stringify(ev);
  assert.doesNotMatch(text, /SECRET/);
  // In the arguments, and in the event's other texts (the URL and the summary here).
  assert.deepEqual(ev.redactions, [
    { ruleId: "t/secret", pointer: "" },
    { ruleId: "t/secret", pointer: "#/urls/0" },
    { ruleId: "t/secret", pointer: "#/summary" },
  ]);
  assert.equal(ev.result?.summary, "the ‹redacted› is out");
  assert.match((ev.arguments as Record<string, string>).big!, /…‹5904 more characters›$/);
});

Deno.test("ProxySession redacts a secret that straddles the trace's cut, in arguments and in the result summary", () => {
  const redact = (v: unknown) => {
    const s = JSON.stringify(v);
    return { value: JSON.parse(s.replaceAll(/SECRET[0-9]{20}/g, "‹redacted›")), fired: [] };
  };
  const h = harness("record", { redact, traceResults: true });
  const token = "SECRET" + "1".repeat(20);
  // The token starts a few characters before the cut (4096 in arguments, 200 in summaries).
  h.client(call(1, "read_file", { note: "a".repeat(4090) + token + "b".repeat(10_000_000) }));
  h.server({
    jsonrpc: "2.0",
    id: 1,
    result: { content: [{ type: "text", text: "c".repeat(195) + token + "d".repeat(1000) }] },
  });
  const ev = h.trace.events.find((e) => e.kind === "call")!;
  const text = JSON.stringify(ev);
  assert.doesNotMatch(text, /SECRET/);
  const note = (ev.arguments as Record<string, string>).note!;
  assert.ok(note.startsWith("a".repeat(4090) + "‹redacted›".slice(0, 6)), note.slice(4080, 4110));
  // Counted on the redacted string: the 26-character token became the 10-character "‹redacted›".
  assert.match(note, new RegExp(`…‹${4090 + 10 + 10_000_000 - 4096} more characters›$`));
  assert.equal(ev.result?.summary, "c".repeat(195) + "‹reda…");
});

Deno.test("ProxySession redacts secrets in traced paths, the decision's reason, ids and a server's garbage line", () => {
  const redact = (v: unknown) => {
    const s = JSON.stringify(v);
    return {
      value: JSON.parse(s.replaceAll(/ghp_[A-Za-z0-9]{36}/g, "‹redacted›")),
      fired: s.includes("ghp_") ? [{ ruleId: "t/gh", pointer: "" }] : [],
    };
  };
  const token = "ghp_" + "a".repeat(36);
  const h = harness("enforce", { redact });
  h.client(call(`id-${token}`, "read_file", { path: `/home/me/.ssh/${token}` }));
  h.client(call(2, "read_file", { path: `/tmp/token=${token}` }));
  h.server(`not json ${token}`);
  const text = JSON.stringify(h.trace.raw);
  assert.doesNotMatch(text, /ghp_/);
  const denied = h.trace.raw.find((e) => e.kind === "call" && e.decision?.verdict === "deny")!;
  assert.match(denied.decision!.reason, /‹redacted›/, "the reason quoted the path");
  assert.deepEqual(denied.paths, ["/home/me/.ssh/‹redacted›"]);
  assert.ok(h.trace.raw.some((e) => e.kind === "malformed" && /‹redacted›/.test(e.detail ?? "")));
});

Deno.test("ProxySession leaves arguments nested deeper than 64 levels out of the trace", () => {
  const h = harness("record");
  let deep: unknown = { big: "q".repeat(100_000) };
  for (let i = 0; i < 80; i++) deep = { d: deep };
  h.client(call(1, "read_file", { deep }));
  const text = JSON.stringify(h.trace.raw.find((e) => e.kind === "call"));
  assert.ok(text.length < 10_000, `trace line of ${text.length} characters`);
  assert.match(text, /‹nested too deeply›/);
  assert.match(JSON.stringify(h.toServer[0]), /q{100000}/, "the server still gets the whole call");
});

Deno.test("ProxySession with a lock denies a call to a tool the server has not listed yet", () => {
  const h = harness("enforce", { lockCheck: () => new Map() });
  h.client(call(1, "read_file", { path: "/proj/a" }));
  assert.equal(h.toServer.length, 0);
  assert.match(JSON.stringify(h.toClient[0]), /not listed by the server in this session/);
  h.client({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  h.server({ jsonrpc: "2.0", id: 2, result: { tools: [{ name: "read_file" }] } });
  h.client(call(3, "read_file", { path: "/proj/a" }));
  assert.deepEqual(h.toServer.map((m) => m.id), [2, 3]);
});

Deno.test("ProxySession falls back to the terminal when the client's elicitation fails, then to no channel", async () => {
  const h = harness();
  h.client(initialize(true));
  h.client(call(1, "send_email", { to: "a@b.c" }));
  const ask = h.toClient.find((m) => m.method === "elicitation/create")!;
  h.client({ jsonrpc: "2.0", id: ask.id, error: { code: -32601, message: "elicitation not supported" } });
  await answered();
  assert.equal(h.toServer.length, 1, "only initialize reached the server");
  assert.match(JSON.stringify(h.toClient.at(-1)), /approval required and no approval channel available/);
});

Deno.test("ProxySession matches answers to duplicate in-flight ids in order and traces both calls", () => {
  const h = harness("record", { traceResults: true });
  h.client(call(1, "read_file", { path: "/proj/a" }));
  h.client(call(1, "read_file", { path: "/proj/b" }));
  h.server({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "A" }] } });
  h.server({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "B" }] } });
  const calls = h.trace.events.filter((e) => e.kind === "call");
  assert.deepEqual(calls.map((e) => [e.paths?.[0], e.result?.summary]), [["/proj/a", "A"], ["/proj/b", "B"]]);
  assert.equal(h.s.pendingCount, 0);
});

Deno.test("ProxySession keeps a string id and the same number apart", () => {
  const h = harness("record", { traceResults: true });
  h.client(call(1, "read_file", { path: "/proj/n" }));
  h.client(call("1", "read_file", { path: "/proj/s" }));
  h.server({ jsonrpc: "2.0", id: "1", result: { content: [{ type: "text", text: "S" }] } });
  h.server({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "N" }] } });
  const calls = h.trace.events.filter((e) => e.kind === "call");
  // In the order the answers came.
  assert.deepEqual(calls.map((e) => [e.id, e.paths?.[0], e.result?.summary]), [
    ["1", "/proj/s", "S"],
    [1, "/proj/n", "N"],
  ]);
  assert.equal(h.s.pendingCount, 0);
});

Deno.test("ProxySession gives an answer whose id only loosely matches the request's checks and the request's id", () => {
  // The MCP SDK matches answers with Number(id): "1" answers request 1 for it, so it must be filtered like one.
  const h = harness();
  const tool = (name: string) => ({ name, inputSchema: { type: "object" } });
  h.client({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  h.server({ jsonrpc: "2.0", id: "1", result: { tools: [tool("read_file"), tool("exec")] } });
  assert.equal(h.toClient.length, 1);
  assert.equal(h.toClient[0]!.id, 1);
  assert.deepEqual(((h.toClient[0]!.result as Msg).tools as Msg[]).map((t) => t.name), ["read_file"]);
  assert.equal(h.s.pendingCount, 0);
  // And a string request answered with a number.
  h.client(call("7", "read_file", { path: "/proj/a" }));
  h.server({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text: "A" }] } });
  assert.equal(h.toClient[1]!.id, "7");
  assert.equal(h.s.pendingCount, 0);
});

Deno.test("ProxySession drops a server answer to no request in flight, and passes an id-null error", () => {
  const h = harness();
  h.client({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  h.server({ jsonrpc: "2.0", id: 1, result: { tools: [] } });
  // A second answer to 1, and one to a request never made: nobody asked, so neither reaches the client.
  h.server({ jsonrpc: "2.0", id: 1, result: { tools: [{ name: "exec" }] } });
  h.server({ jsonrpc: "2.0", id: 99, result: { content: [] } });
  assert.equal(h.toClient.length, 1);
  const dropped = h.trace.raw.filter((e) => e.kind === "malformed" && e.direction === "server");
  assert.equal(dropped.length, 2);
  assert.match(dropped[0]!.detail ?? "", /an answer to no request in flight \(id 1\); not forwarded/);
  assert.ok(h.diag.some((d) => d.includes("not in flight (id 99)")));
  // A server that cannot read a message answers with id null: that error still reaches the client.
  h.server({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
  assert.equal(h.toClient.length, 2);
  assert.equal(h.toClient[1]!.id, null);
});

Deno.test("ProxySession stamps trace events with the wall clock, and a later event with a later time", async () => {
  const h = harness("record", { clock: undefined });
  const t0 = Date.now();
  h.client(call(1, "read_file", { path: "/proj/a" }));
  await new Promise((r) => setTimeout(r, 5));
  h.client(call(2, "read_file", { path: "/proj/b" }));
  const [a, b] = h.trace.raw.filter((e) => e.kind === "call").map((e) => Date.parse(e.time));
  assert.ok(a! >= t0 && a! <= Date.now(), `${a} is not between ${t0} and now`);
  assert.ok(b! >= a! + 4, `the second call's time ${b} is not 4 ms or more after the first's ${a}`);
});

Deno.test("ProxySession judges 2026 inputRequests inside a result and blocks a denied sampling ask", () => {
  const h = harness();
  h.client(call(1, "read_file", { path: "/proj/a" }));
  h.server({
    jsonrpc: "2.0",
    id: 1,
    result: {
      inputRequests: {
        login: { method: "elicitation/create", params: { message: "user?" } },
        think: { method: "sampling/createMessage", params: { messages: [] } },
      },
      requestState: "opaque",
    },
  });
  assert.equal((h.toClient[0]!.error as Msg).code, -32001);
  const asks = h.trace.events.filter((e) => e.kind === "server-request");
  assert.deepEqual(asks.map((e) => [e.detail, e.decision?.verdict]), [
    ["inputRequests.login", "allow"],
    ["inputRequests.think", "deny"],
  ]);
  const r = harness("record");
  r.client(call(1, "read_file", { path: "/proj/a" }));
  r.server({ jsonrpc: "2.0", id: 1, result: { inputRequests: { t: { method: "sampling/createMessage" } } } });
  assert.ok((r.toClient[0]!.result as Msg).inputRequests, "record mode passes it on");
});

Deno.test("ProxySession answers a pending request whose answer was over the size cap", () => {
  const h = harness();
  h.client(call(5, "read_file", { path: "/proj/a" }));
  const tail = new TextEncoder().encode('"},"jsonrpc":"2.0","id":5}');
  h.s.onServerFrame({ kind: "oversize", size: 99_000_000, tail });
  assert.equal(h.toClient[0]!.id, 5);
  assert.match(String((h.toClient[0]!.error as Msg).message), /over the size cap/);
  assert.equal(h.s.pendingCount, 0);
});

Deno.test("ProxySession asks to release memory once per 4 MiB message and passes it on unchanged", () => {
  let released = 0;
  const pieces: string[][] = [];
  const h = harness("record", {
    releaseMemory: () => void released++,
    toServerPieces: (p) => void pieces.push(p),
  });
  h.client(call(1, "read_file", { note: "small" }));
  assert.equal(released, 0);
  assert.equal(h.toServer.length, 1, "a small call goes to toServer whole");
  // Escapes and a surrogate pair in the long string: the pieces must still join to the same text.
  const big = call(2, "read_file", { note: 'y"\n😀'.repeat(1024 * 1024) });
  h.client(big);
  assert.equal(released, 1, "once, after the call was passed on");
  assert.equal(pieces.length, 1, "the large call went out in pieces");
  assert.equal(pieces[0]!.join(""), JSON.stringify(big));
  assert.ok(pieces[0]!.length > 1);
  const answer = {
    jsonrpc: "2.0",
    id: 2,
    result: { content: [{ type: "text", text: "z".repeat(4 * 1024 * 1024) }] },
  };
  h.server(answer);
  assert.equal(released, 2, "once more, after the answer was passed on");
  assert.deepEqual(h.toClient.at(-1), answer);
  h.server({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "small" } });
  assert.equal(released, 2, "not for a small message");
});

Deno.test("ProxySession without toServerPieces serializes a large call whole", () => {
  const h = harness("record");
  const big = call(3, "read_file", { note: "q".repeat(4 * 1024 * 1024) });
  h.client(big);
  assert.equal(h.rawServer.at(-1), JSON.stringify(big));
});

Deno.test("ProxySession passes on a large call nested too deep for jsonPieces, serialized whole", () => {
  const pieces: string[][] = [];
  const h = harness("record", { toServerPieces: (p) => void pieces.push(p) });
  // Deep enough for jsonPieces' recursion to give up, not JSON.stringify's.
  const depth = 8_000;
  const line =
    `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"read_file","arguments":{"note":"${
      "q".repeat(4 * 1024 * 1024)
    }","deep":${"[".repeat(depth)}${"]".repeat(depth)}}}}`;
  h.client(line);
  assert.equal(pieces.length, 0);
  assert.equal(h.rawServer.at(-1), line);
});

Deno.test("ProxySession answers a request refused for a repeated key with its own id, not null", () => {
  const h = harness("record");
  h.client('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"a"},"params":{"name":"b"}}');
  assert.equal(h.toServer.length, 0);
  assert.equal(h.toClient[0]!.id, 7);
  assert.equal((h.toClient[0]!.error as Msg).code, -32700);
});

Deno.test("ProxySession forwards ids past 2^53 byte for byte and matches the answer of an exact or a rounding server", () => {
  for (const answerId of ["9007199254740993", "9007199254740992"]) {
    const h = harness("record");
    h.client(
      '{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":"read_file","arguments":{}}}',
    );
    assert.match(h.rawServer[0]!, /"id":9007199254740993[,}]/);
    h.server(`{"jsonrpc":"2.0","id":${answerId},"result":{"content":[]}}`);
    // The answer is passed on as the server wrote it (an exact server keeps the client's id exactly).
    assert.equal(h.rawClient.length, 1, answerId);
    assert.match(h.rawClient[0]!, new RegExp(`"id":${answerId}[,}]`));
  }
});

Deno.test("ProxySession judges option injection with the tool's own description from tools/list", () => {
  const h = harness("enforce", {}, "version: 1\nservers:\n  fs: {}\n");
  const call = (id: number) => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "history", arguments: { range: "--output=/tmp/x" } },
  });
  h.client(call(1));
  assert.equal(h.toServer.length, 1, "unknown tool: a plain argument name is not an operand");
  h.client({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  h.server({
    jsonrpc: "2.0",
    id: 2,
    result: {
      tools: [{ name: "history", description: "Runs git log over a revision range", inputSchema: {} }],
    },
  });
  h.client(call(3));
  assert.equal(h.toServer.length, 2, "the call after tools/list is not forwarded");
  const denied = h.toClient.find((m) => m.id === 3)!;
  assert.match(JSON.stringify(denied), /guard\/option-injection/);
});

Deno.test("ProxySession never passes on a line break inside a server's message: a client splitting there would read a message no one judged", () => {
  const h = harness("enforce");
  h.client(call(1, "echo", { text: "hi" }));
  const smuggled = '{"jsonrpc":"2.0","id":"s","method":"sampling/createMessage","params":{"messages":[]}}';
  for (const sep of ["\r", "\n", "\r\n"]) {
    h.rawClient.length = 0;
    h.client(call(`c${sep.length}${sep.charCodeAt(0)}`, "echo", { text: "x" }));
    const id = `c${sep.length}${sep.charCodeAt(0)}`;
    h.server(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{"a":[${sep}${smuggled}${sep}]}}`);
    assert.equal(h.rawClient.length, 1);
    assert.ok(!/[\r\n]/.test(h.rawClient[0]!), JSON.stringify(h.rawClient[0]));
    assert.deepEqual((h.toClient.at(-1)!.result as Msg).a, [JSON.parse(smuggled)]);
  }
});
