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

/** Calls `send` with each chunk's complete lines, parsed and re-serialized. */
function relay(send: (text: string) => void): (chunk: Uint8Array) => void {
  const dec = new TextDecoder();
  let rest = "";
  return (chunk) => {
    const lines = (rest + dec.decode(chunk, { stream: true })).split("\n");
    rest = lines.pop()!;
    if (lines.length > 0) send(lines.map((l) => JSON.stringify(JSON.parse(l))).join("\n") + "\n");
  };
}

const clientIn = new net.Socket({ fd: 0, readable: true, writable: false });
const clientOut = new net.Socket({ fd: 1, readable: false, writable: true });
clientIn.on("data", relay((t) => server.stdin!.write(t)));
clientIn.on("end", () => server.stdin!.end());
server.stdout!.on("data", relay((t) => clientOut.write(t)));
server.on("exit", (code) => clientOut.end(() => Deno.exit(code ?? 1)));
