/**
 * The floor for comparison in `gateway_bench.ts`: the least a Deno HTTP-to-HTTP hop can do (`Deno.serve`,
 * each request passed on with `fetch` and its answer read whole and sent back), with no token, session, policy,
 * trace or streaming. Prints its port. Not for use.
 *
 *   deno run -A bench/_min_http_hop.ts UPSTREAM_URL
 * @module
 */
const upstream = Deno.args[0]!;
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const headers = new Headers(req.headers);
  headers.delete("host");
  const res = await fetch(upstream, {
    method: req.method,
    headers,
    body: req.method === "POST" ? await req.arrayBuffer() : undefined,
  });
  const out = new Headers(res.headers);
  out.delete("content-length");
  out.delete("transfer-encoding");
  return new Response(await res.arrayBuffer(), { status: res.status, headers: out });
});
Deno.stdout.writeSync(new TextEncoder().encode(`${server.addr.port}\n`));
