/**
 * Containment benchmark (issue 7): in one run, alternating,
 * 1. start-up of server-filesystem to its `initialize` answer: plain `deno run -A` vs the contained launch
 *    (planLaunch + flags) vs broker mode (planLaunch + startBroker + broker answering every check);
 * 2. per-check cost: a `Deno.statSync` loop in a probe under flags vs under the AgentPerms broker.
 *
 * Run: `deno run -A bench/sandbox_bench.ts [--runs 20] [--stats 2000] [--json]`
 */
import { hostRealpath } from "../src/canonical/mod.ts";
import { compilePolicy, parsePolicy } from "../src/policy/mod.ts";
import { type LaunchPlan, planLaunch, startBroker } from "../src/sandbox/mod.ts";

const args = Deno.args;
const argOf = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const RUNS = argOf("--runs", 20);
const STATS = argOf("--stats", 2000);
const FS = "@modelcontextprotocol/server-filesystem@2026.8.31";
const enc = new TextEncoder();
const dec = new TextDecoder();

const LOAD = (() => {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
})();
const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ap-sbx-bench-" }));
await Deno.mkdir(`${root}/allowed`);
await Deno.writeTextFile(`${root}/allowed/a.txt`, "hello");
const probe = `${root}/stat_probe.ts`;
await Deno.writeTextFile(
  probe,
  `const n = Number(Deno.args[1]);
for (let i = 0; i < 200; i++) Deno.statSync(Deno.args[0]);
const t = performance.now();
for (let i = 0; i < n; i++) Deno.statSync(Deno.args[0]);
Deno.stdout.writeSync(new TextEncoder().encode(String((performance.now() - t) * 1000 / n)));
`,
);
const home = Deno.env.get("HOME") ?? "/";
const policyFor = (mode: string) =>
  compilePolicy(
    parsePolicy(
      `version: 1\nservers:\n  fs:\n    allowed_paths: [${root}/allowed]\n    sandbox: { mode: ${mode} }\n`,
      {
        file: "bench.yaml",
      },
    ).policy,
    { baseDir: root, home, realpath: hostRealpath },
  );
const flagsPolicy = policyFor("flags");
const brokerPolicy = policyFor("broker");
const baseOpts = {
  denoPath: Deno.execPath(),
  home,
  cwd: root,
  env: Deno.env.toObject(),
  mode: "enforce" as const,
  realpath: hostRealpath,
  brokerSocket: `${root}/b.sock`,
};

const INIT = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } },
}) + "\n";

/** The permission broker for a broker-mode plan of the "fs" server. */
function startFsBroker(plan: LaunchPlan, policy: Parameters<typeof startBroker>[0]["policy"]) {
  return startBroker({
    socketPath: plan.brokerSocket!,
    policy,
    server: "fs",
    home,
    cwd: root,
    grants: plan.grants,
    onCheck: () => {},
  });
}

