import assert from "node:assert/strict";
import { Gateway, type GatewayBackend } from "./gateway.ts";
import { streamSink, streamSource } from "./_byte_io.ts";
import { outbox, pump } from "./_line_io.ts";

const TOKEN = "test-token-0123456789abcdefghijklmnopqrstuv";
const HOST = "127.0.0.1:7341";
const URL_EV = `http://${HOST}/mcp/ev`;

/**
 * A scripted server as a backend (what a session's proxy would do, minus the policy): answers `initialize`,
 * echoes `echo` calls, `emit` sends `n` notifications on its own after answering, `hold` answers only when a
 * later `release` comes, `exit` ends the proxy.
 */
function scripted(started: { count: number; ended: number; linger?: Promise<void> }): GatewayBackend {
  return async ({ clientIn, clientOut }) => {
    started.count++;
    const w = clientOut.getWriter();
    const send = (m: unknown) => w.write(new TextEncoder().encode(JSON.stringify(m) + "\n"));
    const held: unknown[] = [];
    let rest = "";
    const dec = new TextDecoder();
    try {
      for await (const chunk of clientIn) {
        rest += dec.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = rest.indexOf("\n")) >= 0) {
          const m = JSON.parse(rest.slice(0, nl));
          rest = rest.slice(nl + 1);
          if (m.method === "initialize") {
            await send({
              jsonrpc: "2.0",
              id: m.id,
              result: { protocolVersion: "2025-06-18", capabilities: {} },
            });
          } else if (m.method === "echo") await send({ jsonrpc: "2.0", id: m.id, result: m.params });
          else if (m.method === "emit") {
            await send({ jsonrpc: "2.0", id: m.id, result: {} });
            for (let i = 0; i < m.params.n; i++) {
              await send({ jsonrpc: "2.0", method: "notifications/message", params: { i } });
            }
          } else if (m.method === "hold") held.push(m.id);
          else if (m.method === "release") {
            await send({ jsonrpc: "2.0", id: m.id, result: {} });
            for (const id of held.splice(0)) await send({ jsonrpc: "2.0", id, result: { released: true } });
          } else if (m.method === "ask") {
            // A server request before the answer: it goes on this call's stream.
            await send({ jsonrpc: "2.0", id: "srv-1", method: "roots/list" });
            await send({ jsonrpc: "2.0", id: m.id, result: { asked: true } });
          } else if (m.method === "progress") {
            // Progress for this call, and a notification that relates to no request, before the answer.
            await send({
              jsonrpc: "2.0",
              method: "notifications/progress",
              params: { progressToken: m.params._meta.progressToken, progress: 1 },
            });
            await send({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
            await send({ jsonrpc: "2.0", id: m.id, result: { done: true } });
          } else if (m.method === "exit") return 3;
        }
      }
      // A server slow to exit after EOF (the proxy's grace period).
      await started.linger;
      return 0;
    } finally {
      started.ended++;
      await w.close().catch(() => {});
    }
  };
}

function gateway(
  started = { count: 0, ended: 0 },
  opts: { idleTimeoutMs?: number; replayBytes?: number; maxSessions?: number; diag?: (m: string) => void } =
    {},
): Gateway {
  return new Gateway({
    servers: new Map([["ev", scripted(started)]]),
    token: TOKEN,
    hosts: [HOST, `localhost:7341`],
    diag: () => {},
    ...opts,
  });
}

function req(
  method: string,
  o: { body?: unknown; sid?: string; headers?: Record<string, string>; url?: string } = {},
): Request {
  const headers: Record<string, string> = {
    host: HOST,
    authorization: `Bearer ${TOKEN}`,
    accept: "application/json, text/event-stream",
    ...(o.body !== undefined ? { "content-type": "application/json" } : {}),
    ...(o.sid ? { "mcp-session-id": o.sid } : {}),
    ...o.headers,
  };
  for (const [k, v] of Object.entries(headers)) if (v === "") delete headers[k];
  return new Request(o.url ?? URL_EV, {
    method,
    headers,
    body: o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body),
  });
}

