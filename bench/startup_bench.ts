/**
 * Start-up of `agentperms proxy` (issue 20, item 6; target: spawn → first `initialize` answer ≤ floor + 50 ms).
 *
 *   deno run -A bench/startup_bench.ts [--rounds 15]
 *
 * Spawn → the `initialize` answer on stdout, for a minimal Deno MCP server that answers `initialize` itself:
 * - direct: the server alone;
 * - floor: the server behind `bench/_min_json_proxy.ts` (a bare Deno parse-and-forward hop, the least any
 *   Deno proxy costs);
 * - record / enforce: the server behind `agentperms proxy` started as wiring starts it (`selfCommand`), with
 *   `--no-contain` (only AgentPerms' own start is measured, not a sandbox's), enforce with
 *   `examples/policies/example.mcp.policy.yaml`.
 * Rounds alternate the modes; "added" is the median of the per-round differences to direct.
 *
 * Comparisons in the same run (each adds record and enforce rows):
 * - `--baseline DIR`: another checkout's `cli.ts` (e.g. `git archive <commit> | tar -x -C DIR`);
 * - `--bundle FILE`: a `deno bundle` output (`deno bundle --platform=deno -o FILE cli.ts`), run with `deno run -A`;
 * - `--binary FILE`: a `deno compile` output.
 *
 * Then the breakdown: what importing each part of the proxy's module graph adds, in the order a proxy start
 * loads it (a fresh process per run, each import timed after the previous ones; medians of 5 runs). The first
 * npm package imported also pays Deno's npm start-up.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { V8_FLAGS } from "../src/clients/self_command.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DENO = Deno.execPath();
const enc = new TextEncoder();
const print = (s: string) => Deno.stdout.writeSync(enc.encode(s + "\n"));

const SERVER = `
const dec = new TextDecoder();
let rest = "";
for await (const chunk of Deno.stdin.readable) {
  const lines = (rest + dec.decode(chunk, { stream: true })).split("\\n");
  rest = lines.pop() ?? "";
  for (const l of lines) {
    if (!l.trim()) continue;
    const m = JSON.parse(l);
    if (m.id === undefined) continue;
    const result = m.method === "initialize"
      ? { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "tiny", version: "1" } }
      : {};
    await Deno.stdout.write(new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", id: m.id, result }) + "\\n"));
  }
}
`;

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
}) + "\n";

/** Spawns argv, sends initialize, returns ms until the first stdout line, then ends the process. */
/** CPU time (user + system, ms) the process has used so far, from /proc (Linux; NaN elsewhere). */
function cpuMs(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/**
 * Spawns argv, sends initialize; returns ms until the first stdout line and the CPU the spawned process itself
 * had used by then (its children not counted: less sensitive to the machine's load than wall time), then ends
 * the process.
 */
async function timeInitialize(argv: string[], env: Record<string, string>): Promise<[number, number]> {
  const t0 = performance.now();
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    env,
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(enc.encode(INITIALIZE));
  const reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let text = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  const ms = performance.now() - t0;
  const cpu = cpuMs(child.pid);
  clearTimeout(timer);
  if (!text.includes('"id":1')) throw new Error(`no initialize answer from ${argv.join(" ")}: ${text}`);
  await w.close().catch(() => {});
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  const done = await Promise.race([child.status, new Promise((r) => setTimeout(r, 5000, undefined))]);
  if (done === undefined) {
    child.kill("SIGKILL");
    await child.status;
  }
  return [ms, cpu];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

function textFlag(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

/** What importing each part adds, in load order (a fresh process; the first npm import pays npm's start). */
const PARTS = [
  "./src/errors.ts",
  "picomatch",
  "yaml",
  "zod",
  "re2js",
  "email-addresses",
  "./src/profiles/mod.ts",
  // Built-in guard packs and server profiles: plain data (validated by their tests, not at import).
  "./guards/mod.ts",
  "./profiles/mod.ts",
  "./src/canonical/mod.ts",
  "./src/policy/mod.ts",
  "./src/decision/mod.ts",
  "./src/trace/mod.ts",
  "./src/redact/mod.ts",
  "./src/proxy/mod.ts",
  "./src/sandbox/mod.ts",
  "./src/cli/commands/run_proxy_command.ts",
  // Loaded by the proxy after the initialize answer (runProxy's beforeCalls), so not in spawn → initialize.
  "mvdan-sh",
  // Not loaded by a wired proxy start (cli.ts reads its command line itself): for comparison.
  "commander",
];

const IMPORT_TIMER = `
const out = {};
let prev = performance.now();
const t0 = prev;
for (const s of ${JSON.stringify(PARTS)}) {
  await import(s.startsWith("./") ? new URL(s, ${JSON.stringify(`file://${ROOT}`)}).href : s);
  const now = performance.now();
  out[s] = now - prev;
  prev = now;
}
out.total = prev - t0;
await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(out)));
`;

if (import.meta.main) {
  const rounds = flag("--rounds", 15);
  const dir = await Deno.makeTempDir({ prefix: "agentperms-startup-bench-" });
  try {
    const server = join(dir, "server.ts");
    await Deno.writeTextFile(server, SERVER);
    const home = join(dir, "home");
    await Deno.mkdir(home);
    const env = { HOME: home, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", NO_COLOR: "1" };
    for (const k of ["DENO_DIR", "XDG_CACHE_HOME"]) {
      const v = Deno.env.get(k);
      if (v) (env as Record<string, string>)[k] = v;
    }
    // The user's Deno cache, so nothing is downloaded or compiled again under the temp HOME.
    (env as Record<string, string>).DENO_DIR ??= Deno.env.get("DENO_DIR") ??
      join(Deno.env.get("HOME") ?? "/root", ".cache", "deno");
    const serverArgv = [DENO, "run", "--no-config", "--no-prompt", server];
    const proxyModes = (cli: string[]): [string[], string[]] => [
      [
        ...cli,
        "--mode",
        "record",
        "--server",
        "tiny",
        "--trace-dir",
        join(dir, "t"),
        "--no-contain",
        "--",
        ...serverArgv,
      ],
      [
        ...cli,
        "--mode",
        "enforce",
        "--server",
        "filesystem",
        "--policy",
        join(ROOT, "examples/policies/example.mcp.policy.yaml"),
        "--trace-dir",
        join(dir, "t"),
        "--no-contain",
        "--",
        ...serverArgv,
      ],
    ];
    // As record/enforce wiring starts it (selfCommand: the V8 flags and the checkout's deno.json).
    const wired = (dir: string) => [
      DENO,
      "run",
      "-A",
      `--v8-flags=${V8_FLAGS}`,
      "--config",
      join(dir, "deno.json"),
      join(dir, "cli.ts"),
      "proxy",
    ];
    const [record, enforce] = proxyModes(wired(ROOT));
    const modes: Record<string, string[]> = {
      direct: serverArgv,
      floor: [DENO, "run", "-A", "--no-config", join(ROOT, "bench/_min_json_proxy.ts"), ...serverArgv],
      record,
      enforce,
    };
    const extra: [string, string[]][] = [];
    const baseline = textFlag("--baseline");
    if (baseline) {
      extra.push(["baseline", wired(baseline)]);
    }
    const bundle = textFlag("--bundle");
    if (bundle) extra.push(["bundle", [DENO, "run", "-A", `--v8-flags=${V8_FLAGS}`, bundle, "proxy"]]);
    const binary = textFlag("--binary");
    if (binary) extra.push(["binary", [binary, "proxy"]]);
    for (const [name, cli] of extra) {
      const [r, e] = proxyModes(cli);
      modes[`record (${name})`] = r;
      modes[`enforce (${name})`] = e;
    }
    const names = Object.keys(modes);
    const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    const cpus: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (const n of names) await timeInitialize(modes[n]!, env); // warm the caches once
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [...names].reverse() : names;
      for (const n of order) {
        const [ms, cpu] = await timeInitialize(modes[n]!, env);
        times[n]!.push(ms);
        cpus[n]!.push(cpu);
      }
    }
    const added = (n: string) => median(times[n]!.map((t, i) => t - times.direct![i]!));
    const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q)]!;
    const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ").slice(0, 3).join(" ");
    print(
      `spawn → initialize answered, ${rounds} rounds (median), ${navigator.hardwareConcurrency} CPUs, load average ${load}, Deno ${Deno.version.deno}\n`,
    );
    print(
      "| mode | spawn → initialize | added vs direct (paired median) | added vs floor | own CPU until answered, median [p10, p90] |",
    );
    print("| --- | --- | --- | --- | --- |");
    for (const n of names) {
      const a = added(n);
      const c = cpus[n]!;
      print(
        `| ${n} | ${median(times[n]!).toFixed(1)} ms | ${n === "direct" ? "—" : `+${a.toFixed(1)} ms`} | ${
          n === "direct" || n === "floor" ? "—" : `+${(a - added("floor")).toFixed(1)} ms`
        } | ${median(c)} ms [${p(c, 0.1)}, ${p(c, 0.9)}] |`,
      );
    }

    // Breakdown.
    const timer = join(dir, "import_timer.ts");
    await Deno.writeTextFile(timer, IMPORT_TIMER);
    const runs: Record<string, number>[] = [];
    for (let i = 0; i < 5; i++) {
      const out = await new Deno.Command(DENO, {
        args: ["run", "-A", "--no-prompt", "--config", join(ROOT, "deno.json"), timer],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
      runs.push(JSON.parse(new TextDecoder().decode(out.stdout)));
    }
    print(
      "\nWhat each part of a proxy start's module graph adds when imported (in load order, median of 5; the last two load after the answer or not at all):\n",
    );
    print("| part | import adds |");
    print("| --- | --- |");
    for (const p of [...PARTS, "total"]) {
      print(`| \`${p}\` | ${median(runs.map((r) => r[p]!)).toFixed(1)} ms |`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
