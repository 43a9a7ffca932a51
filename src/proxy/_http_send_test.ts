import assert from "node:assert/strict";
import { defaultSend, fetchSend, type HttpSend, nodeSend } from "./_http_send.ts";

/** A loopback server whose /stream sends one piece, then another when `next()` is called, then ends. */
function streamingServer() {
  let next: () => void = () => {};
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    if (new URL(req.url).pathname === "/text") return new Response(`${req.method} ${req.headers.get("x-a")}`);
    const enc = new TextEncoder();
    return new Response(
      new ReadableStream({
        start(c) {
          c.enqueue(enc.encode("one\n"));
          next = () => {
            c.enqueue(enc.encode("two\n"));
            c.close();
          };
        },
      }),
      { headers: { "content-type": "text/event-stream", "x-b": "B" } },
    );
  });
  return { base: `http://127.0.0.1:${server.addr.port}`, next: () => next(), server };
}

/** A raw HTTP/1.1 server that sends a chunked body's first chunk, then closes the connection mid-body. */
function breakingServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of listener) {
      (async () => {
        await conn.read(new Uint8Array(64 * 1024));
        await conn.write(
          new TextEncoder().encode(
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n4\r\none\n\r\n",
          ),
        );
        await new Promise((r) => setTimeout(r, 20));
        conn.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    url: new URL(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`),
    close: () => listener.close(),
  };
}

for (
  const [name, make] of [["nodeSend()", nodeSend], ["fetchSend(fetch)", () => fetchSend(fetch)]] as const
) {
  Deno.test(`${name} hands on each piece of a streamed body as it arrives, and reads a whole one`, async () => {
    const s = streamingServer();
    const send: HttpSend = make();
    const whole = await send(new URL(`${s.base}/text`), {
      method: "POST",
      headers: { "x-a": "A" },
      body: "{}",
    });
    assert.equal(whole.status, 200);
    assert.equal(await whole.text(), "POST A");
    const res = await send(new URL(`${s.base}/stream`), { method: "GET", headers: {} });
    assert.equal(res.header("x-b"), "B");
    assert.equal(res.header("x-none"), undefined);
    const got: string[] = [];
    await res.stream((t) => {
      got.push(t);
      if (got.join("") === "one\n") s.next(); // the second piece is sent only once the first has arrived
    });
    assert.equal(got.join(""), "one\ntwo\n");
    await s.server.shutdown();
  });

  Deno.test(`${name} rejects when a body breaks off, when the reader throws, and on abortAll`, async () => {
    const b = breakingServer();
    const send = make();
    const broken = await send(b.url, { method: "GET", headers: {} });
    const pieces: string[] = [];
    await assert.rejects(broken.stream((t) => void pieces.push(t)));
    assert.deepEqual(pieces, ["one\n"]);
    b.close();
    const s = streamingServer();
    const thrown = await send(new URL(`${s.base}/stream`), { method: "GET", headers: {} });
    await assert.rejects(
      thrown.stream(() => {
        throw new Error("too big");
      }),
      /too big/,
    );
    const aborted = await send(new URL(`${s.base}/stream`), { method: "GET", headers: {} });
    const reading = aborted.stream(() => send.abortAll());
    await assert.rejects(reading);
    // A later request still goes.
    const after = await send(new URL(`${s.base}/text`), { method: "GET", headers: { "x-a": "again" } });
    assert.equal(await after.text(), "GET again");
    await s.server.shutdown();
  });
}

Deno.test("nodeSend() refuses a URL with credentials, as fetch does", async () => {
  await assert.rejects(
    nodeSend()(new URL("http://user:pw@127.0.0.1:1/mcp"), { method: "GET", headers: {} }),
    /credentials/,
  );
});

Deno.test("defaultSend() takes node:http for plain http, and fetch for https or when a proxy is configured", () => {
  const none = () => undefined;
  const expected = Deno.build.os === "windows" ? "fetch" : "node";
  assert.equal(defaultSend(new URL("http://127.0.0.1/mcp"), none).kind, expected);
  assert.equal(defaultSend(new URL("https://mcp.example.com/mcp"), none).kind, "fetch");
  for (const v of ["HTTP_PROXY", "https_proxy", "ALL_PROXY"]) {
    assert.equal(
      defaultSend(new URL("http://127.0.0.1/mcp"), (n) => n === v ? "http://proxy:3128" : undefined).kind,
      "fetch",
    );
  }
  const denied = () => {
    throw new Error("no env permission");
  };
  assert.equal(defaultSend(new URL("http://127.0.0.1/mcp"), denied).kind, "fetch");
});

Deno.test("nodeSend().close() closes the connections it keeps for reuse", async () => {
  const { default: http } = await import("node:http");
  let open = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end("{}"));
  });
  server.keepAliveTimeout = 60_000;
  server.on("connection", (sock) => {
    open++;
    sock.on("close", () => open--);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const url = new URL(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
  const send = nodeSend();
  for (let i = 0; i < 3; i++) {
    assert.equal(await (await send(url, { method: "POST", headers: {}, body: "{}" })).text(), "{}");
  }
  assert.equal(open, 1, "one connection, reused");
  send.close();
  const t0 = Date.now();
  while (open > 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
  assert.equal(open, 0);
  await new Promise((r) => server.close(r));
});
