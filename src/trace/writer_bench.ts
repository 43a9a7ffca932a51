/**
 * Trace appends with and without durability (issue 20, item 3: group commit).
 *
 *   deno run -A src/trace/writer_bench.ts [--calls 2000] [--rounds 5]
 *
 * Each mode appends `--calls` call events, each "call" waiting for what its mode promises before it counts as
 * forwarded, with 1 and with 64 calls in flight (64 callers that each append, wait, append again):
 * - before (no fsync): the line is written to the file (the write-ahead the proxy relies on; survives the
 *   process, not the machine); nothing waits.
 * - fsync per append: each call fsyncs its own line and waits for it (durable, the naive way).
 * - group commit: each call waits for `durable()`, which joins a running fsync or the next one.
 * Rounds alternate the modes; medians. The trace folder is a temp folder (on this machine /tmp is ext4, so
 * fsync reaches the disk). Under `deno bench` it registers the 64-in-flight runs.
 */
import { TraceWriter } from "./writer.ts";
import type { TraceEventV1 } from "./schema.ts";

type Mode = "none" | "per-append" | "group";

const call = (i: number): TraceEventV1 => ({
  v: 1,
  kind: "call",
  time: new Date(0).toISOString(),
  sessionId: "bench",
  server: "fs",
  mode: "enforce",
  direction: "client",
  method: "tools/call",
  tool: "read_file",
  arguments: { path: `/work/src/file${i}.ts` },
  decision: { verdict: "allow", ruleIds: ["servers.fs.allowed_paths[0]"], reason: "Allowed" },
  forwarded: true,
});

/** Appends `calls` events with `inFlight` concurrent callers; returns calls per second and fsyncs run. */
async function appendAll(
  dir: string,
  mode: Mode,
  calls: number,
  inFlight: number,
): Promise<{ perSecond: number; fsyncs: number }> {
  const w = TraceWriter.open(dir, `${mode}-${inFlight}-${crypto.randomUUID()}.jsonl`, {
    sync: mode === "group" ? "group" : "none",
  });
  // The naive way: each call fsyncs on its own (through a second handle: fdatasync covers the file, whichever
  // descriptor asks).
  const own = mode === "per-append" ? Deno.openSync(w.path, { read: true }) : undefined;
  let perAppendSyncs = 0;
  let next = 0;
  const t0 = performance.now();
  const caller = async () => {
    while (next < calls) {
      const i = next++;
      w.write(call(i));
      w.flush();
      if (mode === "group") await w.durable();
      else if (mode === "per-append") {
        perAppendSyncs++;
        await own!.syncData();
      } else await Promise.resolve();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, caller));
  const ms = performance.now() - t0;
  const fsyncs = mode === "group" ? w.fsyncs : perAppendSyncs;
  w.close();
  own?.close();
  return { perSecond: calls / (ms / 1000), fsyncs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

if (import.meta.main) {
  const calls = flag("--calls", 2000);
  const rounds = flag("--rounds", 5);
  const dir = await Deno.makeTempDir({ prefix: "agentperms-trace-bench-" });
  const enc = new TextEncoder();
  const print = (s: string) => Deno.stdout.writeSync(enc.encode(s + "\n"));
  try {
    const rows: string[] = [];
    for (const inFlight of [1, 64]) {
      const res: Record<Mode, { perSecond: number[]; fsyncs: number[] }> = {
        "none": { perSecond: [], fsyncs: [] },
        "per-append": { perSecond: [], fsyncs: [] },
        "group": { perSecond: [], fsyncs: [] },
      };
      for (let r = 0; r < rounds; r++) {
        for (
          const mode of (r % 2 ? ["group", "per-append", "none"] : ["none", "per-append", "group"]) as Mode[]
        ) {
          const x = await appendAll(dir, mode, calls, inFlight);
          res[mode].perSecond.push(x.perSecond);
          res[mode].fsyncs.push(x.fsyncs);
        }
      }
      for (const mode of ["none", "per-append", "group"] as Mode[]) {
        const label = mode === "none"
          ? "before: write only (no fsync)"
          : mode === "per-append"
          ? "fsync per append"
          : "group commit (after)";
        rows.push(
          `| ${inFlight} | ${label} | ${Math.round(median(res[mode].perSecond))} | ${
            median(res[mode].fsyncs)
          } |`,
        );
      }
    }
    const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ").slice(0, 3).join(" ");
    print(
      `${calls} appends per run, ${rounds} rounds (median), load average ${load}, Deno ${Deno.version.deno}\n`,
    );
    print("| in flight | mode | calls/s (each waits for its promise) | fsyncs per run |");
    print("| --- | --- | --- | --- |");
    for (const r of rows) print(r);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
} else {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-trace-bench-" });
  for (const mode of ["none", "per-append", "group"] as Mode[]) {
    Deno.bench(
      `trace: 256 appends, 64 in flight, ${mode}`,
      { group: "trace-sync", n: 5, warmup: 1 },
      async () => {
        await appendAll(dir, mode, 256, 64);
      },
    );
  }
}