/** Reads SSE events off a response until `count` arrived (or the stream ends); the rest stays unread. */
async function events(res: Response, count = Infinity): Promise<{ id: string; data: unknown }[]> {
  const out: { id: string; data: unknown }[] = [];
  if (res.headers.get("content-type") === "application/json") {
    const v = await res.json();
    return (Array.isArray(v) ? v : [v]).map((data) => ({ id: "", data }));
  }
  const reader = res.body!.getReader();
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
      const id = /^id: (.*)$/m.exec(block)?.[1] ?? "";
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (data !== undefined) out.push({ id, data: JSON.parse(data) });
    }
  }
  await reader.cancel().catch(() => {});
  return out;
}

async function open(g: Gateway): Promise<string> {
  const res = await g.handle(
    req("POST", { body: { jsonrpc: "2.0", id: 0, method: "initialize", params: {} } }),
  );
  assert.equal(res.status, 200);
  const sid = res.headers.get("mcp-session-id");
  assert.match(sid ?? "", /^[0-9a-f]{32}$/);
  const [init] = await events(res);
  assert.deepEqual((init!.data as { result: unknown }).result, {
    protocolVersion: "2025-06-18",
    capabilities: {},
  });
  const ack = await g.handle(
    req("POST", { sid: sid!, body: { jsonrpc: "2.0", method: "notifications/initialized" } }),
  );
  assert.equal(ack.status, 202);
  return sid!;
}

Deno.test("Gateway.handle() refuses a wrong Host, a foreign Origin and a missing or wrong token before anything else", async () => {
  const started = { count: 0, ended: 0 };
  const g = gateway(started);
  const init = { jsonrpc: "2.0", id: 0, method: "initialize", params: {} };
  assert.equal(
    (await g.handle(req("POST", { body: init, headers: { host: "evil.example:7341" } }))).status,
    403,
  );
  assert.equal(
    (await g.handle(req("POST", { body: init, headers: { origin: "http://evil.example" } }))).status,
    403,
  );
  assert.equal(
    (await g.handle(req("POST", { body: init, headers: { origin: "http://127.0.0.1:7342" } }))).status,
    403,
  );
  const missing = await g.handle(req("POST", { body: init, headers: { authorization: "" } }));
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
  assert.equal(
    (await g.handle(req("POST", { body: init, headers: { authorization: `Bearer ${TOKEN}x` } }))).status,
    401,
  );
  assert.equal((await g.handle(req("POST", { body: init, headers: { authorization: TOKEN } }))).status, 401);
  // Same length, one character off.
  const near = `Bearer ${TOKEN.slice(0, -1)}${TOKEN.endsWith("v") ? "w" : "v"}`;
  assert.equal((await g.handle(req("POST", { body: init, headers: { authorization: near } }))).status, 401);
  assert.equal(started.count, 0, "no session was started for a refused request");
  // The gateway's own origin (a browser page it served, or a tool that sends one) passes.
  const own = await g.handle(req("POST", { body: init, headers: { origin: `http://${HOST}` } }));
  assert.equal(own.status, 200);
  await own.body?.cancel();
  await g.close();
});

