/**
 * `deno run -A bench/policy_scale_bench.ts`: what a policy's size costs, measured in one run (issue #20).
 *
 * - `decide()` per call with 1, 10, 100, 1,000 and 10,000 entries of one kind (allowed paths, denied patterns,
 *   allowed hosts, allowed + denied tools) and of all four at once; the call is allowed, so every rule kind is
 *   consulted (the worst case for a scan). Ratios against the 10-entry figure of the same run.
 * - The proxy's added latency (p50 of sequential `read_file` calls through `agentperms proxy` in enforce mode
 *   in front of the Python fixture server, minus the same calls made directly), per size, all four kinds.
 * - Load time of a policy file with 1,000 and 10,000 entries of each kind (loadPolicy: read, parse, lint,
 *   compile with the host realpath), without and with the policy cache, and the parse + lint share of it.
 * - Whether a 10,000-entry policy starts a server contained in OS mode (runs `src/sandbox/os_containment_test.ts`).
 *
 * Prints a Markdown table; writes `docs/policy_scale.svg` (per-call cost against entries, log scale).
 * Options: `--quick` (fewer rounds, no proxy), `--no-proxy`, `--no-start`.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { canonicalizeCall } from "../src/canonical/mod.ts";
import { decide } from "../src/decision/mod.ts";
import { compilePolicy, loadPolicy, openPolicyCache, parsePolicy, type PolicyV1 } from "../src/policy/mod.ts";
import { selfCommand } from "../src/clients/mod.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const QUICK = Deno.args.includes("--quick");
const PROXY = !QUICK && !Deno.args.includes("--no-proxy");
const START = !Deno.args.includes("--no-start");
const SIZES = [1, 10, 100, 1_000, 10_000];
const KINDS = ["paths", "patterns", "hosts", "tools", "all"] as const;
type Kind = typeof KINDS[number];
const O = { cwd: "/w", home: "/home/u" };

/** Entry numbers are zero-padded, so the judged call has the same length at every size. */
const pad = (i: number) => String(i).padStart(5, "0");

/** The server rules with `n` entries of a kind (`all`: of every kind). */
function rules(kind: Kind, n: number): NonNullable<PolicyV1["servers"]>[string] {
  const s: NonNullable<NonNullable<PolicyV1["servers"]>[string]> = { allowed_tools: ["read_file"] };
  const on = (k: Kind) => kind === k || kind === "all";
  if (on("paths")) {
    s.allowed_paths = Array.from({ length: n }, (_, i) => `/w/repos/r${pad(i % 100)}/p${pad(i)}`);
  }
  if (on("patterns")) {
    s.denied_patterns = Array.from(
      { length: n },
      (_, i) => [`*.ext${i}`, `secret${i}*`, `*tok${i}*`, `name${i}.key`, `.cfg${i}/*.pem`][i % 5]!,
    );
  }
  if (on("hosts")) {
    s.allowed_hosts = Array.from(
      { length: n },
      (_, i) => i % 2 ? `*.d${pad(i)}.example.org` : `h${pad(i)}.example.com`,
    );
  }
  if (on("tools")) {
    s.allowed_tools = ["read_file", ...Array.from({ length: n }, (_, i) => `tool_${i}`)];
    s.denied_tools = Array.from({ length: n }, (_, i) => `bad_${i}`);
  }
  return s;
}