/** Spawns, sends initialize, waits for the answer line; returns ms from just before planning to the answer. */
async function startup(kind: "plain" | "flags" | "broker"): Promise<number> {
  const t0 = performance.now();
  let plan: LaunchPlan;
  let broker: { close(): Promise<void> } | undefined;
  if (kind === "plain") {
    plan = {
      command: Deno.execPath(),
      args: ["run", "--no-config", "--no-prompt", "-A", `npm:${FS}`, `${root}/allowed`],
      env: {
        RUST_BACKTRACE: "0",
        ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      },
      clearEnv: false,
      cwd: root,
      contained: false,
      mode: "off",
      notes: [],
      flags: [],
      entry: { kind: "npm", launcher: "deno", keptFlags: [], droppedFlags: [], serverArgs: [] },
    };
  } else {
    const policy = kind === "flags" ? flagsPolicy : brokerPolicy;
    plan = planLaunch(policy, "fs", ["npx", "-y", FS, `${root}/allowed`], baseOpts);
    if (kind === "broker") {
      broker = await startFsBroker(plan, policy);
    }
  }
  const child = new Deno.Command(plan.command, {
    args: plan.args,
    env: plan.env,
    clearEnv: plan.clearEnv,
    cwd: plan.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(enc.encode(INIT));
  const reader = child.stdout.getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const r = await reader.read();
    if (r.done) throw new Error(`${kind}: server exited before answering`);
    buf += dec.decode(r.value);
  }
  const ms = performance.now() - t0;
  if (!buf.includes('"result"')) throw new Error(`${kind}: unexpected answer ${buf}`);
  reader.releaseLock();
  await w.close().catch(() => {});
  child.kill("SIGTERM");
  await child.status;
  await child.stdout.cancel().catch(() => {});
  await broker?.close();
  return ms;
}

/** Spawn → exit of the probe doing one stat: the same comparison with far less noise than a whole server. */
async function tinyStartup(kind: "plain" | "flags" | "broker"): Promise<number> {
  const t0 = performance.now();
  let command = Deno.execPath();
  let cmdArgs = ["run", "--no-config", "--no-prompt", "-A", probe, `${root}/allowed/a.txt`, "1"];
  let env: Record<string, string> = { RUST_BACKTRACE: "0" };
  let clearEnv = false;
  let broker: { close(): Promise<void> } | undefined;
  if (kind !== "plain") {
    const policy = kind === "broker" ? brokerPolicy : flagsPolicy;
    const plan = planLaunch(policy, "fs", ["deno", "run", probe, `${root}/allowed/a.txt`, "1"], baseOpts);
    command = plan.command;
    cmdArgs = plan.args;
    env = plan.env;
    clearEnv = plan.clearEnv;
    if (kind === "broker") {
      broker = await startFsBroker(plan, policy);
    }
  }
  const o = await new Deno.Command(command, {
    args: cmdArgs,
    env,
    clearEnv,
    cwd: root,
    stdout: "null",
    stderr: "null",
  })
    .output();
  const ms = performance.now() - t0;
  await broker?.close();
  if (o.code !== 0) throw new Error(`${kind}: probe exited ${o.code}`);
  return ms;
}

/** Runs the stat probe; returns µs per stat as the probe measured it. */
async function statCost(kind: "flags" | "broker" | "plain"): Promise<number> {
  const policy = kind === "broker" ? brokerPolicy : flagsPolicy;
  const plan = planLaunch(
    policy,
    "fs",
    ["deno", "run", probe, `${root}/allowed/a.txt`, String(STATS)],
    baseOpts,
  );
  const command = kind === "plain" ? Deno.execPath() : plan.command;
  const cmdArgs = kind === "plain"
    ? ["run", "--no-config", "--no-prompt", "-A", probe, `${root}/allowed/a.txt`, String(STATS)]
    : plan.args;
  let broker: { close(): Promise<void> } | undefined;
  if (kind === "broker") {
    broker = await startFsBroker(plan, policy);
  }
  try {
    const o = await new Deno.Command(command, { args: cmdArgs, env: plan.env, clearEnv: true, cwd: root })
      .output();
    const v = Number(dec.decode(o.stdout));
    if (!Number.isFinite(v)) throw new Error(`${kind}: probe failed: ${dec.decode(o.stderr)}`);
    return v;
  } finally {
    await broker?.close();
  }
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]!;
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), min: s[0]!, n: s.length };
}

// Planning alone (pure): how long planLaunch takes.
const tp = performance.now();
for (let i = 0; i < 1000; i++) planLaunch(flagsPolicy, "fs", ["npx", "-y", FS, `${root}/allowed`], baseOpts);
const planUs = (performance.now() - tp) * 1000 / 1000;

// Broker set-up alone: listen on the socket and close it again.
const tb = performance.now();
for (let i = 0; i < 50; i++) {
  const b = await startBroker({
    socketPath: `${root}/setup.sock`,
    policy: brokerPolicy,
    server: "fs",
    home,
    cwd: root,
    onCheck: () => {},
  });
  await b.close();
}
const brokerSetupMs = (performance.now() - tb) / 50;

for (const k of ["plain", "flags", "broker"] as const) await startup(k); // warm caches
const times: Record<"plain" | "flags" | "broker", number[]> = { plain: [], flags: [], broker: [] };
for (let i = 0; i < RUNS; i++) {
  // Alternate the order each round so drift on a busy machine hits every kind alike.
  const order = i % 2 === 0
    ? (["plain", "flags", "broker"] as const)
    : (["broker", "flags", "plain"] as const);
  for (const k of order) times[k].push(await startup(k));
}
const tiny: Record<"plain" | "flags" | "broker", number[]> = { plain: [], flags: [], broker: [] };
for (const k of ["plain", "flags", "broker"] as const) await tinyStartup(k);
for (let i = 0; i < RUNS * 2; i++) {
  const order = i % 2 === 0
    ? (["plain", "flags", "broker"] as const)
    : (["broker", "flags", "plain"] as const);
  for (const k of order) tiny[k].push(await tinyStartup(k));
}
const per: Record<"plain" | "flags" | "broker", number[]> = { plain: [], flags: [], broker: [] };
for (let i = 0; i < 5; i++) {
  for (const k of ["plain", "flags", "broker"] as const) per[k].push(await statCost(k));
}
await Deno.remove(root, { recursive: true });