Deno.test("Gateway.handle() answers HTTP-level mistakes with the status the spec names", async () => {
  const g = gateway();
  const sid = await open(g);
  const call = { jsonrpc: "2.0", id: 1, method: "echo", params: { a: 1 } };
  assert.equal((await g.handle(req("POST", { body: call }))).status, 400, "no session id");
  assert.equal(
    (await g.handle(req("POST", { body: call, sid: "f".repeat(32) }))).status,
    404,
    "unknown session",
  );
  assert.equal(
    (await g.handle(req("POST", { body: call, sid, url: "http://127.0.0.1:7341/mcp/nope" }))).status,
    404,
  );
  assert.equal(
    (await g.handle(req("POST", { body: call, sid, headers: { accept: "application/json" } }))).status,
    406,
  );
  assert.equal(
    (await g.handle(req("POST", { body: call, sid, headers: { "content-type": "text/plain" } }))).status,
    415,
  );
  assert.equal((await g.handle(req("POST", { body: "{not json", sid }))).status, 400);
  assert.equal(
    (await g.handle(req("POST", { body: call, sid, headers: { "mcp-protocol-version": "1999-01-01" } })))
      .status,
    400,
    "unsupported MCP-Protocol-Version",
  );
  assert.equal(
    (await g.handle(req("POST", { body: call, sid, headers: { "mcp-protocol-version": "2025-03-26" } })))
      .status,
    400,
    "a version other than the one negotiated",
  );
  assert.equal((await g.handle(req("PUT", { sid }))).status, 405);
  const ok = await g.handle(
    req("POST", { body: call, sid, headers: { "mcp-protocol-version": "2025-06-18" } }),
  );
  assert.equal(ok.status, 200);
  assert.deepEqual((await events(ok)).map((e) => e.data), [{ jsonrpc: "2.0", id: 1, result: { a: 1 } }]);
  await g.close();
});

Deno.test("Gateway.handle() routes each answer to the stream of its request, a server request to the waiting call's stream, and a pretty-printed body stays one message", async () => {
  const g = gateway();
  const sid = await open(g);
  const held = await g.handle(req("POST", { sid, body: { jsonrpc: "2.0", id: "h", method: "hold" } }));
  const asked = await g.handle(req("POST", { sid, body: { jsonrpc: "2.0", id: 2, method: "ask" } }));
  assert.deepEqual((await events(asked)).map((e) => e.data), [
    { jsonrpc: "2.0", id: "srv-1", method: "roots/list" },
    { jsonrpc: "2.0", id: 2, result: { asked: true } },
  ]);
  const pretty = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "release" }, null, 2);
  const released = await g.handle(req("POST", { sid, body: pretty }));
  assert.deepEqual((await events(released)).map((e) => e.data), [{ jsonrpc: "2.0", id: 3, result: {} }]);
  assert.deepEqual((await events(held)).map((e) => e.data), [{
    jsonrpc: "2.0",
    id: "h",
    result: { released: true },
  }]);
  // An answer from the client (to a server request) is accepted with 202.
  const answer = await g.handle(
    req("POST", { sid, body: { jsonrpc: "2.0", id: "srv-1", result: { roots: [] } } }),
  );
  assert.equal(answer.status, 202);
  await g.close();
});

Deno.test("Gateway.handle() keeps server messages for the GET stream, replays them after Last-Event-ID, and allows one GET stream at a time", async () => {
  const g = gateway();
  const sid = await open(g);
  // Sent while no GET stream is open: kept for it.
  const emitted = await g.handle(
    req("POST", { sid, body: { jsonrpc: "2.0", id: 1, method: "emit", params: { n: 3 } } }),
  );
  await events(emitted);
  const get1 = await g.handle(req("GET", { sid }));
  assert.equal(get1.status, 200);
  assert.equal(get1.headers.get("content-type"), "text/event-stream");
  const conflict = await g.handle(req("GET", { sid }));
  assert.equal(conflict.status, 409);
  const first = await events(get1, 1); // the reader goes away after one event
  assert.deepEqual(first[0]!.data, { jsonrpc: "2.0", method: "notifications/message", params: { i: 0 } });
  // More while nobody listens.
  await events(
    await g.handle(req("POST", { sid, body: { jsonrpc: "2.0", id: 2, method: "emit", params: { n: 2 } } })),
  );
  const get2 = await g.handle(req("GET", { sid, headers: { "last-event-id": first[0]!.id } }));
  assert.equal(get2.status, 200);
  const rest = await events(get2, 4);
  assert.deepEqual(rest.map((e) => (e.data as { params: { i: number } }).params.i), [1, 2, 0, 1]);
  const ids = [first[0]!, ...rest].map((e) => Number(e.id));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "event ids only grow");
  assert.equal(new Set(ids).size, ids.length);
  await g.close();
});

