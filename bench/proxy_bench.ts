/**
 * `deno task bench:proxy`: what the proxy costs, measured in one run, rotating between direct, a bare JSON hop
 * (the floor) and the AgentPerms proxy in front of server-everything (`echo`), with a raw NDJSON client so the
 * client adds as little as possible.
 *
 * Per round and mode: spawn-to-initialize time; p50/p99 of 2,000 sequential `echo` calls after 200 warm-up
 * calls; throughput with 64 calls in flight. Once per mode: a 10 MB `echo` round trip and the proxy's peak
 * RSS (VmHWM from /proc). The proxy runs in enforce mode with a policy, containment and a trace, as users run
 * it. Prints a Markdown table; `--write` also replaces the Proxy section of BENCHMARKS.md.
 *
 * `--sizes` measures instead how the cost grows with the message (issue #20): echo calls of 1 KB to 10 MB to a
 * minimal NDJSON echo server (written to a temp file, so the server's own cost stays small), direct,
 * through the floor and through AgentPerms, rotating; per size the median round trip and the CPU the spawned
 * process spends per call (the hop, or the server for direct), with ratios against the floor.
 *
 * Options: `--rounds N` (default 3), `--calls N` (default 2000), `--write`, `--sizes`.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { denoRuntimeEnv } from "../src/sandbox/mod.ts";
import { selfCommand } from "../src/clients/mod.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DENO = Deno.execPath();
const args = Deno.args;
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const ROUNDS = opt("--rounds", 3);
const CALLS = opt("--calls", 2000);
const WARMUP = 200;
const IN_FLIGHT = 64;
const THROUGHPUT_CALLS = 4000;
// 10 MB (decimal): the MCP SDK 1.32.2 stdio reader in the server refuses messages over 10 MiB.
const BIG = 10_000_000;

const SERVER = [
  DENO,
  "run",
  "--no-config",
  "--no-prompt",
  "--allow-env=GZIP_MAX_FETCH_SIZE,GZIP_MAX_FETCH_TIME_MILLIS,GZIP_ALLOWED_DOMAINS",
  "npm:@modelcontextprotocol/server-everything@2026.8.31",
];

function env(): Record<string, string> {
  const e: Record<string, string> = {
    RUST_BACKTRACE: "0",
    NO_COLOR: "1",
    ...denoRuntimeEnv((k) => Deno.env.get(k)),
  };
  return e;
}

/** A minimal NDJSON JSON-RPC client over a child's stdio. */
export class RawClient {
  readonly child: Deno.ChildProcess;
  #w: WritableStreamDefaultWriter<Uint8Array>;
  #pending = new Map<number, (m: Record<string, unknown>) => void>();
  #enc = new TextEncoder();
  #id = 0;
  #done: Promise<void>;

  /**
   * @param argv the command to spawn
   * @param extraEnv set on top of the bench's minimal environment
   */
  constructor(argv: string[], extraEnv: Record<string, string> = {}) {
    this.child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      env: { ...env(), ...extraEnv },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#w = this.child.stdin.getWriter();
    this.#done = this.#read();
  }

  async #read(): Promise<void> {
    const dec = new TextDecoder();
    const parts: string[] = [];
    for await (const chunk of this.child.stdout) {
      let s = dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = s.indexOf("\n")) !== -1) {
        parts.push(s.slice(0, nl));
        s = s.slice(nl + 1);
        const m = JSON.parse(parts.join(""));
        parts.length = 0;
        if (typeof m.id === "number" && !("method" in m)) {
          const r = this.#pending.get(m.id);
          this.#pending.delete(m.id);
          r?.(m);
        }
      }
      if (s) parts.push(s);
    }
  }

  request(method: string, params: unknown): Promise<Record<string, unknown>> {
    const id = ++this.#id;
    const p = new Promise<Record<string, unknown>>((r) => this.#pending.set(id, r));
    void this.#w.write(this.#enc.encode(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n"));
    return p;
  }

  notify(method: string): void {
    void this.#w.write(this.#enc.encode(JSON.stringify({ jsonrpc: "2.0", method }) + "\n"));
  }

  async close(): Promise<void> {
    await this.#w.close().catch(() => {});
    await this.child.status;
    await this.#done.catch(() => {});
  }
}

