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