Deno.test("Gateway.handle() resumes a POST stream that broke off through GET with Last-Event-ID", async () => {
  const g = gateway();
  const sid = await open(g);
  const held = await g.handle(req("POST", { sid, body: { jsonrpc: "2.0", id: 9, method: "ask" } }));
  const [serverRequest] = await events(held, 1); // the client lost the stream after the server's request
  assert.equal((serverRequest!.data as { method: string }).method, "roots/list");
  const resumed = await g.handle(req("GET", { sid, headers: { "last-event-id": serverRequest!.id } }));
  assert.deepEqual((await events(resumed)).map((e) => e.data), [{
    jsonrpc: "2.0",
    id: 9,
    result: { asked: true },
  }]);
  await g.close();
});

Deno.test("Gateway.handle(): DELETE ends one session only; a session whose proxy ends answers what waits and is gone", async () => {
  const slowExit = Promise.withResolvers<void>();
  const started = { count: 0, ended: 0, linger: slowExit.promise };
  const g = gateway(started);
  const a = await open(g);
  const b = await open(g);
  assert.notEqual(a, b);
  assert.equal(started.count, 2, "one proxy per session");
  const waitingOnA = await g.handle(
    req("POST", { sid: a, body: { jsonrpc: "2.0", id: "w", method: "hold" } }),
  );
  assert.equal((await g.handle(req("DELETE", { sid: a }))).status, 200);
  // The stream ends with its session, while the server is still on its way out.
  let guard: ReturnType<typeof setTimeout> | undefined;
  const ended = await Promise.race([
    events(waitingOnA).then(() => "ended"),
    new Promise((r) => guard = setTimeout(() => r("still open"), 5000)),
  ]);
  clearTimeout(guard);
  assert.equal(ended, "ended");
  assert.equal(started.ended, 0);
  slowExit.resolve();
  assert.equal(
    (await g.handle(req("POST", { sid: a, body: { jsonrpc: "2.0", id: 1, method: "echo" } }))).status,
    404,
  );
  const stillB = await g.handle(
    req("POST", { sid: b, body: { jsonrpc: "2.0", id: 1, method: "echo", params: {} } }),
  );
  assert.deepEqual((await events(stillB)).map((e) => e.data), [{ jsonrpc: "2.0", id: 1, result: {} }]);
  // b's server stops while a call waits: the call gets an error, the session is gone.
  const waiting = await g.handle(req("POST", { sid: b, body: { jsonrpc: "2.0", id: 5, method: "hold" } }));
  await events(await g.handle(req("POST", { sid: b, body: { jsonrpc: "2.0", id: 6, method: "exit" } })));
  const [err] = await events(waiting);
  assert.match(
    JSON.stringify(err!.data),
    /"id":5.*session ended before answering: its server stopped \(exit 3\)/,
  );
  assert.equal(
    (await g.handle(req("POST", { sid: b, body: { jsonrpc: "2.0", id: 7, method: "echo" } }))).status,
    404,
  );
  assert.equal(g.sessionCount, 0);
  await g.close();
  assert.equal(started.ended, 2);
});

