/**
 * The proxy's own work per call, in process: a `tools/call` and its answer through a {@link ProxySession} with
 * the real policy loader, the built-in redaction packs and a 0600 trace file, one call at a time (two trace
 * writes per call: write-ahead) and 64 at a time (one write per batch). The baseline, in the same run, is the
 * bare hop's work on the same bytes: decode, `JSON.parse` and `JSON.stringify` both ways.
 */
import { compilePolicy, hostRealpath, parsePolicy } from "../../mod.ts";
import { TraceWriter } from "../trace/mod.ts";
import { buildRedactFn } from "./redact_fn.ts";
import { ProxySession } from "./proxy_session.ts";

const { policy } = parsePolicy("version: 1\nservers:\n  everything:\n    allowed_tools: [echo]\n", {
  file: "p.yaml",
});
const dir = Deno.makeTempDirSync({ prefix: "agentperms-bench-" });
const trace = TraceWriter.open(dir, "t.jsonl");
addEventListener("unload", () => {
  trace.close();
  Deno.removeSync(dir, { recursive: true });
});
const session = new ProxySession({
  mode: "enforce",
  server: "everything",
  policy: compilePolicy(policy, { baseDir: dir, home: "/root", realpath: hostRealpath }),
  cwd: dir,
  home: "/root",
  sessionId: "bench0000000",
  trace,
  redact: await buildRedactFn(policy, { baseDir: dir }),
  toClient: () => {},
  toServer: () => {},
  diag: () => {},
});
const enc = new TextEncoder();
const dec = new TextDecoder();
const request = (id: number) =>
  enc.encode(JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "echo", arguments: { message: "hello" } },
  }));
const answer = (id: number) =>
  enc.encode(
    JSON.stringify({ result: { content: [{ type: "text", text: "Echo: hello" }] }, jsonrpc: "2.0", id }),
  );
const batch = (n: number) => ({
  requests: Array.from({ length: n }, (_, i) => request(i + 1)),
  answers: Array.from({ length: n }, (_, i) => answer(i + 1)),
});
const one = batch(1);
const many = batch(64);

function throughSession(b: { requests: Uint8Array[]; answers: Uint8Array[] }): void {
  for (const bytes of b.requests) session.onClientFrame({ kind: "line", bytes });
  session.flushTrace({ results: true });
  for (const bytes of b.answers) session.onServerFrame({ kind: "line", bytes });
  session.flushTrace({ results: true });
}
function bareHop(b: { requests: Uint8Array[]; answers: Uint8Array[] }): void {
  for (const bytes of b.requests) JSON.stringify(JSON.parse(dec.decode(bytes)));
  for (const bytes of b.answers) JSON.stringify(JSON.parse(dec.decode(bytes)));
}

Deno.bench("baseline: bare hop, one call", { group: "one", baseline: true }, () => bareHop(one));
Deno.bench("ProxySession, one call (two trace writes)", { group: "one" }, () => throughSession(one));
Deno.bench("baseline: bare hop, 64 calls", { group: "64", baseline: true }, () => bareHop(many));
Deno.bench("ProxySession, 64 calls (one trace write per side)", { group: "64" }, () => throughSession(many));
