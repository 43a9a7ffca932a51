import assert from "node:assert/strict";
import fc from "fast-check";
import { canPoll, slicesOf, spawnServer, streamSink, streamSource } from "./_byte_io.ts";
import { concat } from "./framing.ts";
import process from "node:process";

const DENO = Deno.execPath();
const evalArgs = (code: string) => ["eval", "--no-config", code];

Deno.test("spawnServer() throws NotFound for a command that does not exist", async () => {
  await assert.rejects(
    spawnServer({ command: "/nonexistent/agentperms-no-such-server", args: [] }),
    Deno.errors.NotFound,
  );
});

Deno.test("spawnServer() passes bytes both ways and reports the exit code", async () => {
  const s = await spawnServer({
    command: DENO,
    args: evalArgs(
      "const b = new Uint8Array(64); const n = Deno.stdin.readSync(b); Deno.stdout.writeSync(b.subarray(0, n)); Deno.exit(3)",
    ),
    env: { NO_COLOR: "1" },
  });
  const got: Uint8Array[] = [];
  const reading = s.stdout.run((c) => void got.push(c));
  assert.equal(s.stdin.write(new TextEncoder().encode("ping\n")), true);
  assert.deepEqual(await s.status, { code: 3, signal: null });
  await reading;
  assert.equal(new TextDecoder().decode(got[0]), "ping\n");
  await s.stdin.close(); // after the exit: resolves at once instead of waiting for an end that never comes
});

Deno.test("spawnServer() kill(): a server that catches SIGTERM exits with its own code, one that does not reports the signal", async () => {
  const catcher = await spawnServer({
    command: DENO,
    args: evalArgs(
      "Deno.addSignalListener('SIGTERM', () => Deno.exit(42)); console.log('ready'); setInterval(() => {}, 1000)",
    ),
  });
  const ready = new Promise<void>((r) => void catcher.stdout.run(() => r()));
  await ready;
  catcher.kill("SIGTERM");
  assert.deepEqual(await catcher.status, { code: 42, signal: null });

  const sleeper = await spawnServer({ command: "sleep", args: ["30"] });
  sleeper.kill("SIGKILL");
  assert.equal((await sleeper.status).signal, "SIGKILL");
  sleeper.kill("SIGTERM"); // gone: no throw
});

Deno.test("streamSource() and streamSink() carry chunks in order and end cleanly", async () => {
  const chunks = ["a", "b", "c"].map((s) => new TextEncoder().encode(s));
  const got: string[] = [];
  await streamSource(ReadableStream.from(chunks)).run((c) => void got.push(new TextDecoder().decode(c)));
  assert.deepEqual(got, ["a", "b", "c"]);
  const written: string[] = [];
  const sink = streamSink(
    new WritableStream({ write: (c) => void written.push(new TextDecoder().decode(c)) }),
  );
  assert.equal(sink.write(chunks[0]!), true);
  await sink.close();
  assert.equal(sink.write(chunks[1]!), false, "closed");
  assert.deepEqual(written, ["a"]);
});

Deno.test("canPoll() takes pipes and sockets, but not files, terminals or the pipe stderr also uses", () => {
  const st = (kind: "fifo" | "socket" | "file", ino: number) => ({
    isFIFO: () => kind === "fifo",
    isSocket: () => kind === "socket",
    dev: 1,
    ino,
  });
  assert.equal(canPoll(st("fifo", 10), st("fifo", 11)), true);
  assert.equal(canPoll(st("socket", 10), undefined), true);
  assert.equal(canPoll(st("file", 10), st("fifo", 11)), false);
  assert.equal(canPoll(st("fifo", 10), st("fifo", 10)), false, "2>&1: the same pipe as stderr");
});

Deno.test("spawnServer() says when the working directory is what does not exist", async () => {
  await assert.rejects(
    spawnServer({ command: DENO, args: ["--version"], cwd: "/nonexistent/agentperms-dir" }),
    (e: Error) => e instanceof Deno.errors.NotFound && /working directory/.test(e.message),
  );
});

Deno.test("slicesOf() gives the bytes of the whole text, never cutting a surrogate pair", () => {
  const enc = new TextEncoder();
  const text = fc.array(fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0xd83d, 0xde00)), {
    maxLength: 30,
  }).map((cs) => String.fromCharCode(...cs));
  fc.assert(
    fc.property(text, fc.integer({ min: 1, max: 7 }), (t, size) => {
      const whole = enc.encode(t);
      const parts = [...slicesOf(t, size)];
      assert.deepEqual(concat(parts.map(([b]) => b)), whole);
      assert.equal(parts.reduce((n, [, taken]) => n + taken, 0), t.length);
      const byteParts = [...slicesOf(whole, size)];
      assert.deepEqual(concat(byteParts.map(([b]) => b)), whole);
      assert.equal(byteParts.reduce((n, [, taken]) => n + taken, 0), whole.length);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("spawnServer() stdin keeps the order of large and small writes (large ones go in slices)", async () => {
  const s = await spawnServer({ command: "cat", args: [] });
  const got: Uint8Array[] = [];
  const reading = s.stdout.run((c) => void got.push(c));
  const enc = new TextEncoder();
  const bigText = "é".repeat(1_500_000) + "\n"; // 3 MB of UTF-8 from a string
  const bigBytes = new Uint8Array(2_500_000).fill(0x62);
  const items: (string | Uint8Array)[] = ["a\n", bigText, enc.encode("c\n"), bigBytes, "d\n", bigText];
  for (const it of items) assert.equal(s.stdin.write(it), true);
  assert.ok(s.stdin.backlog() > 0);
  await s.stdin.close();
  await s.status;
  await reading;
  const expected = concat(items.map((it) => typeof it === "string" ? enc.encode(it) : it));
  assert.deepEqual(concat(got), expected);
});

/** A server that reads its stdin slowly: `bytes` per read, then `ms` of busy wait. */
const slowReader = (bytes: number, ms: number) =>
  spawnServer({
    command: DENO,
    args: evalArgs(
      `const b=new Uint8Array(${bytes});for(;;){const n=Deno.stdin.readSync(b);if(n===null)break;const t=Date.now();while(Date.now()-t<${ms}){}}`,
    ),
  });

const within = <T>(p: Promise<T>, ms: number, what: string) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)),
  ]);
};