Deno.test("Gateway ends a session that stays idle, and keeps one with a call in flight", async () => {
  const started = { count: 0, ended: 0 };
  const g = gateway(started, { idleTimeoutMs: 40 });
  const idle = await open(g);
  const busy = await open(g);
  const held = await g.handle(req("POST", { sid: busy, body: { jsonrpc: "2.0", id: 1, method: "hold" } }));
  const t0 = Date.now();
  while (started.ended < 1 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
  assert.equal(
    (await g.handle(req("POST", { sid: idle, body: { jsonrpc: "2.0", id: 1, method: "echo" } }))).status,
    404,
  );
  assert.equal(started.ended, 1);
  await held.body?.cancel();
  await g.close();
});

Deno.test("Gateway.handle() sends progress on the stream of the call that asked for it and other notifications on the GET stream", async () => {
  const g = gateway();
  const sid = await open(g);
  const get = await g.handle(req("GET", { sid }));
  const call = await g.handle(req("POST", {
    sid,
    body: { jsonrpc: "2.0", id: 4, method: "progress", params: { _meta: { progressToken: "tok" } } },
  }));
  assert.deepEqual((await events(call)).map((e) => e.data), [
    { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "tok", progress: 1 } },
    { jsonrpc: "2.0", id: 4, result: { done: true } },
  ]);
  assert.deepEqual((await events(get, 1)).map((e) => e.data), [
    { jsonrpc: "2.0", method: "notifications/tools/list_changed" },
  ]);
  await g.close();
});

Deno.test("Gateway.handle() answers a quick call with one JSON body, and a call whose server speaks first with an SSE stream", async () => {
  const g = gateway();
  const sid = await open(g);
  const quick = await g.handle(
    req("POST", { sid, body: { jsonrpc: "2.0", id: 1, method: "echo", params: { q: 1 } } }),
  );
  assert.equal(quick.headers.get("content-type"), "application/json");
  assert.deepEqual(await quick.json(), { jsonrpc: "2.0", id: 1, result: { q: 1 } });
  const asked = await g.handle(req("POST", { sid, body: { jsonrpc: "2.0", id: 2, method: "ask" } }));
  assert.equal(asked.headers.get("content-type"), "text/event-stream");
  assert.equal((await events(asked)).length, 2);
  // A call slower than jsonWaitMs: a stream, which gets the answer once it comes.
  const held = await g.handle(req("POST", { sid, body: { jsonrpc: "2.0", id: 3, method: "hold" } }));
  assert.equal(held.headers.get("content-type"), "text/event-stream");
  await events(await g.handle(req("POST", { sid, body: { jsonrpc: "2.0", id: 4, method: "release" } })));
  assert.deepEqual((await events(held)).map((e) => e.data), [{
    jsonrpc: "2.0",
    id: 3,
    result: { released: true },
  }]);
  await g.close();
});

Deno.test("Gateway.handle() keeps only replayBytes of events; a resumed GET replaces the reader before it", async () => {
  const g = gateway(undefined, { replayBytes: 400 });
  const sid = await open(g);
  const get1 = await g.handle(req("GET", { sid }));
  await events(
    await g.handle(req("POST", { sid, body: { jsonrpc: "2.0", id: 1, method: "emit", params: { n: 1 } } })),
  );
  const reader = get1.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  const firstId = /^id: (\d+)$/m.exec(first)![1]!;
  // Many more events than 400 bytes hold: the first is no longer kept.
  await events(
    await g.handle(req("POST", { sid, body: { jsonrpc: "2.0", id: 2, method: "emit", params: { n: 10 } } })),
  );
  // Read live up to the last one (i 9), remembering the id of i 8.
  let keptId = "";
  let buf = "";
  while (!buf.includes('"i":9')) {
    buf += new TextDecoder().decode((await reader.read()).value);
    keptId = /^id: (\d+)\nevent: message\ndata: .*"i":8/m.exec(buf)?.[1] ?? keptId;
  }
  const get2 = await g.handle(req("GET", { sid, headers: { "last-event-id": firstId } }));
  assert.equal(get2.status, 409, "an id no longer kept does not take over the open stream");
  await get2.body?.cancel();
  // Resuming from a kept id takes over: the first reader's stream ends.
  const get3 = await g.handle(req("GET", { sid, headers: { "last-event-id": keptId } }));
  assert.deepEqual((await events(get3, 1)).map((e) => e.data), [
    { jsonrpc: "2.0", method: "notifications/message", params: { i: 9 } },
  ]);
  assert.equal((await reader.read()).done, true, "the reader before it was closed");
  await g.close();
});

