import assert from "node:assert/strict";
import { join } from "node:path";
import { COMMIT_DELAY_MS, defaultTraceDir, traceFileName, TraceWriter } from "./writer.ts";
import type { TraceEventV1 } from "./schema.ts";

const ev = (i: number): TraceEventV1 => ({
  v: 1,
  kind: "lifecycle",
  time: "2026-01-01T00:00:00.000Z",
  sessionId: "s",
  server: "demo",
  mode: "record",
  detail: `event ${i}`,
});

Deno.test("TraceWriter writes whole JSONL lines to a 0600 file in a 0700 directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const traces = join(dir, "a", "traces");
    const w = TraceWriter.open(traces, "t.jsonl");
    w.write(ev(1));
    w.write({ ...ev(2), detail: "x".repeat(100_000) });
    // Written before the event loop turns (a microtask), not held until close.
    await Promise.resolve();
    const before = await Deno.readTextFile(w.path);
    assert.equal(before.split("\n").length, 3);
    w.close();
    assert.equal((await Deno.stat(w.path)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(traces)).mode! & 0o777, 0o700);
    const lines = before.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines[1].detail.length, 100_000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TraceWriter appends to an existing file and tightens its mode", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = join(dir, "t.jsonl");
    await Deno.writeTextFile(f, JSON.stringify(ev(0)) + "\n", { mode: 0o644 });
    await Deno.chmod(f, 0o644);
    const w = TraceWriter.open(dir, "t.jsonl");
    w.write(ev(1));
    w.close();
    assert.equal((await Deno.readTextFile(f)).trimEnd().split("\n").length, 2);
    assert.equal((await Deno.stat(f)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("defaultTraceDir() prefers XDG_STATE_HOME, then ~/.local/state, never the cwd", () => {
  assert.equal(defaultTraceDir((n) => ({ XDG_STATE_HOME: "/x", HOME: "/h" })[n]), "/x/agentperms/traces");
  assert.equal(defaultTraceDir((n) => ({ HOME: "/h" })[n]), "/h/.local/state/agentperms/traces");
  assert.equal(
    defaultTraceDir((n) => ({ XDG_STATE_HOME: "rel", HOME: "/h" })[n]),
    "/h/.local/state/agentperms/traces",
  );
  assert.throws(() => defaultTraceDir(() => undefined), /trace directory/);
});

Deno.test("traceFileName() sorts by time and keeps server names file-safe", () => {
  assert.equal(
    traceFileName(new Date("2026-01-02T03:04:05.678Z"), "my/server", "abc"),
    "20260102T030405Z-my_server-abc.jsonl",
  );
});

Deno.test("TraceWriter writes each batch exactly, through its kept buffer and past it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const w = TraceWriter.open(dir, "t.jsonl");
    // A long batch, then a short one (stale bytes of the first must not follow it), multi-byte text at the
    // 3-bytes-per-unit bound, a batch that outgrows the 16 KiB start buffer, and one over the 1 MiB kept size.
    const details = [
      "a".repeat(5000),
      "b",
      "€".repeat(5000),
      "🔑".repeat(3000),
      "c".repeat(20_000),
      "d",
      "e".repeat(2_000_000),
    ];
    for (const [i, detail] of details.entries()) {
      w.write({ ...ev(i), detail });
      w.flush();
    }
    w.write({ ...ev(99), detail: "after" });
    w.close();
    const lines = (await Deno.readTextFile(w.path)).trimEnd().split("\n").map((l) => JSON.parse(l).detail);
    assert.deepEqual(lines, [...details, "after"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const call = (i: number): TraceEventV1 => ({
  v: 1,
  kind: "call",
  time: "2026-01-01T00:00:00.000Z",
  sessionId: "s",
  server: "demo",
  mode: "enforce",
  direction: "client",
  method: "tools/call",
  tool: "read",
  arguments: { path: `/w/f${i}` },
  decision: { verdict: "allow", ruleIds: ["r"], reason: "ok" },
  forwarded: true,
});

Deno.test("TraceWriter.durable(): 100 appends during one fsync share the next one (group commit)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const gates: (() => void)[] = [];
    const w = TraceWriter.open(dir, "t.jsonl", {
      fsync: () => new Promise<void>((r) => gates.push(r)),
    });
    const resolved: boolean[] = [];
    const waits: Promise<boolean>[] = [];
    for (let i = 0; i < 100; i++) {
      w.write(call(i));
      w.flush();
      waits.push(w.durable().then((ok) => (resolved[i] = ok)));
    }
    assert.equal(w.fsyncs, 1); // the first batch's fsync runs; the other 99 wait for the next
    gates[0]!();
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(resolved[0], true);
    // Written after the first fsync started: not on the disk until the second one ends.
    assert.equal(resolved.filter(Boolean).length, 1);
    assert.equal(w.fsyncs, 2);
    gates[1]!();
    await Promise.all(waits);
    assert.equal(resolved.filter(Boolean).length, 100);
    assert.equal(w.fsyncs, 2);
    assert.equal(await w.durable(), true); // nothing new written: no fsync
    assert.equal(w.fsyncs, 2);
    w.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TraceWriter: writes one after another share one fsync started at most COMMIT_DELAY_MS later", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const w = TraceWriter.open(dir, "t.jsonl", { fsync: () => Promise.resolve() });
    for (let i = 0; i < 20; i++) {
      w.write(call(i));
      w.flush();
    }
    // Every line is in the file at once; the fsync has not started yet.
    assert.equal(Deno.readTextFileSync(w.path).split("\n").length - 1, 20);
    assert.equal(w.fsyncs, 0);
    await new Promise((r) => setTimeout(r, COMMIT_DELAY_MS + 20));
    assert.equal(w.fsyncs, 1);
    assert.equal(await w.durable(), true);
    assert.equal(w.fsyncs, 1);
    w.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TraceWriter: a call's line is in the file when flushed and on the disk before its forward completes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let syncedBytes = 0;
    const w = TraceWriter.open(dir, "t.jsonl", {
      // A real fdatasync; what it covers is what the file held when it started.
      fsync: async (f) => {
        const size = (await f.stat()).size;
        await f.syncData();
        syncedBytes = Math.max(syncedBytes, size);
      },
    });
    const forwarded: number[] = [];
    // What a proxy that waits for the disk does with each call: write-ahead, then fsync, then forward.
    const forward = async (i: number) => {
      await new Promise((r) => setTimeout(r, i % 5)); // calls arrive over a few turns of the event loop
      w.write(call(i));
      w.flush();
      const text = await Deno.readTextFile(w.path);
      const end = text.indexOf(`/w/f${i}"`);
      assert.ok(end > 0, `call ${i} is in the file before it is forwarded`);
      assert.equal(await w.durable(), true);
      assert.ok(syncedBytes > end, `call ${i} is on the disk before it is forwarded`);
      forwarded.push(i);
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => forward(i)));
    assert.equal(forwarded.length, 50);
    assert.ok(w.fsyncs < 25, `50 calls took ${w.fsyncs} fsyncs`);
    w.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TraceWriter with sync none never fsyncs, and says so", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let n = 0;
    const w = TraceWriter.open(dir, "t.jsonl", { sync: "none", fsync: () => Promise.resolve(void n++) });
    w.write(call(1));
    w.flush();
    assert.equal(await w.durable(), false);
    w.close();
    assert.equal(n, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
