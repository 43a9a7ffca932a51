/**
 * `agentperms gateway` latency: an echo tools/call over Streamable HTTP (Deno's fetch, the SSE answer read
 * whole), in the same run and in alternating blocks so every path sees the same machine:
 * - direct: server-everything's own streamableHttp mode on loopback;
 * - gateway → remote: the gateway (enforce, policy, trace) in front of that same server, through the bridge;
 * - gateway → stdio: the gateway in front of server-everything over stdio, contained as `agentperms proxy`
 *   starts it (one server process per session).
 * - bare HTTP hop (floor): the least a Deno HTTP-to-HTTP hop does in front of that server
 *   (bench/_min_http_hop.ts): what any gateway in Deno adds at least.
 * Added latency = gateway → remote minus direct. Target (#19): ≤ 0.5 ms p50 and ≤ 2 ms p99.
 *
 *   deno run -A bench/gateway_bench.ts [calls per block, default 300] [blocks, default 6] [--baseline DIR]
 *
 * `--baseline DIR` adds the same two gateway paths through a gateway started from the checkout in DIR.
 *
 * With AP_BENCH_CPU_PROF=DIR the gateway writes a V8 CPU profile into DIR when it stops. With
 * AP_BENCH_FSYNCS=1 (Linux, `perf` installed) the table also counts the trace fsyncs (fdatasync) each path's
 * process made per call.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const POSITIONAL = Deno.args.filter((a, i) => a !== "--baseline" && Deno.args[i - 1] !== "--baseline");
const CALLS = Number(POSITIONAL[0] ?? 300);
const BLOCKS = Number(POSITIONAL[1] ?? 6);
const WARMUP = 100;
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DENO = Deno.execPath();

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
}

const port = freePort();
const direct = `http://127.0.0.1:${port}/mcp`;
const everything = new Deno.Command(DENO, {
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

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      const r = await fetch(url);
      await r.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not start`);
}

const tmp = await Deno.makeTempDir({ prefix: "agentperms-gateway-bench-" });
await Deno.writeTextFile(
  join(tmp, "p.yaml"),
  "version: 1\nservers:\n  remote:\n    allowed_tools: [echo]\n  ev:\n    allowed_tools: [echo]\n",
);
await Deno.writeTextFile(
  join(tmp, "gateway.json"),
  JSON.stringify({
    mcpServers: {
      remote: { type: "http", url: direct },
      ev: {
        command: DENO,
        args: [
          "run",
          "--no-config",
          "--no-prompt",
          "--allow-env=GZIP_MAX_FETCH_SIZE,GZIP_MAX_FETCH_TIME_MILLIS,GZIP_ALLOWED_DOMAINS",
          "npm:@modelcontextprotocol/server-everything@2026.8.31",
        ],
      },
    },
  }),
);
const denoDir = (JSON.parse(new TextDecoder().decode(
  new Deno.Command(DENO, { args: ["info", "--json"], stderr: "null" }).outputSync().stdout,
)) as { denoDir: string }).denoDir;
// AP_BENCH_CPU_PROF=DIR: the gateway writes a V8 CPU profile there when it stops.
const prof = Deno.env.get("AP_BENCH_CPU_PROF");
/** Starts `agentperms gateway` from the checkout at `root` (its own HOME, so its own token). */
async function startGateway(root: string, name: string) {
  const gwHome = join(tmp, `home-${name}`);
  await Deno.mkdir(gwHome);
  const child = new Deno.Command(DENO, {
    args: [
      "run",
      ...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []),
      "-A",
      // As the launcher and the compiled binary run it (src/clients/self_command.ts).
      "--v8-flags=--max-semi-space-size=1",
      "--config",
      join(root, "deno.json"),
      join(root, "cli.ts"),
      "gateway",
      "--listen",
      "127.0.0.1:0",
      "--format",
      "json",
      "--policy",
      join(tmp, "p.yaml"),
      "--config",
      join(tmp, "gateway.json"),
      "--trace-dir",
      join(tmp, `traces-${name}`),
    ],
    env: { HOME: gwHome, DENO_DIR: denoDir },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const startLine = await (async () => {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the gateway did not start");
      out += value;
    }
    reader.releaseLock();
    return JSON.parse(out.split("\n")[0]!) as { servers: { name: string; url: string }[]; tokenFile: string };
  })();
  const token = (await Deno.readTextFile(startLine.tokenFile)).trim();
  const urlOf = (server: string) => startLine.servers.find((s) => s.name === server)!.url;
  return { child, token, urlOf };
}
const gw = await startGateway(ROOT, "main");
// --baseline DIR: the same gateway from another checkout (e.g. `git archive HEAD | tar -x -C DIR` before a
// change), in the same rotation, so before and after are measured in one run.
const BASELINE = Deno.args.includes("--baseline")
  ? Deno.args[Deno.args.indexOf("--baseline") + 1]
  : undefined;
const base = BASELINE === undefined ? undefined : await startGateway(BASELINE, "baseline");

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

