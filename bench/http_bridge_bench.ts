/**
 * `agentperms proxy --url` latency: an echo tools/call to server-everything (streamableHttp, loopback), direct
 * over HTTP (Deno's fetch, the answer read as SSE) and through the bridge (NDJSON on the bridge's stdio), in
 * the same run, in alternating blocks so both see the same machine. Target (#19): added ≤ 0.5 ms p50 and
 * ≤ 2 ms p99.
 *
 *   deno run -A bench/http_bridge_bench.ts [calls per block, default 300] [blocks, default 6] [--baseline DIR]
 *
 * `--baseline DIR` adds a fourth path: the bridge of another checkout (e.g. `git archive HEAD | tar -x -C DIR`
 * before a change), so before and after are measured in the same run.
 *
 * With AP_BENCH_CPU_PROF=DIR both bridges write a V8 CPU profile into DIR when they stop.
 */
import { fileURLToPath } from "node:url";

/** The bridge's traces, removed when the bench ends. */
const TRACE_DIR = Deno.makeTempDirSync({ prefix: "ap-bridge-bench-" });
globalThis.addEventListener("unload", () => Deno.removeSync(TRACE_DIR, { recursive: true }));

const BASELINE = Deno.args.includes("--baseline")
  ? Deno.args[Deno.args.indexOf("--baseline") + 1]
  : undefined;
const POSITIONAL = Deno.args.filter((a, i) => a !== "--baseline" && Deno.args[i - 1] !== "--baseline");
const CALLS = Number(POSITIONAL[0] ?? 300);
const BLOCKS = Number(POSITIONAL[1] ?? 6);
const WARMUP = 100;
const ROOT = fileURLToPath(new URL("../", import.meta.url));

const port = (() => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
})();
const url = `http://127.0.0.1:${port}/mcp`;
const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--no-config",
    "-A",
    "npm:@modelcontextprotocol/server-everything@2026.8.31",
    "streamableHttp",
  ],
  env: { PORT: String(port) },
  stdout: "null",
  stderr: "null",
}).spawn();

async function waitUp(): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      await r.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error("server-everything did not start");
}

const INIT = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
};
const echo = (id: number) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "echo", arguments: { message: "hello" } },
});

/** A direct Streamable HTTP client: POST, read the whole answer. */
async function directClient() {
  let sid = "";
  let version = "";
  const post = async (m: unknown) => {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    };
    if (sid) headers["mcp-session-id"] = sid;
    if (version) headers["mcp-protocol-version"] = version;
    const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(m) });
    sid ||= res.headers.get("mcp-session-id") ?? "";
    return await res.text();
  };
  const init = await post(INIT);
  version = /"protocolVersion":"([^"]+)"/.exec(init)?.[1] ?? "";
  await post({ jsonrpc: "2.0", method: "notifications/initialized" });
  return { call: (id: number) => post(echo(id)) };
}

/** AgentPerms' bridge, as the launcher starts it. */
const AGENTPERMS = [
  "-A",
  "--v8-flags=--max-semi-space-size=1",
  `${ROOT}cli.ts`,
  "proxy",
  "--mode",
  "record",
  "--server",
  "ev",
  "--no-tty",
  "--trace-dir",
  TRACE_DIR,
  "--url",
  url,
];
/** The floor: the least a Deno bridge over fetch can do (bench/_min_http_bridge.ts). */
const FLOOR = ["-A", "--no-config", `${ROOT}bench/_min_http_bridge.ts`, url];
/** The same bridge from the `--baseline` checkout. */
const BASE = BASELINE === undefined ? undefined : [
  "--config",
  `${BASELINE}/deno.json`,
  ...AGENTPERMS.map((a) => a === `${ROOT}cli.ts` ? `${BASELINE}/cli.ts` : a),
];

/** A bridge as a child: one line out, one line back. */
function bridgedClient(args: string[]) {
  const prof = Deno.env.get("AP_BENCH_CPU_PROF");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []),
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let buf = "";
  const line = async (): Promise<string> => {
    while (true) {
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const l = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        return l;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("bridge closed");
      buf += dec.decode(value, { stream: true });
    }
  };
  const answer = async (id: number) => {
    while (true) {
      const l = await line();
      if (l.includes(`"id":${id}`) && !l.includes('"method"')) return l;
    }
  };
  return {
    /** CPU time the bridge process has used so far, ms (Linux /proc; clock ticks of 10 ms). */
    cpuMs(): number {
      try {
        const f = Deno.readTextFileSync(`/proc/${child.pid}/stat`).split(") ")[1]!.split(" ");
        return (Number(f[11]) + Number(f[12])) * 10;
      } catch {
        return NaN;
      }
    },
    async init() {
      await writer.write(enc.encode(JSON.stringify(INIT) + "\n"));
      await answer(0);
      await writer.write(
        enc.encode(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n"),
      );
    },
    async call(id: number) {
      await writer.write(enc.encode(JSON.stringify(echo(id)) + "\n"));
      return await answer(id);
    },
    async close() {
      await writer.close();
      await child.status;
    },
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

await waitUp();
const direct = await directClient();
const floor = bridgedClient(FLOOR);
const bridged = bridgedClient(AGENTPERMS);
const base = BASE ? bridgedClient(BASE) : undefined;
await floor.init();
await bridged.init();
await base?.init();
const paths = [
  { name: "direct HTTP", call: direct.call, ms: [] as number[] },
  { name: "bare bridge (floor)", call: floor.call, ms: [] as number[], cpu: floor.cpuMs },
  { name: "AgentPerms bridge", call: bridged.call, ms: [] as number[], cpu: bridged.cpuMs },
  ...(base ? [{ name: "baseline bridge", call: base.call, ms: [] as number[], cpu: base.cpuMs }] : []),
];
let id = 1;
for (let i = 0; i < WARMUP; i++) for (const p of paths) await p.call(id++);
const cpu0 = paths.map((p) => p.cpu?.() ?? 0);
for (let block = 0; block < BLOCKS; block++) {
  // Each block starts with another path, so none always runs first.
  for (let k = 0; k < paths.length; k++) {
    const p = paths[(block + k) % paths.length]!;
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      await p.call(id++);
      p.ms.push(performance.now() - t0);
    }
  }
}
const cpu = paths.map((p, i) => p.cpu ? (p.cpu() - cpu0[i]!) / p.ms.length : NaN);
await floor.close();
await bridged.close();
await base?.close();
server.kill("SIGKILL");
await server.status;
const d = paths[0]!.ms;
const lines = paths.map((p, i) =>
  `${p.name.padEnd(22)} p50 ${pct(p.ms, 50).toFixed(3)} ms   p99 ${pct(p.ms, 99).toFixed(3)} ms` +
  (i === 0
    ? ""
    : `   added ${(pct(p.ms, 50) - pct(d, 50)).toFixed(3)} / ${(pct(p.ms, 99) - pct(d, 99)).toFixed(3)} ms`) +
  (Number.isNaN(cpu[i]) ? "" : `   CPU ${cpu[i]!.toFixed(3)} ms/call`)
);
Deno.stdout.writeSync(
  new TextEncoder().encode(
    [
      ...lines,
      `(${d.length} calls per path; target for AgentPerms: added ≤ 0.5 / ≤ 2 ms; CPU is user + system from /proc)`,
    ]
      .join("\n") + "\n",
  ),
);
