import assert from "node:assert/strict";
import { releaseMemoryNow, releaseMemoryWhenIdle } from "./_release_memory.ts";

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

Deno.test("releaseMemoryWhenIdle() collects once, a second after the last call, not at each call", async () => {
  let collected = 0;
  const collect = () => void collected++;
  for (let i = 0; i < 6; i++) {
    releaseMemoryWhenIdle(collect);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(collected, 0, "1.2 s after the first call but 0.2 s after the last: not yet");
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(collected, 1);
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