const echo = (c: RawClient, message: string) =>
  c.request("tools/call", { name: "echo", arguments: { message } });

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function vmHwmKb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) in µs: a process's own threads (`/proc/PID/stat`), or one thread of it. */
function cpuUs(pid: number, thread?: number): number {
  try {
    const path = thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`;
    const text = Deno.readTextFileSync(path);
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * (1e6 / CLOCK_TICKS);
  } catch {
    return NaN;
  }
}

/** The machine's busy and total CPU time in µs, every CPU together (`/proc/stat`). */
function machineUs(): { busy: number; total: number } {
  try {
    const f = Deno.readTextFileSync("/proc/stat").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = f[3]! + f[4]!;
    return { busy: (total - idle) * (1e6 / CLOCK_TICKS), total: total * (1e6 / CLOCK_TICKS) };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

/** Every process below `pid` (children of each of its threads, recursively), from /proc. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = [...Deno.readDirSync(`/proc/${p}/task`)].map((e) => e.name);
    } catch {
      return;
    }
    for (const t of tasks) {
      try {
        for (const c of Deno.readTextFileSync(`/proc/${p}/task/${t}/children`).trim().split(/\s+/)) {
          if (c && out.length < 256) {
            out.push(Number(c));
            visit(Number(c));
          }
        }
      } catch {
        // gone
      }
    }
  };
  visit(pid);
  return out;
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const CLOCK_TICKS = 100;

/** CPU spent during a phase, per call: by the process the client spawned, its main thread, the machine. */
interface CpuPerCall {
  /** The spawned process (the server for direct, the proxy otherwise), all its threads. */
  process: number;
  /** Its main thread alone (where the proxy's JavaScript runs). */
  main: number;
  /** The processes it started (for the hop and the proxy: the server, and the sandbox around it). */
  behind: number;
  /** Every process on the machine, the client included. */
  machine: number;
  /** How busy the machine's CPUs were, 0 to 1. */
  utilization: number;
}

/** Starts measuring; the function it returns gives the CPU spent since, per call over `calls` calls. */
function cpuMeter(pid: number): (calls: number) => CpuPerCall {
  const behind = () => descendants(pid).reduce((n, d) => n + cpuUs(d), 0);
  const p0 = cpuUs(pid), t0 = cpuUs(pid, pid), b0 = behind(), m0 = machineUs();
  return (calls) => {
    const m1 = machineUs();
    return {
      process: (cpuUs(pid) - p0) / calls,
      main: (cpuUs(pid, pid) - t0) / calls,
      behind: (behind() - b0) / calls,
      machine: (m1.busy - m0.busy) / calls,
      utilization: (m1.busy - m0.busy) / (m1.total - m0.total),
    };
  };
}

type Mode = "direct" | "floor" | "proxy";

interface RoundResult {
  initMs: number;
  p50: number;
  p99: number;
  throughput: number;
  /** CPU per call during the sequential calls and with 64 in flight. */
  seqCpu: CpuPerCall;
  tpCpu: CpuPerCall;
  bigMs?: number;
  bigRssMb?: number;
  idleRssMb?: number;
}

async function round(argv: string[], withBig: boolean): Promise<RoundResult> {
  const t0 = performance.now();
  const c = new RawClient(argv);
  await c.request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "bench", version: "1" },
  });
  const initMs = performance.now() - t0;
  c.notify("notifications/initialized");
  for (let i = 0; i < WARMUP; i++) await echo(c, "warm");
  const lat: number[] = [];
  const seqMeter = cpuMeter(c.child.pid);
  for (let i = 0; i < CALLS; i++) {
    const s = performance.now();
    await echo(c, "hello");
    lat.push(performance.now() - s);
  }
  const seqCpu = seqMeter(CALLS);
  lat.sort((a, b) => a - b);
  // Throughput: keep 64 calls in flight until THROUGHPUT_CALLS are answered.
  const tpMeter = cpuMeter(c.child.pid);
  const tt = performance.now();
  let sent = 0;
  const worker = async () => {
    while (sent < THROUGHPUT_CALLS) {
      sent++;
      await echo(c, "t");
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const throughput = THROUGHPUT_CALLS / ((performance.now() - tt) / 1000);
  const tpCpu = tpMeter(THROUGHPUT_CALLS);
  const r: RoundResult = { initMs, p50: pct(lat, 50), p99: pct(lat, 99), throughput, seqCpu, tpCpu };
  if (withBig) {
    const idle = vmHwmKb(c.child.pid);
    const big = "x".repeat(BIG - 200);
    const s = performance.now();
    const res = await echo(c, big);
    r.bigMs = performance.now() - s;
    const text = (res.result as { content: { text: string }[] }).content[0]!.text;
    if (text.length !== big.length + 6) throw new Error("10 MB echo came back wrong");
    const hwm = vmHwmKb(c.child.pid);
    r.idleRssMb = idle !== undefined ? idle / 1024 : undefined;
    r.bigRssMb = hwm !== undefined ? hwm / 1024 : undefined;
  }
  await c.close();
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (x: number | undefined, d = 3) => x === undefined ? "n/a" : x.toFixed(d);

async function main(): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "agentperms-bench-" });
  try {
    const policy = join(work, "p.yaml");
    await Deno.writeTextFile(policy, "version: 1\nservers:\n  everything:\n    allowed_tools: [echo]\n");
    const floorArgv = [DENO, "run", "-A", "--no-config", join(ROOT, "bench/_min_json_proxy.ts"), ...SERVER];
    const proxied = [
      ...selfCommand(),
      "proxy",
      "--mode",
      "enforce",
      "--server",
      "everything",
      "--policy",
      policy,
      "--trace-dir",
      join(work, "traces"),
      "--no-tty",
      "--",
      ...SERVER,
    ];
    const results: Record<Mode, RoundResult[]> = { direct: [], floor: [], proxy: [] };
    const argvOf: Record<Mode, string[]> = { direct: SERVER, floor: floorArgv, proxy: proxied };
    const MODES: Mode[] = ["direct", "floor", "proxy"];
    for (let i = 0; i < ROUNDS; i++) {
      // Rotate which goes first so drift in the machine's load hits every mode.
      const order = MODES.map((_, k) => MODES[(k + i) % MODES.length]!);
      for (const which of order) {
        const r = await round(argvOf[which], i === 0);
        results[which].push(r);
        Deno.stderr.writeSync(
          new TextEncoder().encode(
            `round ${i + 1} ${which.padEnd(6)} init ${f(r.initMs, 1)} ms  p50 ${f(r.p50)} ms  p99 ${
              f(r.p99)
            } ms  ${f(r.throughput, 0)} calls/s${
              r.bigMs !== undefined ? `  10MB ${f(r.bigMs, 0)} ms, RSS ${f(r.bigRssMb, 1)} MB` : ""
            }\n`,
          ),
        );
      }
    }
    const { direct, floor, proxy } = results;
    const traceBytes = [...Deno.readDirSync(join(work, "traces"))].reduce(
      (n, e) => n + Deno.statSync(join(work, "traces", e.name)).size,
      0,
    );
    const m = (rs: RoundResult[], k: keyof RoundResult) => median(rs.map((r) => r[k] as number));
    const row = (name: string, k: keyof RoundResult, unit: string, digits = 3, higherIsBetter = false) => {
      const d = m(direct, k), fl = m(floor, k), p = m(proxy, k);
      const added = higherIsBetter ? `${f((p / d) * 100, 0)} % of direct` : `+${f(p - d, digits)} ${unit}`;
      return `| ${name} | ${f(d, digits)} ${unit} | ${f(fl, digits)} ${unit} | ${
        f(p, digits)
      } ${unit} | ${added} | ${f(p / d, 2)}× |`;
    };
    const big = (rs: RoundResult[]) => rs.find((r) => r.bigMs !== undefined)!;
    const now = new Date().toISOString().slice(0, 16).replace("T", " ");
    const table = [
      `Measured ${now} UTC by \`deno task bench:proxy\` (${ROUNDS} rotating rounds, median shown; ` +
      `${CALLS} sequential calls after ${WARMUP} warm-up; ${IN_FLIGHT} in flight for ${THROUGHPUT_CALLS} calls; ` +
      `Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPUs, shared machine). Raw NDJSON client → ` +
      "server-everything `echo`: direct; through a bare JSON hop (`bench/_min_json_proxy.ts`: parse + " +
      "re-serialize, nothing else: the floor for any Deno proxy); through AgentPerms (enforce, policy, " +
      "containment flags, redacted 0600 trace).",
      "",
      "| measure | direct | bare JSON hop | AgentPerms proxy | proxy added | proxy ratio |",
      "| --- | --- | --- | --- | --- | --- |",
      row("round trip p50", "p50", "ms"),
      row("round trip p99", "p99", "ms"),
      row("throughput, 64 in flight", "throughput", "calls/s", 0, true),
      row("spawn → initialize answered", "initMs", "ms", 1),
      `| 10 MB echo round trip | ${f(big(direct).bigMs, 0)} ms | ${f(big(floor).bigMs, 0)} ms | ${
        f(big(proxy).bigMs, 0)
      } ms | +${f(big(proxy).bigMs! - big(direct).bigMs!, 0)} ms | ${
        f(big(proxy).bigMs! / big(direct).bigMs!, 2)
      }× |`,
      "",
      `Peak RSS (VmHWM) of the process the client spawned, after the 10 MB echo: direct = the server ` +
      `${f(big(direct).bigRssMb, 1)} MB; proxied = the AgentPerms proxy ${f(big(proxy).bigRssMb, 1)} MB ` +
      `(${f(big(proxy).idleRssMb, 1)} MB before the 10 MB message). Trace written: ${
        (traceBytes / 1024).toFixed(0)
      } KB for ${ROUNDS * (CALLS + WARMUP + THROUGHPUT_CALLS) + 1} calls.`,
      "",
      ...pairedLines(results),
      "",
      ...cpuLines(results),
      "",
      "Per round (ms; calls/s):",
      "",
      "| round | mode | init | p50 | p99 | throughput |",
      "| --- | --- | --- | --- | --- | --- |",
      ...direct.flatMap((_, i) =>
        (["direct", "floor", "proxy"] as Mode[]).map((k) => {
          const r = results[k][i]!;
          return `| ${i + 1} | ${k} | ${f(r.initMs, 1)} | ${f(r.p50)} | ${f(r.p99)} | ${
            f(r.throughput, 0)
          } |`;
        })
      ),
    ].join("\n");
    Deno.stdout.writeSync(new TextEncoder().encode(table + "\n"));
    if (args.includes("--write")) await writeSection(table);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/** The same round's proxy against the same round's direct run: cancels the machine's drift between rounds. */
function pairedLines(results: Record<Mode, RoundResult[]>): string[] {
  const { direct, floor, proxy } = results;
  const range = (xs: number[], d: number, unit: string, sign = "+") => {
    const sorted = [...xs].sort((a, b) => a - b);
    const fmt = (x: number) => `${x >= 0 ? sign : ""}${f(x, d)}${unit}`;
    return `${fmt(median(sorted))} (rounds: ${fmt(sorted[0]!)} to ${fmt(sorted[sorted.length - 1]!)})`;
  };
  const added = (rs: RoundResult[], k: "p50" | "p99") => rs.map((r, i) => r[k] - direct[i]![k]);
  const ratio = (rs: RoundResult[]) => rs.map((r, i) => (r.throughput / direct[i]!.throughput) * 100);
  return [
    "Paired by round (each mode against the direct run of the same round; median, then the range):",
    "",
    "| measure | bare JSON hop | AgentPerms proxy |",
    "| --- | --- | --- |",
    `| added p50 | ${range(added(floor, "p50"), 3, " ms")} | ${range(added(proxy, "p50"), 3, " ms")} |`,
    `| added p99 | ${range(added(floor, "p99"), 3, " ms")} | ${range(added(proxy, "p99"), 3, " ms")} |`,
    `| throughput, % of direct | ${range(ratio(floor), 0, " %", "")} | ${range(ratio(proxy), 0, " %", "")} |`,
  ];
}

/**
 * CPU per call: what each process and the whole machine spend, sequentially and with 64 calls in flight
 * (from /proc, in 10 ms ticks: 2,000 sequential calls of about 0.2 ms resolve to about 5 µs per call).
 */
function cpuLines(results: Record<Mode, RoundResult[]>): string[] {
  const med = (rs: RoundResult[], get: (r: RoundResult) => number) => median(rs.map(get));
  const cell = (rs: RoundResult[], get: (r: RoundResult) => number) => f(med(rs, get), 1);
  const row = (name: string, get: (r: RoundResult) => number) =>
    `| ${name} | ${cell(results.direct, get)} | ${cell(results.floor, get)} | ${cell(results.proxy, get)} |`;
  const busy = (k: Mode) => `${f(med(results[k], (r) => r.tpCpu.utilization) * 100, 0)} %`;
  return [
    "CPU per call in µs (user + system from /proc, median of the rounds). The spawned process is the server " +
    "for direct, else the hop or the proxy (not the server behind it); the machine is every process, the " +
    "client included:",
    "",
    "| CPU per call (µs) | direct | bare JSON hop | AgentPerms proxy |",
    "| --- | --- | --- | --- |",
    row("spawned process, sequential calls", (r) => r.seqCpu.process),
    row("its main thread, sequential calls", (r) => r.seqCpu.main),
    row("spawned process, 64 in flight", (r) => r.tpCpu.process),
    row("its main thread, 64 in flight", (r) => r.tpCpu.main),
    row("processes it started (server, sandbox), 64 in flight", (r) => r.tpCpu.behind),
    row("whole machine, 64 in flight", (r) => r.tpCpu.machine),
    `| machine busy, 64 in flight | ${busy("direct")} | ${busy("floor")} | ${busy("proxy")} |`,
  ];
}

const START = "<!-- proxy-bench:start -->";
const END = "<!-- proxy-bench:end -->";

/** Replaces only the text between the Proxy section's markers (other sections belong to others). */
async function writeSection(table: string): Promise<void> {
  const file = join(ROOT, "BENCHMARKS.md");
  let text = "";
  try {
    text = await Deno.readTextFile(file);
  } catch {
    text = "# Benchmarks\n";
  }
  const block = `${START}\n${table}\n${END}`;
  if (text.includes(START) && text.includes(END)) {
    text = text.slice(0, text.indexOf(START)) + block + text.slice(text.indexOf(END) + END.length);
  } else {
    text = text.trimEnd() + `\n\n## Proxy\n\n${block}\n`;
  }
  await Deno.writeTextFile(file, text);
  // The CI gate runs `deno fmt --check`, which formats Markdown tables too.
  await new Deno.Command(DENO, { args: ["fmt", "--quiet", file], stdout: "null", stderr: "null" }).output();
}

/** Message sizes for `--sizes` and how many calls each gets per round (after one warm-up call). */
const SIZES: [bytes: number, calls: number][] = [
  [1_000, 400],
  [10_000, 300],
  [100_000, 100],
  [1_000_000, 20],
  [10_000_000, 4],
];

/**
 * Text like a source file (quotes, backslashes, tabs and newlines to escape), `n` characters long. No paths or
 * URLs: each one found costs its canonicalization and a realpath (see reading_bench), whatever the size.
 */
function fileLike(n: number): string {
  const line = 'let total = items["count"] + 1; // add one\\n\tconst s = "quoted \\"text\\"";\n';
  return line.repeat(Math.ceil(n / line.length)).slice(0, n);
}

interface SizeResult {
  p50: number;
  /** CPU of the spawned process per call, ms. */
  cpuMs: number;
}

async function sizeRound(argv: string[], bytes: number, calls: number): Promise<SizeResult> {
  const c = new RawClient(argv);
  await c.request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "bench", version: "1" },
  });
  c.notify("notifications/initialized");
  // The request's JSON is about `bytes` long (its text escapes a little: quotes, newlines).
  const msg = fileLike(Math.floor(bytes * 0.93));
  for (let i = 0; i < Math.max(1, Math.min(20, calls / 10)); i++) await echo(c, msg);
  const lat: number[] = [];
  const p0 = cpuUs(c.child.pid);
  for (let i = 0; i < calls; i++) {
    const s = performance.now();
    const res = await echo(c, msg);
    lat.push(performance.now() - s);
    const text = (res.result as { content: { text: string }[] }).content[0]!.text;
    if (text.length !== msg.length + 6) throw new Error(`${bytes} B echo came back wrong`);
  }
  const cpuMs = (cpuUs(c.child.pid) - p0) / calls / 1000;
  await c.close();
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), cpuMs };
}

