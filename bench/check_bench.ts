/**
 * `agentperms check --calls` at scale (issue 20; targets on the 2-core machine: 100,000 calls ≤ 2 s, 1,000,000
 * ≤ 15 s), beside the baseline measured in the same run: reading the same file and `JSON.parse`-ing each line.
 *
 *   deno run -A bench/check_bench.ts [--sizes 100000,1000000] [--runs 3]
 *
 * Each size is measured on two files: "repeating" cycles four calls (a trace of an agent at work repeats
 * itself), "distinct" makes every call different (new missing paths in a thousand folders, new arguments), so
 * nothing is judged twice. `check` runs as the real CLI in a child process (start-up included), stdout to
 * /dev/null, once with the default (a pool of workers for a file of 4 MiB or more) and once with `--jobs 1`.
 * Medians of `--runs`; prints a markdown table.
 *
 * Under `deno bench` (`deno task bench`) it registers the 100,000-call run only.
 */

const ROOT = new URL("../", import.meta.url).pathname;
const POLICY = `${ROOT}examples/policies/example.mcp.policy.yaml`;

const REPEATING = [
  { server: "filesystem", tool: "read_file", arguments: { path: "./src/app.ts" } },
  { server: "filesystem", tool: "read_file", arguments: { path: "~/.ssh/id_rsa" } },
  { server: "github", tool: "list_repos", arguments: {} },
  {
    server: "filesystem",
    tool: "read_multiple_files",
    arguments: { paths: ["./src/a", "./docs/b", "/etc/x"] },
  },
];

function distinct(i: number): unknown {
  switch (i % 4) {
    case 0:
      return { server: "filesystem", tool: "read_file", arguments: { path: `./src/m${i % 1000}/f${i}.ts` } };
    case 1:
      return { server: "filesystem", tool: "read_file", arguments: { path: `~/.ssh/id_${i}` } };
    case 2:
      return { server: "github", tool: "list_repos", arguments: { org: `org${i}` } };
    default:
      return {
        server: "filesystem",
        tool: "read_multiple_files",
        arguments: { paths: [`./src/a${i}`, `./docs/b${i}`, `/etc/x${i}`] },
      };
  }
}

async function writeCalls(file: string, n: number, kind: "repeating" | "distinct"): Promise<number> {
  const f = await Deno.open(file, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  let bytes = 0;
  for (let start = 0; start < n; start += 10_000) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(n, start + 10_000); i++) {
      const call = kind === "repeating" ? REPEATING[i % REPEATING.length] : distinct(i);
      lines.push(JSON.stringify({ id: i, ...call as object }));
    }
    const chunk = enc.encode(lines.join("\n") + "\n");
    bytes += chunk.length;
    await f.write(chunk);
  }
  f.close();
  return bytes;
}

/** The baseline: stream the file, split lines, JSON.parse each (what any reader of the file must do). */
async function readAndParse(file: string): Promise<number> {
  const t0 = performance.now();
  const f = await Deno.open(file);
  const dec = new TextDecoder();
  let rest = "";
  let n = 0;
  for await (const chunk of f.readable) {
    const parts = (rest + dec.decode(chunk, { stream: true })).split("\n");
    rest = parts.pop() ?? "";
    for (const p of parts) {
      if (p) {
        JSON.parse(p);
        n++;
      }
    }
  }
  if (rest) JSON.parse(rest);
  if (n === 0) throw new Error("nothing parsed");
  return performance.now() - t0;
}

/** CPU seconds (user + system) of this process's waited-for children so far (Linux), or NaN. */
function childrenCpu(): number {
  try {
    const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ");
    return (Number(f[13]) + Number(f[14])) / 100; // cutime, cstime (fields 16 and 17), in 1/100 s
  } catch {
    return NaN;
  }
}

/** Runs the CLI; returns wall ms and the child's CPU seconds (a busy shared machine stretches only the wall). */
async function runCheck(file: string, jobs?: number): Promise<{ ms: number; cpu: number }> {
  const args = ["run", "-A", `${ROOT}cli.ts`, "check", "-p", POLICY, "--calls", file, "--format", "jsonl"];
  if (jobs) args.push("--jobs", String(jobs));
  const c0 = childrenCpu();
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "null", stderr: "piped" }).output();
  const ms = performance.now() - t0;
  if (out.code !== 1) throw new Error(`check exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  return { ms, cpu: childrenCpu() - c0 };
}

const ENC = new TextEncoder();
function print(text: string): void {
  Deno.stdout.writeSync(ENC.encode(text + "\n"));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function flag(name: string, fallback: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 && Deno.args[i + 1] ? Deno.args[i + 1]! : fallback;
}

if (import.meta.main) {
  const sizes = flag("--sizes", "100000,1000000").split(",").map(Number);
  const runs = Number(flag("--runs", "3"));
  const dir = await Deno.makeTempDir({ prefix: "agentperms-check-bench-" });
  try {
    const rows: string[] = [];
    for (const n of sizes) {
      for (const kind of ["repeating", "distinct"] as const) {
        const file = `${dir}/${kind}-${n}.jsonl`;
        const bytes = await writeCalls(file, n, kind);
        const base: number[] = [];
        const pooled: { ms: number; cpu: number }[] = [];
        const one: { ms: number; cpu: number }[] = [];
        // Alternate the three so the machine's drift hits each alike.
        for (let r = 0; r < runs; r++) {
          base.push(await readAndParse(file));
          pooled.push(await runCheck(file));
          one.push(await runCheck(file, 1));
        }
        const b = median(base);
        const p = median(pooled.map((x) => x.ms));
        const o = median(one.map((x) => x.ms));
        const pc = median(pooled.map((x) => x.cpu));
        const oc = median(one.map((x) => x.cpu));
        rows.push(
          `| ${n.toLocaleString("en")} | ${kind} | ${(bytes / 1e6).toFixed(0)} MB | ${b.toFixed(0)} ms | ${
            (p / 1000).toFixed(2)
          } s (${pc.toFixed(1)} s CPU) | ${(p / b).toFixed(0)}× | ${(o / 1000).toFixed(2)} s (${
            oc.toFixed(1)
          } s CPU) | ${(o / b).toFixed(0)}× |`,
        );
        await Deno.remove(file);
      }
    }
    const cpus = navigator.hardwareConcurrency;
    const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ").slice(0, 3).join(" ");
    print(
      `check --calls, ${runs} runs each (median), ${cpus} CPUs, load average at the end ${load}, Deno ${Deno.version.deno}\n`,
    );
    print(
      "| calls | file | size | read + JSON.parse | check, default (pool ≥ 4 MiB): wall (CPU) | ratio | check --jobs 1: wall (CPU) | ratio |",
    );
    print("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const r of rows) print(r);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
} else {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-check-bench-" });
  const file = `${dir}/calls.jsonl`;
  await writeCalls(file, 100_000, "distinct");
  Deno.bench(
    "baseline: read + JSON.parse 100k lines",
    { group: "check", baseline: true, n: 3, warmup: 1 },
    async () => {
      await readAndParse(file);
    },
  );
  Deno.bench("agentperms check --calls (100k distinct calls, jsonl out, CLI process)", {
    group: "check",
    n: 3,
    warmup: 1,
  }, async () => {
    await runCheck(file);
  });
}