/** The allowed call judged: a path inside the middle entry, a URL on the middle host. */
function callFor(kind: Kind, n: number) {
  const mid = Math.floor(n / 2);
  const path = kind === "paths" || kind === "all"
    ? `/w/repos/r${pad(mid % 100)}/p${pad(mid)}/src/app.ts`
    : "/w/src/app.ts";
  const hostI = mid % 2 ? mid : Math.max(1, mid - 1);
  const url = `https://api.d${pad(hostI)}.example.org/v1`;
  const args: Record<string, unknown> = { path };
  if (kind === "hosts" || kind === "all") args.url = n === 1 ? `https://h${pad(0)}.example.com/v1` : url;
  return canonicalizeCall({ server: "fs", tool: "read_file", arguments: args }, O);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * ns per decide() call for every kind and size: batches interleaved (each round visits every size of every
 * kind, in a rotating order) so a shared machine's drift hits all sizes alike; the median batch per size.
 */
function timeDecideAll(): Map<Kind, number[]> {
  const cases = KINDS.flatMap((kind) =>
    SIZES.map((n) => {
      const policy = compilePolicy({ version: 1, servers: { fs: rules(kind, n) } }, {
        baseDir: "/w",
        home: "/home/u",
      });
      const call = callFor(kind, n);
      const verdict = decide(policy, call).verdict;
      if (verdict !== "allow") {
        throw new Error(`${kind} at ${n}: the benchmark call is not allowed (${verdict})`);
      }
      return { kind, n, policy, call, batches: [] as number[] };
    })
  );
  const iters = QUICK ? 3_000 : 10_000;
  for (const c of cases) for (let i = 0; i < iters; i++) decide(c.policy, c.call); // warm-up
  const rounds = QUICK ? 5 : 15;
  // One kind at a time (a proxy holds one policy), its sizes interleaved in a rotating order.
  for (const kind of KINDS) {
    const mine = cases.filter((c) => c.kind === kind);
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < mine.length; k++) {
        const c = mine[(k + r) % mine.length]!;
        const t0 = performance.now();
        for (let i = 0; i < iters; i++) decide(c.policy, c.call);
        c.batches.push(((performance.now() - t0) * 1e6) / iters);
      }
    }
  }
  const out = new Map<Kind, number[]>();
  for (const kind of KINDS) out.set(kind, cases.filter((c) => c.kind === kind).map((c) => median(c.batches)));
  return out;
}

/** The policy as users write it: YAML, one entry a line. */
function policyYaml(kind: Kind, n: number): string {
  const r = rules(kind, n) as Record<string, string[]>;
  return "version: 1\nservers:\n  fs:\n" +
    Object.entries(r).map(([k, v]) => `    ${k}:\n${v.map((x) => `      - ${JSON.stringify(x)}\n`).join("")}`)
      .join("");
}

/**
 * ms to load a policy file (`loadPolicy`: read, parse, validate, lint, compile with the host's realpath), without
 * a cache and with a cache hit, and ms of parse + lint alone.
 */
