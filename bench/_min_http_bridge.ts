/**
 * The floor for comparison in `http_bridge_bench.ts`: the least a Deno stdio-to-Streamable-HTTP bridge can do
 * (split lines, POST each with Deno's `fetch`, keep the session id and protocol version, read the answer, take
 * each SSE `data:` line, write it as a line), with no policy, trace, GET stream, fallback or error handling,
 * over the same stdio as `_min_json_proxy.ts` (`node:net` sockets on fds 0 and 1). Not for use.
 *
 *   deno run -A bench/_min_http_bridge.ts URL
 * @module
 */
import net from "node:net";

const url = new URL(Deno.args[0]!);
const headers: Record<string, string> = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};
const dec = new TextDecoder();
const clientIn = new net.Socket({ fd: 0, readable: true, writable: false });
const clientOut = new net.Socket({ fd: 1, readable: false, writable: true });

async function post(line: string): Promise<void> {
  const res = await fetch(url, { method: "POST", headers, body: line });
  const sid = res.headers.get("mcp-session-id");
  if (sid) headers["mcp-session-id"] = sid;
  const text = dec.decode(await res.bytes());
  const out: string[] = [];
  if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    for (const l of text.split("\n")) if (l.startsWith("data: ")) out.push(l.slice(6));
  } else if (text.trim() !== "") out.push(text);
  for (const o of out) {
    const v = /"protocolVersion":"([^"]+)"/.exec(o)?.[1];
    if (v && !headers["mcp-protocol-version"]) headers["mcp-protocol-version"] = v;
  }
  if (out.length > 0) clientOut.write(out.join("\n") + "\n");
}

let rest = "";
clientIn.on("data", (chunk: Uint8Array) => {
  const lines = (rest + dec.decode(chunk, { stream: true })).split("\n");
  rest = lines.pop()!;
  for (const l of lines) if (l.trim() !== "") post(l);
});
clientIn.on("end", () => clientOut.end(() => Deno.exit(0)));