async function sizesMain(): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "agentperms-bench-" });
  try {
    const policy = join(work, "p.yaml");
    await Deno.writeTextFile(policy, "version: 1\nservers:\n  everything:\n    allowed_tools: [echo]\n");
    const echoFile = join(work, "echo_server.js");
    await Deno.writeTextFile(echoFile, ECHO_SERVER);
    const server = [DENO, "run", "--no-config", "-A", echoFile];
    const argvOf: Record<Mode, string[]> = {
      direct: server,
      floor: [DENO, "run", "-A", "--no-config", join(ROOT, "bench/_min_json_proxy.ts"), ...server],
      proxy: [
        ...selfCommand(),
        "proxy",
        "--mode",
        "enforce",
        "--server",
        "everything",
        "--policy",
        policy,
        "--trace-dir",
        join(work, "traces"),
        "--no-tty",
        "--",
        ...server,
      ],
    };
    const MODES: Mode[] = ["direct", "floor", "proxy"];
    const res = new Map<string, SizeResult[]>();
    for (let i = 0; i < ROUNDS; i++) {
      for (const [bytes, calls] of SIZES) {
        for (const which of MODES.map((_, k) => MODES[(k + i) % MODES.length]!)) {
          const r = await sizeRound(argvOf[which], bytes, calls);
          const key = `${which} ${bytes}`;
          res.set(key, [...(res.get(key) ?? []), r]);
          Deno.stderr.writeSync(
            new TextEncoder().encode(
              `round ${i + 1} ${String(bytes).padStart(8)} B ${which.padEnd(6)} p50 ${f(r.p50)} ms  CPU ${
                f(r.cpuMs)
              } ms/call\n`,
            ),
          );
        }
      }
    }
    const med = (which: Mode, bytes: number, k: keyof SizeResult) =>
      median(res.get(`${which} ${bytes}`)!.map((r) => r[k]));
    const label = (b: number) => b >= 1e6 ? `${b / 1e6} MB` : `${b / 1e3} KB`;
    const now = new Date().toISOString().slice(0, 16).replace("T", " ");
    const table = [
      `Measured ${now} UTC by \`deno task bench:proxy --sizes\` (${ROUNDS} rotating rounds, median shown; echo ` +
      `calls to a minimal NDJSON echo server, the answer as large as the call; Deno ${Deno.version.deno}, ` +
      `${navigator.hardwareConcurrency} CPUs, shared machine). Added = the round trip minus direct's; CPU = ` +
      "the spawned process (all threads, from /proc) per call.",
      "",
      "| message | direct p50 | floor added | AgentPerms added | added ratio | floor CPU/call | AgentPerms CPU/call | CPU ratio |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...SIZES.map(([b]) => {
        const d = med("direct", b, "p50");
        const fa = med("floor", b, "p50") - d, pa = med("proxy", b, "p50") - d;
        const fc = med("floor", b, "cpuMs"), pc = med("proxy", b, "cpuMs");
        return `| ${label(b)} | ${f(d)} ms | +${f(fa)} ms | +${f(pa)} ms | ${f(pa / fa, 2)}× | ${
          f(fc)
        } ms | ${f(pc)} ms | ${f(pc / fc, 2)}× |`;
      }),
    ].join("\n");
    Deno.stdout.writeSync(new TextEncoder().encode(table + "\n"));
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/**
 * The echo server for `--sizes`: a minimal MCP-shaped NDJSON server (initialize, tools/list, tools/call echo)
 * over stdio sockets, splitting lines without re-scanning what it has (a 10 MB call costs its parse and its
 * answer). Written to the run's temp folder as a file of its own (node: imports only), so the proxy's
 * containment can load it.
 */
export const ECHO_SERVER = `import net from "node:net";
const input = new net.Socket({ fd: 0, readable: true, writable: false });
const output = new net.Socket({ fd: 1, readable: false, writable: true });
const dec = new TextDecoder();
let parts = [];
const answer = (line) => {
  if (line.trim() === "") return;
  const m = JSON.parse(line);
  if (!("id" in m)) return;
  const result = m.method === "initialize"
    ? { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "echo", version: "1" } }
    : m.method === "tools/list"
    ? { tools: [{ name: "echo", inputSchema: { type: "object", properties: { message: { type: "string" } } } }] }
    : { content: [{ type: "text", text: "Echo: " + m.params.arguments.message }] };
  output.write(JSON.stringify({ jsonrpc: "2.0", id: m.id, result }) + "\\n");
};
input.on("data", (chunk) => {
  let start = 0;
  for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
    parts.push(chunk.subarray(start, nl));
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    parts = [];
    answer(dec.decode(all));
    start = nl + 1;
  }
  if (start < chunk.length) parts.push(chunk.subarray(start));
});
input.on("end", () => output.end(() => Deno.exit(0)));
`;

if (import.meta.main) {
  if (args.includes("--sizes")) await sizesMain();
  else await main();
}