async function timeLoad(n: number): Promise<{ cold: number; hit: number; parseLint: number }> {
  const text = policyYaml("all", n);
  const tmp = await Deno.makeTempDir({ prefix: "ap-scale-load-" });
  try {
    const file = join(tmp, "p.yaml");
    await Deno.writeTextFile(file, text);
    const cache = openPolicyCache(join(tmp, "cache"), "bench");
    await loadPolicy(file, { cwd: tmp, home: tmp, cache }); // fills the cache
    const cold: number[] = [], hit: number[] = [], parseLint: number[] = [];
    for (let i = 0; i < (QUICK ? 2 : 5); i++) {
      let t0 = performance.now();
      await loadPolicy(file, { cwd: tmp, home: tmp });
      cold.push(performance.now() - t0);
      t0 = performance.now();
      await loadPolicy(file, { cwd: tmp, home: tmp, cache });
      hit.push(performance.now() - t0);
      t0 = performance.now();
      parsePolicy(text, { file: "p.yaml" });
      parseLint.push(performance.now() - t0);
    }
    return { cold: median(cold), hit: median(hit), parseLint: median(parseLint) };
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** A line-delimited JSON-RPC client over a child's stdio. */
async function p50Calls(argv: string[], env: Record<string, string>, file: string): Promise<number> {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const next = async (): Promise<string> => {
    for (;;) {
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("the server closed its output");
      buf += dec.decode(value, { stream: true });
    }
  };
  const enc = new TextEncoder();
  const send = (m: object) => w.write(enc.encode(`${JSON.stringify(m)}\n`));
  await send({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bench", version: "0" } },
  });
  await next();
  await send({ jsonrpc: "2.0", method: "notifications/initialized" });
  const times: number[] = [];
  const calls = 600;
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await send({
      jsonrpc: "2.0",
      id: i + 1,
      method: "tools/call",
      params: { name: "read_file", arguments: { path: file } },
    });
    const line = await next();
    if (i === 0 && !line.includes("hello")) throw new Error(`unexpected answer: ${line.slice(0, 300)}`);
    if (i >= 100) times.push(performance.now() - t0);
  }
  await w.close().catch(() => {});
  await child.status;
  return median(times);
}

/** Added p50 latency of the proxy per size (all four kinds), against direct calls measured in the same run. */
async function proxyAdded(): Promise<Map<number, { direct: number; proxy: number }>> {
  const out = new Map<number, { direct: number; proxy: number }>();
  const work = await Deno.realPath(await Deno.makeTempDir({ prefix: "ap-scale-bench-" }));
  try {
    const server = ["python3", join(ROOT, "tests/fixtures/servers/py_server.py")];
    // Deno finds its module cache from HOME: keep the real one, or the proxy downloads its dependencies again.
    const denoDir = Deno.env.get("DENO_DIR") ??
      `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache`}/deno`;
    const env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: work,
      NO_COLOR: "1",
      DENO_DIR: denoDir,
    };
    const argvOf = new Map<number, { proxied: string[]; file: string }>();
    for (const n of SIZES) {
      const mid = Math.floor(n / 2);
      const dir = `${work}/repos/r${pad(mid % 100)}/p${pad(mid)}`;
      await Deno.mkdir(dir, { recursive: true });
      const file = `${dir}/hello.txt`;
      await Deno.writeTextFile(file, "hello");
      const r = rules("all", n)!;
      r.allowed_paths = (r.allowed_paths ?? []).map((p) => p.replace(/^\/w\//, `${work}/`));
      r.sandbox = { mode: "off" };
      const policy = `${work}/p${n}.json`;
      await Deno.writeTextFile(policy, JSON.stringify({ version: 1, servers: { fs: r } }));
      argvOf.set(n, {
        file,
        proxied: [
          ...selfCommand(),
          "proxy",
          "--mode",
          "enforce",
          "--server",
          "fs",
          "--policy",
          policy,
          "--trace-dir",
          `${work}/traces`,
          "--no-tty",
          "--",
          ...server,
        ],
      });
    }
    // Rounds over every size in a rotating order; per size, the median round (direct measured beside it).
    const rounds: Map<number, Array<{ direct: number; proxy: number }>> = new Map(SIZES.map((n) => [n, []]));
    const ROUNDS = QUICK ? 1 : 3;
    for (let r = 0; r < ROUNDS; r++) {
      for (let k = 0; k < SIZES.length; k++) {
        const n = SIZES[(k + r) % SIZES.length]!;
        const { proxied, file } = argvOf.get(n)!;
        const direct = await p50Calls(server, env, file);
        const proxy = await p50Calls(proxied, env, file);
        rounds.get(n)!.push({ direct, proxy });
        Deno.stderr.writeSync(
          new TextEncoder().encode(
            `proxy ${n}: direct ${direct.toFixed(3)} ms, proxy ${proxy.toFixed(3)} ms\n`,
          ),
        );
      }
    }
    for (const [n, rs] of rounds) {
      const sorted = [...rs].sort((a, b) => (a.proxy - a.direct) - (b.proxy - b.direct));
      out.set(n, sorted[Math.floor(sorted.length / 2)]!);
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return out;
}

function svg(series: Map<Kind, number[]>): string {
  const W = 640, H = 360, L = 70, R = 130, T = 30, B = 50;
  const all = [...series.values()].flat();
  const maxY = Math.max(...all) * 1.15;
  const x = (i: number) => L + (i / (SIZES.length - 1)) * (W - L - R);
  const y = (v: number) => T + (1 - v / maxY) * (H - T - B);
  const colors: Record<Kind, string> = {
    paths: "#1f77b4",
    patterns: "#d62728",
    hosts: "#2ca02c",
    tools: "#9467bd",
    all: "#111111",
  };
  const lines: string[] = [];
  lines.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="18" font-size="14">decide() per call (ns, median) vs policy entries</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>`,
  );
  SIZES.forEach((n, i) => {
    lines.push(`<text x="${x(i)}" y="${H - B + 18}" text-anchor="middle">${n.toLocaleString("en")}</text>`);
  });
  lines.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">entries (log scale)</text>`);
  for (let k = 0; k <= 4; k++) {
    const v = (maxY * k) / 4;
    lines.push(
      `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`,
      `<line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#eee"/>`,
    );
  }
  let legend = T;
  for (const [kind, vals] of series) {
    const pts = vals.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    lines.push(`<polyline fill="none" stroke="${colors[kind]}" stroke-width="2" points="${pts}"/>`);
    lines.push(`<text x="${W - R + 10}" y="${legend + 12}" fill="${colors[kind]}">${kind}</text>`);
    legend += 18;
  }
  lines.push("</svg>");
  return lines.join("\n") + "\n";
}

