/**
 * End to end faults: the proxy process with a raw NDJSON client, in front of server-everything and a
 * deliberately misbehaving fake server.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  childEnv,
  DENO,
  npmServer,
  proxyArgv,
  RawProxy,
  ROOT,
  tempDir,
  traceEvents,
  until,
} from "./_helpers.ts";

const FAKE = join(ROOT, "tests/proxy/_fake_server.ts");
const fake = (
  mode: string,
  ...rest: string[]
) => [DENO, "run", "--no-config", "--no-prompt", FAKE, mode, ...rest];
const init = {
  jsonrpc: "2.0",
  id: 0,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};
const call = (id: unknown, name: string, args: unknown = {}) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args },
});

/** The proxy in record mode in front of `serverArgv`, with initialize already answered. */
async function initialized(serverArgv: string[], traceDir: string): Promise<RawProxy> {
  const p = new RawProxy(proxyArgv({ mode: "record", server: "fake", traceDir }, serverArgv));
  await p.send(init);
  await p.response(0);
  return p;
}

Deno.test("proxy: a server crash answers pending requests with errors, closes the client's stream and exits with the server's code", async () => {
  await using tmp = await tempDir();
  await using p = await initialized(fake("crash"), tmp.path);
  await p.send(call(1, "a"));
  await p.send(call(2, "b"));
  const r1 = await p.response(1);
  assert.match(JSON.stringify(r1.error), /exited \(code 7\)/);
  assert.equal(await p.exit(), 7);
  const events = await traceEvents(tmp.path);
  assert.ok(events.some((e) => e.kind === "lifecycle" && /exited with code 7/.test(e.detail ?? "")));
});

Deno.test("proxy: exits with the server's code even when a leftover grandchild keeps the server's stdout open", async () => {
  await using tmp = await tempDir();
  const marker = `agentperms-${crypto.randomUUID()}`;
  await using p = new RawProxy(
    proxyArgv(
      { mode: "record", server: "fake", traceDir: tmp.path, extra: ["--no-contain"] },
      [DENO, "run", "--no-config", "--no-prompt", "--allow-run", FAKE, "grandchild", marker],
    ),
  );
  try {
    await p.send(init);
    await p.response(0);
    await p.send(call(1, "a"));
    const r = await p.response(1);
    assert.match(JSON.stringify(r.error), /exited \(code 5\)/);
    // The proxy's own exit (its stderr, shared with the leftover process, stays open until that one ends).
    const t0 = Date.now();
    const status = await p.child.status;
    assert.equal(status.code, 5);
    assert.ok(Date.now() - t0 < 5000, `proxy took ${Date.now() - t0} ms to exit`);
  } finally {
    for (const d of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(d.name)) continue;
      try {
        if (Deno.readTextFileSync(`/proc/${d.name}/cmdline`).includes(marker)) {
          Deno.kill(Number(d.name), "SIGKILL");
        }
      } catch {
        // gone
      }
    }
  }
});

Deno.test("proxy: on client EOF the server's stdin is closed and a server that ignores it is terminated (no orphan)", async () => {
  await using tmp = await tempDir();
  const marker = crypto.randomUUID();
  await using p = new RawProxy(
    proxyArgv(
      { mode: "record", server: "fake", traceDir: tmp.path, extra: ["--shutdown-grace", "200"] },
      fake("ignore-eof", marker),
    ),
  );
  await p.send(init);
  await p.response(0);
  await p.closeStdin();
  assert.equal(await p.exit(), 128 + 15);
  const alive = [...Deno.readDirSync("/proc")].some((d) => {
    if (!/^\d+$/.test(d.name)) return false;
    try {
      return Deno.readTextFileSync(`/proc/${d.name}/cmdline`).includes(marker);
    } catch {
      return false;
    }
  });
  assert.equal(alive, false, "the server process is gone");
});

Deno.test("proxy: SIGTERM is forwarded to the server, whose stderr passes through", async () => {
  await using tmp = await tempDir();
  await using p = await initialized(fake("signal"), tmp.path);
  p.child.kill("SIGTERM");
  assert.equal(await p.exit(), 143);
  assert.match(p.stderr, /got SIGTERM/);
});