Deno.test("Gateway.handle() refuses a session past maxSessions with 503 and what to do; ending one makes room", async () => {
  const started = { count: 0, ended: 0 };
  const diag: string[] = [];
  const g = gateway(started, { maxSessions: 2, diag: (m) => void diag.push(m) });
  const init = { jsonrpc: "2.0", id: 1, method: "initialize", params: {} };
  const sids: string[] = [];
  for (let i = 0; i < 2; i++) {
    const res = await g.handle(req("POST", { body: init }));
    assert.equal(res.status, 200);
    await res.body?.cancel();
    sids.push(res.headers.get("mcp-session-id")!);
  }
  const refused = await g.handle(req("POST", { body: init }));
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get("retry-after"), "5");
  assert.equal(refused.headers.get("mcp-session-id"), null);
  const body = await refused.json();
  assert.equal(body.error.code, -32000);
  assert.match(body.error.message, /already runs 2 sessions.*DELETE.*--max-sessions/);
  assert.equal(started.count, 2, "no proxy was started for the refused session");
  assert.match(diag.join("\n"), /refused a new session of "ev": 2 sessions are open \(--max-sessions 2\)/);
  // The sessions that run are untouched, and ending one makes room for a new one.
  const call = await g.handle(
    req("POST", { sid: sids[0], body: { jsonrpc: "2.0", id: 2, method: "echo", params: {} } }),
  );
  assert.equal(call.status, 200);
  await call.body?.cancel();
  assert.equal((await g.handle(req("DELETE", { sid: sids[1] }))).status, 200);
  const again = await g.handle(req("POST", { body: init }));
  assert.equal(again.status, 200);
  await again.body?.cancel();
  assert.equal(g.sessionCount, 2);
  await g.close();
});

Deno.test("Gateway hands a session's lines to a proxy built on streamSource/streamSink by a call, the streams left unread, and DELETE ends its input", async () => {
  let locked: boolean[] = [];
  let inputEnded = false;
  // What runProxy/runBridge do at their client edge: pump lines from streamSource, answer through an outbox.
  const backend: GatewayBackend = async ({ clientIn, clientOut }) => {
    const toClient = outbox(streamSink(clientOut), () => {}, () => {});
    await pump(streamSource(clientIn), 1 << 20, (f) => {
      if (f.kind !== "line") return;
      const m = JSON.parse(new TextDecoder().decode(f.bytes));
      if (m.method === "initialize") {
        toClient(
          JSON.stringify({
            jsonrpc: "2.0",
            id: m.id,
            result: { protocolVersion: "2025-06-18", capabilities: {} },
          }),
        );
      } else if (m.id !== undefined) {
        locked = [clientIn.locked, clientOut.locked];
        toClient(JSON.stringify({ jsonrpc: "2.0", id: m.id, result: { echoed: m.params } }));
      }
    });
    inputEnded = true;
    await toClient.close();
    return 0;
  };
  const g = new Gateway({ servers: new Map([["ev", backend]]), token: TOKEN, hosts: [HOST], diag: () => {} });
  const sid = await open(g);
  for (const n of [1, 2, 3]) {
    const res = await g.handle(
      req("POST", { sid, body: { jsonrpc: "2.0", id: n, method: "echo", params: { n } } }),
    );
    assert.deepEqual((await events(res)).map((e) => e.data), [{
      jsonrpc: "2.0",
      id: n,
      result: { echoed: { n } },
    }]);
  }
  assert.deepEqual(locked, [false, false], "the hand-off, not the streams");
  assert.equal((await g.handle(req("DELETE", { sid }))).status, 200);
  await g.close();
  assert.equal(inputEnded, true, "the proxy saw the end of its input");
});