Deno.test("spawnServer() stdin: a drain waiter after a sliced write is called once the peer has read it all", async () => {
  // The small write after the large one stays queued below the high-water mark: no "drain" event follows it.
  const s = await slowReader(4096, 2);
  try {
    s.stdin.write("x".repeat(3_000_000));
    s.stdin.write(new Uint8Array(10_000).fill(0x79));
    let calls = 0;
    await within(new Promise<void>((r) => s.stdin.onDrain(() => (calls++, r()))), 20_000, "drain waiter");
    assert.equal(calls, 1);
    // Called once what waits is under the stream's high-water mark (node's meaning of drained).
    assert.ok(s.stdin.backlog() < 65_536, `backlog ${s.stdin.backlog()}`);
  } finally {
    s.kill("SIGKILL");
    await s.status;
    await s.stdin.close();
  }
});

Deno.test("spawnServer() stdin: backlog() of a large non-ASCII text counts down to 0, never below", async () => {
  const s = await slowReader(65536, 1);
  try {
    s.stdin.write("€".repeat(3_000_000)); // 9 MB of UTF-8
    const seen: number[] = [s.stdin.backlog()];
    const sampler = setInterval(() => seen.push(s.stdin.backlog()), 2);
    await within(new Promise<void>((r) => s.stdin.onDrain(r)), 30_000, "drain").finally(() =>
      clearInterval(sampler)
    );
    assert.ok(seen.length > 20, `only ${seen.length} samples while it was written`);
    seen.push(s.stdin.backlog());
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
      seen.push(s.stdin.backlog());
    }
    assert.ok(seen[0]! >= 2_000_000, `first ${seen[0]}`);
    assert.ok(seen.every((n) => n >= 0), seen.join(" "));
    assert.equal(seen.at(-1), 0);
  } finally {
    s.kill("SIGKILL");
    await s.status;
    await s.stdin.close();
  }
});

Deno.test("spawnServer() stdin: drain waiters do not leave listeners behind", async () => {
  const s = await spawnServer({ command: "cat", args: [] });
  const reading = s.stdout.run(() => {});
  const warnings: string[] = [];
  const onWarning = (w: Error) => void warnings.push(w.name);
  process.on("warning", onWarning);
  try {
    // Each waiter listens for close and error too; more than 10 left on the stream makes node warn.
    for (let i = 0; i < 30; i++) {
      s.stdin.write(new Uint8Array(100_000));
      await within(new Promise<void>((r) => s.stdin.onDrain(r)), 10_000, "drain");
    }
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(warnings, []);
  } finally {
    process.off("warning", onWarning);
    await s.stdin.close();
    await s.status;
    await reading;
  }
});

Deno.test("spawnServer() stdin: a drain waiter is not released between the slices of a large write", async () => {
  const s = await slowReader(65536, 20);
  try {
    s.stdin.write(new Uint8Array(1_000_000)); // written whole: the stream now needs a drain
    const backlogs: number[] = [];
    const called = new Promise<void>((r) =>
      s.stdin.onDrain(() => {
        backlogs.push(s.stdin.backlog());
        r();
      })
    );
    s.stdin.write("x".repeat(6_000_000)); // sliced; node emits "drain" between slices
    await within(called, 30_000, "drain waiter");
    assert.equal(backlogs.length, 1);
    assert.ok(backlogs[0]! < 65_536, `released with ${backlogs[0]} still waiting`);
  } finally {
    s.kill("SIGKILL");
    await s.status;
    await s.stdin.close();
  }
});

Deno.test("spawnServer() stdin: close() delivers everything to a slow reader that keeps reading past 5 s", async () => {
  await using tmp = {
    path: await Deno.makeTempDir(),
    [Symbol.asyncDispose]() {
      return Deno.remove(this.path, { recursive: true });
    },
  };
  const out = `${tmp.path}/got`;
  const s = await spawnServer({
    command: DENO,
    args: evalArgs(
      `const b=new Uint8Array(65536);const f=Deno.openSync(${
        JSON.stringify(out)
      },{write:true,create:true});` +
        `for(;;){const n=Deno.stdin.readSync(b);if(n===null)break;f.writeSync(b.subarray(0,n));const t=Date.now();while(Date.now()-t<100){}}`,
    ),
  });
  s.stdin.write("x".repeat(4_000_000)); // about 6 s at 64 KiB per 100 ms
  await within(s.stdin.close(), 30_000, "close");
  await s.status;
  assert.equal(Deno.statSync(out).size, 4_000_000);
});