Deno.test("proxy: survives malformed lines, an oversize message and 1,000 requests in flight to server-everything", async () => {
  await using tmp = await tempDir();
  await using p = new RawProxy(
    proxyArgv({
      mode: "enforce",
      server: "everything",
      policy: await allowAll(tmp.path),
      traceDir: join(tmp.path, "t"),
      extra: ["--max-message-bytes", "1000000"],
    }, npmServer("everything")),
  );
  await p.send(init);
  await p.response(0, 30_000);
  await p.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  await p.send("{this is not json");
  await p.send(
    '{"jsonrpc":"2.0","id":"dup","method":"tools/call","params":{"name":"echo","name":"get-env"}}',
  );
  await p.sendBytes(new Uint8Array([0xff, 0xfe, 0x0a]));
  const answers = () => p.messages.filter((m) => !("method" in (m as object)));
  await until(() => answers().length >= 4, 5000, "three parse errors");
  const codes = answers().slice(0, 4).map((m) => (m as { error?: { code: number } }).error?.code);
  assert.deepEqual(codes, [undefined, -32700, -32700, -32700]);
  await p.send(call(2, "echo", { message: "y".repeat(2_000_000) }));
  await until(
    () => p.messages.some((m) => /too large/.test(JSON.stringify((m as { error?: unknown }).error ?? ""))),
    15_000,
    "size cap error",
  );
  const ids = Array.from({ length: 1000 }, (_, i) => 1000 + i);
  await p.send(ids.map((id) => JSON.stringify(call(id, "echo", { message: `m${id}` }))).join("\n"));
  await until(
    () => ids.every((id) => p.messages.some((m) => (m as { id?: unknown }).id === id)),
    30_000,
    "1000 answers",
  );
  await p.send({ jsonrpc: "2.0", id: "last", method: "ping" });
  assert.deepEqual((await p.response("last")).result, {});
});

Deno.test("proxy: passes a 10 MB message both ways and keeps serving", async () => {
  await using tmp = await tempDir();
  await using p = await initialized(fake("echo"), tmp.path);
  const big = "x".repeat(10 * 1024 * 1024);
  const t0 = performance.now();
  await p.send(call(1, "echo", { message: big }));
  const r = await p.response(1, 30_000);
  const ms = performance.now() - t0;
  assert.equal(
    (r.result as { content: { text: string }[] }).content[0]!.text.length,
    big.length + "Echo: ".length,
  );
  assert.ok(ms < 15_000, `10 MB round trip took ${ms} ms`);
  await p.send(call(2, "echo", { message: "small" }));
  assert.equal((await p.response(2)).id, 2);
});

Deno.test("proxy: keeps serving after a 10 MB answer to a client that stops reading just before its end", async () => {
  // The answer leaves in slices; the newline and a notification behind it wait until the client reads again.
  // The proxy must then read both sides again (it once waited for a "drain" event that never came).
  await using tmp = await tempDir();
  const argv = proxyArgv({ mode: "record", server: "fake", traceDir: tmp.path }, fake("big"));
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env: childEnv(),
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  const reader = child.stdout.getReader({ mode: "byob" });
  try {
    const enc = new TextEncoder();
    await w.write(enc.encode(JSON.stringify(call(1, "big", { bytes: 10_000_000, note: 10_000 })) + "\n"));
    const answerBytes = JSON.stringify({
      result: { content: [{ type: "text", text: "x".repeat(10_000_000) }] },
      jsonrpc: "2.0",
      id: 1,
    }).length + 1;
    let got = 0;
    let tail = "";
    const dec = new TextDecoder();
    const read = async (max: number) => {
      const { value, done } = await reader.read(new Uint8Array(Math.max(1, Math.min(65_536, max))));
      if (done) throw new Error("the proxy closed its stdout");
      got += value.length;
      tail = (tail + dec.decode(value, { stream: true })).slice(-20_000);
    };
    while (got < answerBytes - 60_000) await read(answerBytes - 60_000 - got);
    await new Promise((r) => setTimeout(r, 1500));
    while (!(tail.includes('"notifications/message"') && tail.endsWith("\n"))) await read(65_536);
    await w.write(enc.encode(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }) + "\n"));
    const pong = (async () => {
      while (!tail.includes('"id":2')) await read(65_536);
    })();
    pong.catch(() => {}); // a read left waiting ends when the proxy is killed below
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      pong,
      new Promise((_, reject) =>
        timer = setTimeout(() => reject(new Error("no answer to ping: the proxy stopped reading")), 10_000)
      ),
    ]).finally(() => clearTimeout(timer));
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
});