/** A Streamable HTTP client: POST, read the whole answer. */
async function client(url: string, auth?: string) {
  let sid = "";
  let version = "";
  const post = async (m: unknown) => {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    };
    if (auth) headers.authorization = `Bearer ${auth}`;
    if (sid) headers["mcp-session-id"] = sid;
    if (version) headers["mcp-protocol-version"] = version;
    const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(m) });
    sid ||= res.headers.get("mcp-session-id") ?? "";
    const text = await res.text();
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}: ${text}`);
    return text;
  };
  const init = await post(INIT);
  version = /"protocolVersion":"([^"]+)"/.exec(init)?.[1] ?? "";
  await post({ jsonrpc: "2.0", method: "notifications/initialized" });
  return {
    call: async (id: number) => {
      const t = await post(echo(id));
      if (!t.includes("Echo: hello")) throw new Error(`unexpected answer: ${t.slice(0, 200)}`);
    },
  };
}

await waitUp(`http://127.0.0.1:${port}/`);
// The floor: a bare HTTP-to-HTTP hop in front of the same server (bench/_min_http_hop.ts).
const hop = new Deno.Command(DENO, {
  args: ["run", "-A", "--no-config", join(ROOT, "bench", "_min_http_hop.ts"), direct],
  stdout: "piped",
  stderr: "null",
}).spawn();
const hopPort = await (async () => {
  const reader = hop.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the bare hop did not start");
    out += value;
  }
  reader.releaseLock();
  return Number(out.trim());
})();
const paths = {
  direct: await client(direct),
  "bare HTTP hop (floor)": await client(`http://127.0.0.1:${hopPort}/mcp`),
  "gateway → remote": await client(gw.urlOf("remote"), gw.token),
  "gateway → stdio": await client(gw.urlOf("ev"), gw.token),
  ...(base
    ? {
      "baseline gateway → remote": await client(base.urlOf("remote"), base.token),
      "baseline gateway → stdio": await client(base.urlOf("ev"), base.token),
    }
    : {}),
};
/** CPU time the process in the middle of a path has used so far, ms (user + system, /proc; ticks of 10 ms). */
const cpuMs = (pid: number): number => {
  try {
    const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
};
const samples: Record<string, number[]> = {};
const cpu: Record<string, number> = {};
const fsyncs: Record<string, number> = {};
/** Starts counting a process's fdatasync calls (AP_BENCH_FSYNCS=1); the function it returns stops and counts. */
const countFsyncs = async (pid: number): Promise<() => Promise<number>> => {
  if (!Deno.env.get("AP_BENCH_FSYNCS")) return () => Promise.resolve(NaN);
  const perf = new Deno.Command("perf", {
    args: ["stat", "-x,", "-e", "syscalls:sys_enter_fdatasync", "-p", String(pid)],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // perf needs a moment to attach.
  await new Promise((r) => setTimeout(r, 200));
  return async () => {
    perf.kill("SIGINT");
    const text = new TextDecoder().decode((await perf.output()).stderr);
    return Number(/^(\d+),/m.exec(text)?.[1] ?? NaN);
  };
};
let id = 1;
for (const [name, c] of Object.entries(paths)) {
  samples[name] = [];
  for (let i = 0; i < WARMUP; i++) await c.call(id++);
}
const order = Object.entries(paths);
for (let b = 0; b < BLOCKS; b++) {
  // Each block starts with another path, so none always runs first.
  for (let k = 0; k < order.length; k++) {
    const [name, c] = order[(b + k) % order.length]!;
    const pid = name === "bare HTTP hop (floor)"
      ? hop.pid
      : name.startsWith("baseline")
      ? base!.child.pid
      : gw.child.pid;
    const stopCount = await countFsyncs(pid);
    const c0 = cpuMs(pid);
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      await c.call(id++);
      samples[name]!.push(performance.now() - t0);
    }
    cpu[name] = (cpu[name] ?? 0) + cpuMs(pid) - c0;
    fsyncs[name] = (fsyncs[name] ?? 0) + await stopCount();
  }
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};
const fmt = (n: number) => n.toFixed(2);
const out = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
const counting = Deno.env.get("AP_BENCH_FSYNCS") !== undefined;
out(
  `| path | p50 ms | p99 ms | CPU ms per call (gateway or hop) | calls |${
    counting ? " fsyncs per call |" : ""
  }`,
);
out(`|---|---|---|---|---|${counting ? "---|" : ""}`);
for (const [name, xs] of Object.entries(samples)) {
  const perCall = name === "direct" ? "–" : fmt(cpu[name]! / xs.length);
  const perCallFsyncs = counting && name !== "direct" ? ` ${(fsyncs[name]! / xs.length).toFixed(3)} |` : "";
  out(
    `| ${name} | ${fmt(pct(xs, 0.5))} | ${fmt(pct(xs, 0.99))} | ${perCall} | ${xs.length} |${perCallFsyncs}`,
  );
}
const d = samples.direct!;
const r = samples["gateway → remote"]!;
out(
  `\nadded by the gateway (→ remote minus direct): p50 ${fmt(pct(r, 0.5) - pct(d, 0.5))} ms, ` +
    `p99 ${fmt(pct(r, 0.99) - pct(d, 0.99))} ms (target ≤ 0.50 / ≤ 2.00)`,
);
const h = samples["bare HTTP hop (floor)"]!;
out(
  `a bare HTTP hop adds (floor): p50 ${fmt(pct(h, 0.5) - pct(d, 0.5))} ms, p99 ${
    fmt(pct(h, 0.99) - pct(d, 0.99))
  } ms`,
);
for (const g of [gw, base]) {
  g?.child.kill("SIGTERM");
  await g?.child.status;
}
hop.kill("SIGKILL");
await hop.status;
everything.kill("SIGKILL");
await everything.status;
await Deno.remove(tmp, { recursive: true });
