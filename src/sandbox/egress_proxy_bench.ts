/**
 * Added time per connection through the egress proxy: `deno bench -A src/sandbox/egress_proxy_bench.ts`.
 * Both benches open a fresh TCP connection to the same loopback echo and make one 1-byte round trip; the
 * proxied one first sends `CONNECT` and waits for `200 Connection Established` (one judge call, no DNS).
 * @module
 */
import net from "node:net";
import { startEgressProxy } from "./egress_proxy.ts";

const echo = net.createServer((s) => {
  s.on("error", () => {});
  s.pipe(s);
});
await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
echo.unref();
const echoPort = (echo.address() as net.AddressInfo).port;

const proxy = await startEgressProxy({
  listen: { hostname: "127.0.0.1", port: 0 },
  judge: () => ({ allow: true, reason: "bench", ruleIds: [] }),
});
const proxyPort = (proxy.address as { port: number }).port;
const connectRequest = new TextEncoder().encode(`CONNECT 127.0.0.1:${echoPort} HTTP/1.1\r\n\r\n`);
const ESTABLISHED_LENGTH = "HTTP/1.1 200 Connection Established\r\n\r\n".length;
const ping = new Uint8Array([0x2a]);

async function readExactly(conn: Deno.Conn, n: number): Promise<void> {
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(buf.subarray(got));
    if (r === null) throw new Error(`EOF after ${got} of ${n} bytes`);
    got += r;
  }
}

Deno.bench({
  name: "direct: connect to the echo + one round trip",
  group: "connect",
  baseline: true,
  async fn() {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: echoPort });
    await conn.write(ping);
    await readExactly(conn, 1);
    conn.close();
  },
});

Deno.bench({
  name: "egress proxy: CONNECT to the echo + one round trip",
  group: "connect",
  async fn() {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
    await conn.write(connectRequest);
    await readExactly(conn, ESTABLISHED_LENGTH);
    await conn.write(ping);
    await readExactly(conn, 1);
    conn.close();
  },
});

globalThis.addEventListener("unload", () => void proxy.close());
