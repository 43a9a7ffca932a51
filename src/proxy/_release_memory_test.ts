import assert from "node:assert/strict";
import { releaseMemoryNow } from "./_release_memory.ts";

Deno.test("releaseMemoryNow() collects garbage at once (V8's gc is exposed at run time)", () => {
  let garbage: number[][] | undefined = Array.from(
    { length: 5 },
    () => Array.from({ length: 1e6 }, (_, i) => i * 1.5),
  );
  const before = Deno.memoryUsage().heapUsed;
  assert.equal(garbage.length, 5);
  garbage = undefined;
  releaseMemoryNow();
  const after = Deno.memoryUsage().heapUsed;
  assert.ok(before - after > 20_000_000, `heap ${before} -> ${after}`);
});

Deno.test("returnLargeFreesToSystem() keeps glibc from holding on to freed multi-megabyte buffers", async () => {
  // Two processes free the same 8 MB buffers; the one that asked for the setting must keep far less of them.
  const script = (limit: boolean) => `
    import { releaseMemoryNow${limit ? ", returnLargeFreesToSystem" : ""} } from ${
    JSON.stringify(new URL("./_release_memory.ts", import.meta.url).href)
  };
    ${limit ? "returnLargeFreesToSystem();" : ""}
    const rss = () => +Deno.readTextFileSync("/proc/self/status").match(/VmRSS:\\s+(\\d+)/)[1] / 1024;
    const cycle = () => { let b = new Uint8Array(8 << 20).fill(1); b = undefined; releaseMemoryNow(); };
    cycle();
    const r0 = rss();
    cycle(); cycle();
    const keep = Array.from({ length: 50 }, () => new Uint8Array(100_000).fill(2));
    cycle();
    console.log(rss() - r0, keep.length);
  `;
  const retained = async (limit: boolean) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", script(limit)],
      stderr: "inherit",
    }).output();
    assert.ok(out.success);
    return Number(new TextDecoder().decode(out.stdout).split(" ")[0]);
  };
  if (Deno.build.os !== "linux") return;
  const [plain, limited] = await Promise.all([retained(false), retained(true)]);
  assert.ok(plain - limited > 4, `retained MB: default ${plain}, with the setting ${limited}`);
});