Deno.test("proxy: a slow answer does not hold back other traffic", async () => {
  await using tmp = await tempDir();
  await using p = await initialized(fake("slow"), tmp.path);
  await p.send(call(1, "slow"));
  await p.send(call(2, "fast"));
  await p.response(2);
  const order = p.messages.map((m) => (m as { id?: unknown }).id);
  assert.ok(!order.includes(1), "the fast answer came first");
  await p.response(1);
});

Deno.test("proxy: garbage on the server's stdout is reported on stderr and never forwarded", async () => {
  await using tmp = await tempDir();
  await using p = await initialized(fake("garbage"), tmp.path);
  await p.send(call(1, "x"));
  await p.response(1);
  assert.equal(p.messages.length, 2, "only the two answers reached the client");
  await until(() => /not a JSON-RPC message/.test(p.stderr), 5000, "stderr report");
  await p.closeStdin();
  await p.exit();
  const malformed = (await traceEvents(tmp.path)).filter((e) =>
    e.kind === "malformed" && e.direction === "server"
  );
  assert.equal(malformed.length, 2);
});

async function allowAll(dir: string): Promise<string> {
  const f = join(dir, "allow.yaml");
  await Deno.writeTextFile(f, "version: 1\nservers:\n  everything: {}\n");
  return f;
}

/** Every line of every trace file, parsed; throws on a line that is not whole JSON. */
async function traceLines(dir: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const e of Deno.readDirSync(dir)) {
    // Deno's own audit log of a contained server is Deno's to write; the proxy's traces are checked here.
    if (e.name.endsWith(".permissions.jsonl")) continue;
    const text = await Deno.readTextFile(join(dir, e.name));
    assert.ok(text.endsWith("\n"), `${e.name} ends with a whole line`);
    for (const line of text.split("\n").slice(0, -1)) out.push(JSON.parse(line));
  }
  return out;
}

Deno.test("proxy: a call is in the trace before the server sees it, so killing the proxy cannot lose it", async () => {
  await using tmp = await tempDir();
  await using p = await initialized(fake("hang"), tmp.path);
  await p.send(call(1, "hang", { path: "/tmp/x" }));
  await until(() => /received hang 1/.test(p.stderr), 10_000, "the server to receive the call");
  p.child.kill("SIGKILL");
  await p.child.status;
  const lines = await traceLines(tmp.path);
  const line = lines.find((e) => e.kind === "call" && e.id === 1);
  assert.ok(line, "the call's line was written before it was forwarded");
  assert.equal(line.forwarded, true);
  assert.equal(line.result, undefined, "no answer yet");
  // Read back as infer and report do: the call stands, with no result.
  const joined = (await traceEvents(tmp.path)).filter((e) => e.kind === "call");
  assert.deepEqual(joined.map((e) => [e.tool, e.result]), [["hang", undefined]]);
});

Deno.test("proxy: every answer the client got has its call line in the trace when the proxy is killed mid-stream, and all but the last ones their result line (a tail)", async () => {
  await using tmp = await tempDir();
  await using p = new RawProxy(
    proxyArgv({ mode: "record", server: "everything", traceDir: tmp.path }, npmServer("everything")),
  );
  await p.send(init);
  await p.response(0);
  const N = 400;
  for (let i = 1; i <= N; i++) await p.send(call(i, "echo", { message: `m${i}` }));
  await until(() => p.messages.length > N / 4, 15_000, "some answers");
  p.child.kill("SIGKILL");
  await p.child.status;
  const answered = p.messages.map((m) => (m as { id?: unknown }).id).filter((id) =>
    typeof id === "number" && id > 0
  );
  assert.ok(answered.length > 0);
  const lines = await traceLines(tmp.path); // throws on a torn line
  const calls = new Set(lines.filter((e) => e.kind === "call").map((e) => e.id));
  const results = new Set(lines.filter((e) => e.kind === "result").map((e) => e.id));
  for (const id of answered) assert.ok(calls.has(id), `call ${id} traced`);
  // Result lines are written right after their answers, in the same turn (#20: only the call line is written
  // ahead), in answer order: a kill inside that turn loses the result lines of the answers it passed on, the
  // last ones the client got, never one of an earlier answer. So the missing ones are a tail of what arrived.
  const firstMissing = answered.findIndex((id) => !results.has(id));
  if (firstMissing !== -1) {
    const late = answered.slice(firstMissing).filter((id) => results.has(id));
    assert.deepEqual(
      late,
      [],
      `result lines missing before ones that were written (from id ${answered[firstMissing]})`,
    );
  }
});