async function main(): Promise<void> {
  const series = timeDecideAll();
  const rows: string[] = [];
  for (const [kind, vals] of series) {
    const ten = vals[1]!;
    rows.push(
      `| decide(), ${kind} | ${vals.map((v) => `${(v / 1000).toFixed(2)} µs`).join(" | ")} | ${
        vals.map((v) => `${(v / ten).toFixed(2)}×`).slice(2).join(" / ")
      } |`,
    );
  }
  const load = { 1_000: await timeLoad(1_000), 10_000: await timeLoad(10_000) };
  let proxyRow = "";
  if (PROXY) {
    const p = await proxyAdded();
    const added = SIZES.map((n) => p.get(n)!.proxy - p.get(n)!.direct);
    const ten = added[1]!;
    proxyRow = `| proxy added p50 (all kinds) | ${added.map((a) => `+${a.toFixed(3)} ms`).join(" | ")} | ${
      added.map((a) => `${(a / ten).toFixed(2)}×`).slice(2).join(" / ")
    } |`;
  }
  let started = "not run";
  if (START) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--no-prompt", "--no-check", join(ROOT, "src/sandbox/os_containment_test.ts")],
      stdout: "piped",
      stderr: "piped",
    }).output();
    // deno test colours its summary: strip the escapes before reading "N passed".
    // deno-lint-ignore no-control-regex
    const text = new TextDecoder().decode(out.stdout).replace(/\x1b\[[0-9;]*m/g, "");
    started = out.success && /\b1 passed\b/.test(text)
      ? "yes"
      : out.success
      ? "not tested (no bwrap or python3 here)"
      : "NO";
  }
  const lines = [
    `Policy scale (${
      new Date().toISOString().slice(0, 10)
    }, ${Deno.build.os}, ${navigator.hardwareConcurrency} cores; medians; ratios against 10 entries in the same run)`,
    "",
    `| measure | 1 | 10 | 100 | 1,000 | 10,000 | ratio 100 / 1,000 / 10,000 vs 10 |`,
    `|---|---|---|---|---|---|---|`,
    ...rows,
    ...(proxyRow ? [proxyRow] : []),
    "",
    `Load (loadPolicy: YAML file, all four kinds with N entries each, host realpath), without cache / cache hit / of which parse + lint without cache:`,
    ...([1_000, 10_000] as const).map((n) =>
      `- ${n.toLocaleString("en")}: ${load[n].cold.toFixed(0)} ms / ${load[n].hit.toFixed(0)} ms / ${
        load[n].parseLint.toFixed(0)
      } ms`
    ),
    `10,000-entry policy starts contained (OS mode): ${started}`,
  ];
  const out = (t: string) => Deno.stdout.writeSync(new TextEncoder().encode(t));
  out(`${lines.join("\n")}\n`);
  await Deno.writeTextFile(join(ROOT, "docs/policy_scale.svg"), svg(series));
  out("\nwrote docs/policy_scale.svg\n");
}

await main();
