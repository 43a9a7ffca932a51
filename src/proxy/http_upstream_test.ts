import assert from "node:assert/strict";
import type { Frame } from "./framing.ts";
import { HttpUpstream } from "./http_upstream.ts";

/** A fake Streamable HTTP server on loopback that records what it was sent. */
function fakeRemote() {
  const seen: { method: string; headers: Headers; body?: string }[] = [];
  let gets = 0;
  let closeFirstGet: () => void = () => {};
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = req.method === "POST" ? await req.text() : undefined;
    seen.push({ method: req.method, headers: req.headers, body });
    if (req.method === "POST" && body?.includes('"initialize"')) {
      return Response.json(
        { jsonrpc: "2.0", id: 1, result: { protocolVersion: "2025-06-18", capabilities: {} } },
        { headers: { "mcp-session-id": "S1" } },
      );
    }
    if (req.method === "POST") return new Response(null, { status: 202 });
    if (req.method === "DELETE") return new Response(null, { status: 200 });
    gets++;
    const enc = new TextEncoder();
    if (gets === 1) {
      // One event, then the stream stays open until the test closes it: the event must arrive before that.
      return new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(
              enc.encode(`id: e1\ndata: {"jsonrpc":"2.0","method":"notifications/message","params":{}}\n\n`),
            );
            closeFirstGet = () => c.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    }
    return new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(
            enc.encode(`id: e2\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n`),
          );
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  });
  return {
    url: new URL(`http://127.0.0.1:${server.addr.port}/mcp`),
    seen,
    closeFirstGet: () => closeFirstGet(),
    server,
  };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("HttpUpstream carries the session, streams the GET stream, resumes it with Last-Event-ID, and DELETEs at close", async () => {
  const remote = fakeRemote();
  const frames: string[] = [];
  const up = new HttpUpstream({
    url: remote.url,
    headers: { Authorization: "Bearer t0k" },
    onFrame: (f: Frame) =>
      void frames.push(f.kind === "line" ? new TextDecoder().decode(f.bytes) : "oversize"),
    isPending: () => false,
    onLost: () => {},
    diag: () => {},
    reconnectMs: 10,
  });
  up.send('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}');
  await until(() => frames.length === 1);
  assert.equal(up.sessionId, "S1");
  up.send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  // Streamed: the first event arrives while its stream is still open.
  await until(() => frames.some((f) => f.includes("notifications/message")));
  remote.closeFirstGet();
  await until(() => frames.some((f) => f.includes("notifications/progress")));
  await up.close(100);
  const gets = remote.seen.filter((r) => r.method === "GET");
  assert.equal(gets[0]!.headers.get("last-event-id"), null);
  assert.equal(gets[1]!.headers.get("last-event-id"), "e1");
  const after = remote.seen.slice(1);
  assert.ok(
    after.every((r) => r.headers.get("mcp-session-id") === "S1"),
    "session id on every later request",
  );
  assert.ok(after.every((r) => r.headers.get("mcp-protocol-version") === "2025-06-18"));
  assert.ok(remote.seen.every((r) => r.headers.get("authorization") === "Bearer t0k"));
  assert.equal(remote.seen.at(-1)!.method, "DELETE");
  await remote.server.shutdown();
});

Deno.test("HttpUpstream answers a request to a remote that cannot be reached with an error, once", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const frames: string[] = [];
  const diag: string[] = [];
  const up = new HttpUpstream({
    url: new URL(`http://user:pw@127.0.0.1:${port}/mcp?token=q`),
    transport: "http",
    headers: { Authorization: "Bearer t0k" },
    onFrame: (f: Frame) =>
      void frames.push(f.kind === "line" ? new TextDecoder().decode(f.bytes) : "oversize"),
    isPending: (id) => id === 5 && frames.length === 0,
    onLost: () => {},
    diag: (m) => void diag.push(m),
  });
  up.send('{"jsonrpc":"2.0","id":5,"method":"tools/list"}');
  await until(() => frames.length === 1);
  const m = JSON.parse(frames[0]!);
  assert.equal(m.id, 5);
  assert.match(m.error.message, /did not answer: it cannot be reached.*Fix: check --url/);
  assert.doesNotMatch(frames[0]! + diag.join("\n"), /t0k|pw|token=q/);
  await up.close(0);
});

Deno.test("HttpUpstream does not follow a redirect with the headers: the request is answered with the URL to pass", async () => {
  const hits: (string | null)[] = [];
  const other = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    hits.push(req.headers.get("authorization"));
    return new Response("{}");
  });
  const remote = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () =>
    new Response(null, {
      status: 307,
      headers: { location: `http://127.0.0.1:${other.addr.port}/elsewhere?k=secret` },
    }));
  const frames: string[] = [];
  const up = new HttpUpstream({
    url: new URL(`http://127.0.0.1:${remote.addr.port}/mcp`),
    headers: { Authorization: "Bearer t0k" },
    onFrame: (f: Frame) =>
      void frames.push(f.kind === "line" ? new TextDecoder().decode(f.bytes) : "oversize"),
    isPending: () => frames.length === 0,
    onLost: () => {},
    diag: () => {},
  });
  up.send('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}');
  await until(() => frames.length === 1);
  assert.match(frames[0]!, /redirected \(HTTP 307\) to http:\/\/127\.0\.0\.1:\d+\/elsewhere; pass that URL/);
  assert.doesNotMatch(frames[0]!, /secret/);
  assert.deepEqual(hits, []);
  await up.close(0);
  await remote.shutdown();
  await other.shutdown();
});
