/**
 * OS sandbox benchmark (issue 15), every figure beside its baseline in the same run, rounds alternating:
 * 1. start-up to the `initialize` answer: the server's own command spawned directly vs the OS-sandbox
 *    launch (profile + runtime needs + egress proxy + bwrap), for a Python and a Node server;
 * 2. per-call latency through the real `agentperms proxy`: `--no-contain` vs contained (the same proxy, the
 *    server in bubblewrap), sequential `tools/call` echo round trips.
 *
 * Run: `deno run -A bench/os_sandbox_bench.ts [--runs 30] [--calls 300] [--json]`
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compilePolicy, parsePolicy } from "../src/policy/mod.ts";
import { checkOsSandbox, runtimeNeeds, startOsContainment } from "../src/sandbox/mod.ts";

const args = Deno.args;
const argOf = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RUNS = argOf("--runs", 30);
const CALLS = argOf("--calls", 300);
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PY = join(ROOT, "tests/fixtures/servers/py_server.py");
const enc = new TextEncoder();
const dec = new TextDecoder();
const LOAD = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");

const support = checkOsSandbox(Deno.env.toObject());
if (!support.ok) throw new Error(`the OS sandbox cannot run here: ${support.reason}`);
const work = await Deno.realPath(await Deno.makeTempDir({ prefix: "ap-os-bench-" }));
const home = join(work, "home");
await Deno.mkdir(home);
const env = { ...Deno.env.toObject(), HOME: home, npm_config_cache: join(Deno.env.get("HOME")!, ".npm") };
const policy = compilePolicy(
  parsePolicy(`version: 1\nservers:\n  s:\n    allowed_paths: [${work}]\n`, { file: "b.yaml" }).policy,
  { baseDir: work, home },
);
// A Node server: server-filesystem from npx's cache (warmed once here, outside the timed rounds).
const FS_SPEC = "@modelcontextprotocol/server-filesystem@2026.8.31";
await new Deno.Command("npx", {
  args: ["-y", "--package", FS_SPEC, "-c", "true"],
  env: { ...env },
  stdout: "null",
  stderr: "null",
}).output();
const npxBin = runtimeNeeds(["npx", "-y", FS_SPEC], { cwd: work, home, env }).argv[0]!;
const SERVERS: Record<string, string[]> = {
  python: ["python3", PY],
  // The node form (`node …/dist/index.js`): the same JS the npx form runs, without npx's own start.
  node: ["node", npxBin, work],
  // The npx form: direct pays npx's resolution (~0.7 s); the sandbox runs the cached package's bin.
  npx: ["npx", "-y", FS_SPEC, work],
};

const INIT = JSON.stringify({
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
}) + "\n";

/** Spawns, sends initialize, returns ms until the answer's line arrives, then kills the process. */
async function timeToInit(cmd: string, argv: string[], e: Record<string, string>, cwd: string) {
  const t0 = performance.now();
  const child = new Deno.Command(cmd, {
    args: argv,
    env: e,
    clearEnv: true,
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(enc.encode(INIT));
  const r = child.stdout.getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const { value, done } = await r.read();
    if (done) throw new Error(`${cmd} exited before answering`);
    buf += dec.decode(value);
  }
  const ms = performance.now() - t0;
  await w.close().catch(() => {});
  r.releaseLock();
  await child.stdout.cancel();
  try {
    child.kill("SIGKILL");
  } catch { /* gone */ }
  await child.status;
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
};

const startup: Record<
  string,
  { direct: number[]; contained: number[]; paired: number[]; prepare: number[] }
> = {};
for (const [name, argv] of Object.entries(SERVERS)) {
  const r = {
    direct: [] as number[],
    contained: [] as number[],
    paired: [] as number[],
    prepare: [] as number[],
  };
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? ["direct", "contained"] : ["contained", "direct"];
    let d = 0, c = 0;
    for (const kind of order) {
      if (kind === "direct") {
        // The baseline runs the server as the client would (npx resolves and starts node itself).
        d = await timeToInit(argv[0]!, argv.slice(1), env, work);
      } else {
        const runDir = await Deno.makeTempDir({ prefix: "ap-os-run-" });
        const t0 = performance.now();
        const os = await startOsContainment({
          policy,
          server: "s",
          argv,
          mode: "enforce",
          home,
          cwd: work,
          env,
          serverEnv: [],
          support,
          runDir,
          onEvent: () => {},
          note: () => {},
        });
        if ("uncontainable" in os) throw new Error(os.uncontainable);
        const prep = performance.now() - t0;
        // --info-fd 3 needs the proxy's extra pipe: the bench spawns without it.
        const a = os.plan.args.filter((x, j, all) => x !== "--info-fd" && all[j - 1] !== "--info-fd");
        c = prep + await timeToInit(os.plan.command, a, os.plan.env, os.plan.cwd);
        r.prepare.push(prep);
        await os.close();
        await Deno.remove(runDir, { recursive: true });
      }
    }
    r.direct.push(d);
    r.contained.push(c);
    r.paired.push(c - d);
  }
  startup[name] = r;
}

