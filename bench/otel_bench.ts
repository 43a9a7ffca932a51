/**
 * `deno run -A bench/otel_bench.ts`: what OpenTelemetry export costs the proxy (issue #20, target ≤ 5 %
 * throughput difference at 64 calls in flight). The AgentPerms proxy (enforce, policy, containment, trace) in
 * front of a minimal NDJSON echo server, without `--otel` and with `--otel` exporting to a local OTLP/HTTP
 * receiver (`OTEL_DENO=true`, http/json, Deno's default export intervals), in alternating rounds. Per round:
 * throughput with 64 calls in flight, p50 of sequential calls, and the proxy's CPU per call (/proc). At the
 * end, how many spans the receiver got (each judged call is one).
 *
 * Options: `--rounds N` (default 4), `--calls N` (64-in-flight calls per round, default 4000), `--sampler
 * NAME[:ARG]` (sets `OTEL_TRACES_SAMPLER` and its argument for the exporting proxy, e.g.
 * `parentbased_traceidratio:0.05`: Deno 2.9.6 spends about 25 µs of CPU per exported span, 4-6 µs per span
 * sampled out).
 * @module
 */
import { join } from "node:path";
import { selfCommand } from "../src/clients/mod.ts";
import { startOtlpReceiver } from "../tests/telemetry/_otlp_receiver.ts";
import { ECHO_SERVER, RawClient } from "./proxy_bench.ts";

const args = Deno.args;
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const ROUNDS = opt("--rounds", 4);
const CALLS = opt("--calls", 4000);
const SEQUENTIAL = 1000;
const SAMPLER: Record<string, string> = (() => {
  const i = args.indexOf("--sampler");
  if (i === -1) return {};
  const [name, arg] = args[i + 1]!.split(":");
  return { OTEL_TRACES_SAMPLER: name!, ...(arg !== undefined ? { OTEL_TRACES_SAMPLER_ARG: arg } : {}) };
})();
const IN_FLIGHT = 64;
const DENO = Deno.execPath();

type Mode = "off" | "on";
interface Result {
  throughput: number;
  p50: number;
  cpuUsPerCall: number;
}

function cpuUs(pid: number): number {
  const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

async function round(argv: string[], env: Record<string, string>): Promise<Result> {
  const c = new RawClient(argv, env);
  await c.request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "bench", version: "1" },
  });
  c.notify("notifications/initialized");
  const echo = (message: string) => c.request("tools/call", { name: "echo", arguments: { message } });
  for (let i = 0; i < 200; i++) await echo("warm");
  const lat: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const s = performance.now();
    await echo("hello");
    lat.push(performance.now() - s);
  }
  lat.sort((a, b) => a - b);
  const c0 = cpuUs(c.child.pid);
  const t0 = performance.now();
  let sent = 0;
  const worker = async () => {
    while (sent < CALLS) {
      sent++;
      await echo("t");
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const throughput = CALLS / ((performance.now() - t0) / 1000);
  const cpuUsPerCall = (cpuUs(c.child.pid) - c0) / CALLS;
  await c.close();
  return { throughput, p50: lat[Math.floor(lat.length / 2)]!, cpuUsPerCall };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "agentperms-otel-bench-" });
  await using rx = startOtlpReceiver();
  try {
    const policy = join(work, "p.yaml");
    await Deno.writeTextFile(policy, "version: 1\nservers:\n  echo:\n    allowed_tools: [echo]\n");
    const echoFile = join(work, "echo_server.js");
    await Deno.writeTextFile(echoFile, ECHO_SERVER);
    const base = [
      ...selfCommand(),
      "proxy",
      "--mode",
      "enforce",
      "--server",
      "echo",
      "--policy",
      policy,
      "--trace-dir",
      join(work, "traces"),
      "--no-tty",
    ];
    const server = ["--", DENO, "run", "--no-config", "-A", echoFile];
    const argvOf: Record<Mode, string[]> = { off: [...base, ...server], on: [...base, "--otel", ...server] };
    const envOf: Record<Mode, Record<string, string>> = {
      off: {},
      on: {
        OTEL_DENO: "true",
        OTEL_EXPORTER_OTLP_ENDPOINT: rx.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_SERVICE_NAME: "agentperms-bench",
        ...SAMPLER,
      },
    };
    const res: Record<Mode, Result[]> = { off: [], on: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const m of (i % 2 === 0 ? ["off", "on"] : ["on", "off"]) as Mode[]) {
        const r = await round(argvOf[m], envOf[m]);
        res[m].push(r);
        Deno.stderr.writeSync(
          new TextEncoder().encode(
            `round ${i + 1} otel ${m.padEnd(3)}  ${r.throughput.toFixed(0)} calls/s  p50 ${
              r.p50.toFixed(3)
            } ms  CPU ${r.cpuUsPerCall.toFixed(1)} µs/call\n`,
          ),
        );
      }
    }
    const m = (k: Mode, key: keyof Result) => median(res[k].map((r) => r[key]));
    const paired = median(res.on.map((r, i) => (r.throughput / res.off[i]!.throughput) * 100));
    const now = new Date().toISOString().slice(0, 16).replace("T", " ");
    const table = [
      `Measured ${now} UTC by \`deno run -A bench/otel_bench.ts\` (${ROUNDS} alternating rounds, median; ` +
      `${CALLS} calls with ${IN_FLIGHT} in flight, ${SEQUENTIAL} sequential; Deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} CPUs, shared machine). ${rx.spans.length} spans received` +
      (SAMPLER.OTEL_TRACES_SAMPLER ? ` (sampler ${Object.values(SAMPLER).join(" ")}).` : "."),
      "",
      "| measure | otel off | otel on | on / off |",
      "| --- | --- | --- | --- |",
      `| throughput, 64 in flight | ${m("off", "throughput").toFixed(0)} calls/s | ${
        m("on", "throughput").toFixed(0)
      } calls/s | ${paired.toFixed(1)} % (paired by round) |`,
      `| p50, sequential | ${m("off", "p50").toFixed(3)} ms | ${m("on", "p50").toFixed(3)} ms | +${
        (m("on", "p50") - m("off", "p50")).toFixed(3)
      } ms |`,
      `| proxy CPU per call, 64 in flight | ${m("off", "cpuUsPerCall").toFixed(1)} µs | ${
        m("on", "cpuUsPerCall").toFixed(1)
      } µs | ${(m("on", "cpuUsPerCall") / m("off", "cpuUsPerCall")).toFixed(2)}× |`,
    ].join("\n");
    Deno.stdout.writeSync(new TextEncoder().encode(table + "\n"));
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

if (import.meta.main) await main();
