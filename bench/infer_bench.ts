/**
 * Infer at scale: generates a 1,000,000-line trace (v1 call events with paths, plus some of the original's lines,
 * denials and malformed lines) in a temp dir, then runs `agentperms infer` on it in a child process and prints
 * lines/s and the child's peak RSS (VmHWM, Linux).
 *
 *   deno run -A bench/infer_bench.ts [lines] [--report]
 *
 * With `--report`, `agentperms report --traces <the same trace> --format json` runs next (same child wrapper):
 * `infer` and `report` read traces with the same reader (`readTraceLine`: each line parsed once, the fast v1
 * check before the schema), so their lines/s should be alike.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const print = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));

async function generate(file: string, lines: number): Promise<void> {
  const f = await Deno.open(file, { write: true, create: true, truncate: true });
  const w = f.writable.getWriter();
  const enc = new TextEncoder();
  const P = "/home/dev/proj";
  const tools = ["read_text_file", "list_directory", "get_file_info", "search_files", "write_file"];
  let batch: string[] = [];
  for (let i = 0; i < lines; i++) {
    let line: string;
    if (i % 1000 === 999) line = "{not json";
    else if (i % 100 === 7) {
      line = JSON.stringify({
        ts: i,
        server: "legacy",
        tool: "read",
        args: { path: `./docs/d${i % 40}.md` },
        decision: "record",
      });
    } else {
      const tool = tools[i % tools.length]!;
      const path = `${P}/src/m${i % 50}/f${i % 997}.ts`;
      const denied = i % 50 === 3;
      line = JSON.stringify({
        v: 1,
        kind: "call",
        time: "2026-11-24T22:00:00.000Z",
        sessionId: `s${i % 8}`,
        server: `fs${i % 4}`,
        mode: "enforce",
        direction: "client",
        method: "tools/call",
        id: i,
        tool,
        arguments: tool === "write_file" ? { path, content: "x".repeat(40) } : { path },
        paths: [path],
        cwd: P,
        decision: denied
          ? { verdict: "deny", ruleIds: ["servers.fs.allowed_paths"], reason: "outside", decisionId: `d${i}` }
          : { verdict: "allow", ruleIds: ["servers.fs.allowed_tools[0]"], reason: "ok", decisionId: `d${i}` },
        forwarded: !denied,
        latencyMs: 2,
        result: denied ? { outcome: "none" } : { outcome: "ok", isError: false, size: 120 },
      });
    }
    batch.push(line);
    if (batch.length === 5000) {
      await w.write(enc.encode(batch.join("\n") + "\n"));
      batch = [];
    }
  }
  if (batch.length) await w.write(enc.encode(batch.join("\n") + "\n"));
  await w.close();
}

if (import.meta.main) {
  const lines = Number(Deno.args.find((a) => !a.startsWith("--")) ?? 1_000_000);
  const withReport = Deno.args.includes("--report");
  const dir = await Deno.makeTempDir({ prefix: "agentperms-infer-bench-" });
  try {
    const traces = join(dir, "traces.jsonl");
    const t0 = performance.now();
    await generate(traces, lines);
    const size = (await Deno.stat(traces)).size;
    print(
      `generated ${lines} lines (${(size / 1e6).toFixed(0)} MB) in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s`,
    );
    // Run the real command in a child, wrapped so the child reports its own peak RSS before exiting.
    const wrapper = join(dir, "run.ts");
    await Deno.writeTextFile(
      wrapper,
      `import { denoIo } from ${JSON.stringify(new URL("../src/cli/io.ts", import.meta.url).href)};
import { run } from ${JSON.stringify(new URL("../src/cli/run.ts", import.meta.url).href)};
const io = { ...denoIo(), stdout: () => {}, stderr: () => {} };
const t0 = performance.now();
const code = await run(Deno.args, io);
const ms = performance.now() - t0;
const hwm = /VmHWM:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1];
// CPU seconds (user + system, all threads) so a busy shared machine does not distort the figure.
const stat = Deno.readTextFileSync("/proc/self/stat").split(") ")[1]!.split(" ");
const cpuS = (Number(stat[11]) + Number(stat[12])) / 100;
console.log(JSON.stringify({ code, ms, cpuS, peakRssMB: hwm ? Number(hwm) / 1024 : Deno.memoryUsage().rss / 1048576 }));
`,
    );
    const out = join(dir, "mcp.policy.yaml");
    const runChild = async (args: string[]) => {
      const child = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--no-check",
          "--config",
          fileURLToPath(new URL("../deno.json", import.meta.url)),
          wrapper,
          ...args,
        ],
        env: { HOME: "/home/dev" },
        stdout: "piped",
        stderr: "inherit",
      }).output();
      return JSON.parse(new TextDecoder().decode(child.stdout).trim().split("\n").pop()!);
    };
    const say = (name: string, res: { code: number; ms: number; cpuS: number; peakRssMB: number }) => {
      const secs = res.ms / 1000;
      print(
        `${name}: exit ${res.code}, ${lines} lines in ${secs.toFixed(2)} s wall (${
          res.cpuS.toFixed(2)
        } s CPU for the whole process) = ${
          Math.round(lines / secs).toLocaleString("en-US")
        } lines/s, peak RSS ${res.peakRssMB.toFixed(0)} MB`,
      );
    };
    say("infer", await runChild(["infer", traces, "--out", out, "--cwd", "/home/dev/proj"]));
    if (withReport) {
      const html = join(dir, "report.json");
      say(
        "report",
        await runChild(["report", "--traces", traces, "--format", "json", "--out", html, "--path", dir]),
      );
    }
    print((await Deno.readTextFile(out)).split("\n").slice(0, 14).join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
