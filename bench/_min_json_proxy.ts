/**
 * The floor for comparison in `proxy_bench.ts`: the least a JSON-aware Deno proxy can do (split lines,
 * `JSON.parse`, `JSON.stringify`, forward), with no policy, trace or safety checks, over the cheapest stdio
 * found for Deno 2.9.6: the client's pipes as `node:net` sockets on fds 0 and 1 and the server through
 * `node:child_process`, all polled on the main thread (web streams over `Deno.stdin` and `Deno.Command`
 * cost about +0.05 ms more per round trip). Not for use.
 * @module
 */
import { spawn } from "node:child_process";
import net from "node:net";

const [cmd, ...args] = Deno.args;
const server = spawn(cmd!, args, { stdio: ["pipe", "pipe", "inherit"] });

/**
 * Calls `send` with each chunk's complete lines, parsed and re-serialized. A line's bytes are joined and
 * decoded once when its newline arrives (not re-split with every chunk, which is quadratic in a long line).
 */
function relay(send: (text: string) => void): (chunk: Uint8Array) => void {
  const dec = new TextDecoder();
  let parts: Uint8Array[] = [];
  return (chunk) => {
    const out: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      parts.push(chunk.subarray(start, nl));
      const line = parts.length === 1 ? parts[0]! : join(parts);
      parts = [];
      out.push(JSON.stringify(JSON.parse(dec.decode(line))));
      start = nl + 1;
    }
    if (start < chunk.length) parts.push(chunk.subarray(start));
    if (out.length > 0) send(out.join("\n") + "\n");
  };
}

function join(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

const clientIn = new net.Socket({ fd: 0, readable: true, writable: false });
const clientOut = new net.Socket({ fd: 1, readable: false, writable: true });
clientIn.on("data", relay((t) => server.stdin!.write(t)));
clientIn.on("end", () => server.stdin!.end());
server.stdout!.on("data", relay((t) => clientOut.write(t)));
server.on("exit", (code) => clientOut.end(() => Deno.exit(code ?? 1)));