/** Starts the proxy and sends `messages`; the caller reads its stdout only when it wants to. */
async function startUnread(argv: string[], messages: unknown[], stderr: "piped" | "null" = "null") {
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env: childEnv(),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr,
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(messages.map((m) => JSON.stringify(m) + "\n").join("")));
  return { child, w };
}

Deno.test("proxy: reads a client from a file on stdin (not a pipe), from a pipe, and with stderr on stdout's pipe", async () => {
  await using tmp = await tempDir();
  const input = join(tmp.path, "in.jsonl");
  await Deno.writeTextFile(input, [init, call(1, "a")].map((m) => JSON.stringify(m)).join("\n") + "\n");
  const argv = proxyArgv({ mode: "record", server: "fake", traceDir: join(tmp.path, "t") }, fake("echo"));
  const viaPipe = await startUnread(argv, [init, call(1, "a")], "piped");
  await viaPipe.w.close();
  const piped = await viaPipe.child.output();
  const viaShell = (redirects: string) =>
    new Deno.Command("sh", {
      args: ["-c", `exec "$@" ${redirects}`, "sh", ...argv],
      env: { ...childEnv(), IN: input },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const sh = await viaShell('< "$IN"');
  // stdout and stderr as one pipe (2>&1): stdout stays blocking so stderr (shared with the server) does too.
  const merged = await viaShell('< "$IN" 2>&1');
  // A file cannot be polled like a pipe (node:net throws for it): the proxy falls back to Deno's stdin stream.
  for (const [how, o] of [["pipe", piped], ["file", sh], ["2>&1", merged]] as const) {
    const out = new TextDecoder().decode(o.stdout);
    assert.equal(o.code, 0, `${how}: ${new TextDecoder().decode(o.stderr)}${out}`);
    const ids = out.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l).id);
    assert.deepEqual(ids, [0, 1], how);
  }
  assert.match(
    new TextDecoder().decode(merged.stdout),
    /\[agentperms\]/,
    "diagnostics went to the shared pipe",
  );
});

Deno.test("proxy: a server flooding a client that does not read waits in the pipe, not in the proxy's memory", async () => {
  await using tmp = await tempDir();
  const argv = proxyArgv({ mode: "record", server: "fake", traceDir: tmp.path }, fake("flood"));
  const { child, w } = await startUnread(argv, [init, call(1, "flood", { mb: 200 })]);
  // Not reading stdout: without backpressure the proxy would take in all 200 MB.
  const hwm = () =>
    Number(/VmHWM:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${child.pid}/status`))![1]) / 1024;
  await new Promise((r) => setTimeout(r, 2000));
  const held = hwm();
  // Now read everything: every notification and the answer arrive.
  let notes = 0;
  let answered = false;
  let rest = "";
  const dec = new TextDecoder();
  for await (const chunk of child.stdout) {
    rest += dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf("\n")) !== -1) {
      const m = JSON.parse(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      if (m.method === "notifications/message") notes++;
      if (m.id === 1) answered = true;
    }
    if (answered) break;
  }
  await w.close();
  await child.status;
  assert.equal(notes, 200);
  assert.ok(answered);
  assert.ok(held < 160, `proxy peak RSS ${held.toFixed(0)} MB while the client was not reading`);
});

Deno.test("proxy: exits even when the client stops reading for good (output dropped after a bounded wait)", async () => {
  await using tmp = await tempDir();
  const argv = proxyArgv({
    mode: "record",
    server: "fake",
    traceDir: tmp.path,
    extra: ["--shutdown-grace", "200"],
  }, fake("flood"));
  const { child, w } = await startUnread(argv, [init, call(1, "flood", { mb: 30 })]);
  await w.close(); // client EOF, and it never reads stdout
  let timer: ReturnType<typeof setTimeout> | undefined;
  const status = await Promise.race([
    child.status,
    new Promise<"hung">((r) => timer = setTimeout(() => r("hung"), 20_000)),
  ]);
  clearTimeout(timer);
  if (status === "hung") child.kill("SIGKILL");
  await child.stdout.cancel();
  await child.status;
  assert.notEqual(status, "hung", "the proxy waited forever for a client that does not read");
});