const st = { plain: stats(times.plain), flags: stats(times.flags), broker: stats(times.broker) };
// Paired per round (same moment, same machine load): the robust estimate of the extra start-up.
const paired = {
  flags: stats(times.flags.map((v, i) => v - times.plain[i]!)),
  broker: stats(times.broker.map((v, i) => v - times.plain[i]!)),
};
const ps = { plain: stats(per.plain), flags: stats(per.flags), broker: stats(per.broker) };
const tinySt = { plain: stats(tiny.plain), flags: stats(tiny.flags), broker: stats(tiny.broker) };
const tinyPaired = {
  flags: stats(tiny.flags.map((v, i) => v - tiny.plain[i]!)),
  broker: stats(tiny.broker.map((v, i) => v - tiny.plain[i]!)),
};
const result = {
  machine:
    `${Deno.build.os} ${Deno.build.arch}, ${navigator.hardwareConcurrency} cores, deno ${Deno.version.deno}`,
  runs: RUNS,
  statsPerProbe: STATS,
  planLaunchUs: planUs,
  brokerSetupMs,
  startupMs: st,
  extraStartupMs: { flags: paired.flags, broker: paired.broker },
  tinyStartupMs: tinySt,
  tinyExtraStartupMs: tinyPaired,
  statUsPerOp: ps,
  brokerUsPerCheck: ps.broker.median - ps.flags.median,
};
if (args.includes("--json")) {
  Deno.stdout.writeSync(enc.encode(JSON.stringify(result, null, 2) + "\n"));
} else {
  const f = (n: number) => n.toFixed(1);
  const lines = [
    `load average at start: ${LOAD}`,
    `machine: ${result.machine}; ${RUNS} alternating runs per kind; ${STATS} stats per probe run, 5 runs`,
    `planLaunch(): ${f(planUs)} µs per plan; startBroker() + close(): ${brokerSetupMs.toFixed(2)} ms`,
    "",
    "| launch of server-filesystem → initialize answer | median ms | p10 | p90 | extra vs plain, paired per round: median [p10, p90] |",
    "| --- | --- | --- | --- | --- |",
    `| plain \`deno run -A\` | ${f(st.plain.median)} | ${f(st.plain.p10)} | ${f(st.plain.p90)} | — |`,
    `| contained, flags (planLaunch + flags) | ${f(st.flags.median)} | ${f(st.flags.p10)} | ${
      f(st.flags.p90)
    } | ${f(paired.flags.median)} [${f(paired.flags.p10)}, ${f(paired.flags.p90)}] |`,
    `| contained, broker (planLaunch + startBroker) | ${f(st.broker.median)} | ${f(st.broker.p10)} | ${
      f(st.broker.p90)
    } | ${f(paired.broker.median)} [${f(paired.broker.p10)}, ${f(paired.broker.p90)}] |`,
    "",
    `| one-stat probe script, spawn → exit (${
      RUNS * 2
    } rounds) | median ms | p10 | p90 | extra vs plain, paired: median [p10, p90] |`,
    "| --- | --- | --- | --- | --- |",
    `| plain \`deno run -A\` | ${f(tinySt.plain.median)} | ${f(tinySt.plain.p10)} | ${
      f(tinySt.plain.p90)
    } | — |`,
    ...(["flags", "broker"] as const).map((k) =>
      `| contained, ${k} | ${f(tinySt[k].median)} | ${f(tinySt[k].p10)} | ${f(tinySt[k].p90)} | ${
        f(tinyPaired[k].median)
      } [${f(tinyPaired[k].p10)}, ${f(tinyPaired[k].p90)}] |`
    ),
    "",
    "| Deno.statSync loop | µs/op median | min | max of 5 |",
    "| --- | --- | --- | --- |",
    ...(["plain", "flags", "broker"] as const).map((k) =>
      `| ${k} | ${f(ps[k].median)} | ${f(ps[k].min)} | ${f(Math.max(...per[k]))} |`
    ),
    "",
    `broker cost per check (broker − flags, medians): ${f(result.brokerUsPerCheck)} µs`,
  ];
  Deno.stdout.writeSync(enc.encode(lines.join("\n") + "\n"));
}