/** Sequential echo calls through `agentperms proxy`; returns per-call round-trip ms. */
async function proxyCalls(contain: boolean): Promise<number[]> {
  const pol = join(work, "p.yaml");
  await Deno.writeTextFile(pol, `version: 1\nservers:\n  s:\n    allowed_paths: [${work}]\n`);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      join(ROOT, "deno.json"),
      join(ROOT, "cli.ts"),
      "proxy",
      "--mode",
      "enforce",
      "--server",
      "s",
      "--policy",
      pol,
      "--trace-dir",
      join(work, "traces"),
      "--no-tty",
      ...(contain ? [] : ["--no-contain"]),
      "--",
      "python3",
      PY,
    ],
    env,
    clearEnv: true,
    cwd: work,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  const r = child.stdout.getReader();
  let buf = "";
  const next = async () => {
    while (!buf.includes("\n")) {
      const { value, done } = await r.read();
      if (done) throw new Error("proxy closed");
      buf += dec.decode(value);
    }
    const i = buf.indexOf("\n");
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    return line;
  };
  await w.write(enc.encode(INIT));
  await next();
  const times: number[] = [];
  for (let i = 1; i <= CALLS; i++) {
    const msg = JSON.stringify({
      jsonrpc: "2.0",
      id: i,
      method: "tools/call",
      params: { name: "echo", arguments: { text: `hello ${i}` } },
    }) + "\n";
    const t = performance.now();
    await w.write(enc.encode(msg));
    await next();
    times.push(performance.now() - t);
  }
  await w.close();
  await child.status;
  return times.slice(20); // warm-up
}

const calls: Record<string, number[]> = { uncontained: [], contained: [] };
for (let round = 0; round < 3; round++) {
  for (const kind of round % 2 === 0 ? ["uncontained", "contained"] : ["contained", "uncontained"]) {
    calls[kind]!.push(...await proxyCalls(kind === "contained"));
  }
}

await Deno.remove(work, { recursive: true });
const out = {
  date: new Date().toISOString(),
  load: LOAD,
  runs: RUNS,
  startup: Object.fromEntries(
    Object.entries(startup).map(([k, v]) => [k, {
      directMedian: median(v.direct),
      containedMedian: median(v.contained),
      addedPairedMedian: median(v.paired),
      addedP10: pct(v.paired, 0.1),
      addedP90: pct(v.paired, 0.9),
      prepareMedian: median(v.prepare),
    }]),
  ),
  perCall: {
    uncontainedMedian: median(calls.uncontained!),
    containedMedian: median(calls.contained!),
    uncontainedP99: pct(calls.uncontained!, 0.99),
    containedP99: pct(calls.contained!, 0.99),
  },
};
const print = (s: string) => Deno.stdout.writeSync(enc.encode(s + "\n"));
if (args.includes("--json")) print(JSON.stringify(out, null, 2));
else {
  print(`load ${LOAD}, ${RUNS} rounds`);
  for (const [k, v] of Object.entries(out.startup)) {
    print(
      `start-up ${k}: direct ${v.directMedian.toFixed(1)} ms, contained ${
        v.containedMedian.toFixed(1)
      } ms, ` +
        `added (paired) ${v.addedPairedMedian.toFixed(1)} ms [p10 ${v.addedP10.toFixed(1)}, p90 ${
          v.addedP90.toFixed(1)
        }], of which preparing ${v.prepareMedian.toFixed(1)} ms`,
    );
  }
  const p = out.perCall;
  print(
    `per call (python echo through the proxy): uncontained ${p.uncontainedMedian.toFixed(3)} ms (p99 ${
      p.uncontainedP99.toFixed(2)
    }), contained ${p.containedMedian.toFixed(3)} ms (p99 ${p.containedP99.toFixed(2)})`,
  );
}
