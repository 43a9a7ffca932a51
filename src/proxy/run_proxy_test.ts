import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import type { TraceEventV1, TraceSink } from "../trace/mod.ts";
import { runProxy } from "./run_proxy.ts";

const FAKE = fileURLToPath(new URL("../../tests/proxy/_fake_server.ts", import.meta.url));

Deno.test("runProxy() writes each call's line before the call reaches the server, and its result line right after the answer", async () => {
  const { policy } = parsePolicy("version: 1\nservers:\n  fake:\n    allowed_tools: [a]\n", {
    file: "p.yaml",
  });
  const compiled = compilePolicy(policy, { baseDir: "/", home: "/home/me", realpath: () => undefined });
  const traced: TraceEventV1[] = [];
  const sink: TraceSink = { write: (e) => void traced.push(structuredClone(e)), close: () => {} };
  const N = 200;
  const lines = [
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {} },
    },
    ...Array.from({ length: N }, (_, i) => ({
      jsonrpc: "2.0",
      id: i + 1,
      method: "tools/call",
      params: { name: "a", arguments: { n: i } },
    })),
  ].map((m) => JSON.stringify(m) + "\n").join("");
  // Keep the client's side open until every answer is in, so the server is not shut down early.
  let closeClient = () => {};
  const clientIn = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(lines));
      closeClient = () => c.close();
    },
  });
  const late: unknown[] = [];
  const answered = new Set<unknown>();
  const dec = new TextDecoder();
  let rest = "";
  const clientOut = new WritableStream<Uint8Array>({
    write(chunk) {
      // At the moment bytes reach the client, the trace must already hold the call (write-ahead); its result
      // line is written right after the answer, in the same turn.
      rest += dec.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        const id = (JSON.parse(line) as { id?: unknown }).id;
        if (typeof id !== "number" || id === 0) continue;
        answered.add(id);
        const call = traced.some((e) => e.kind === "call" && e.id === id && e.forwarded === true);
        if (!call) late.push(id);
      }
      if (answered.size === N) closeClient();
    },
  });
  const code = await runProxy({
    mode: "enforce",
    server: "fake",
    policy: compiled,
    cwd: "/",
    home: "/home/me",
    sessionId: "s1",
    trace: sink,
    redact: (v) => ({ value: v, fired: [] }),
    diag: () => {},
    launch: { command: Deno.execPath(), args: ["run", "--no-config", "--no-prompt", FAKE, "echo"] },
    clientIn,
    clientOut,
    graceMs: 2000,
  });
  assert.equal(code, 0);
  assert.equal(answered.size, N);
  assert.deepEqual(late, [], "answers that left before their call lines");
  const results = new Set<unknown>(traced.filter((e) => e.kind === "result").map((e) => e.id));
  assert.deepEqual([...answered].filter((id) => !results.has(id)), [], "answers without a result line");
});

/** Runs the fake echo server behind runProxy with `beforeCalls`; the client sends initialize and three calls at once. */
async function runGated(beforeCalls: (events: string[]) => Promise<void>) {
  const { policy } = parsePolicy("version: 1\nservers:\n  fake:\n    allowed_tools: [echo]\n", {
    file: "p.yaml",
  });
  const compiled = compilePolicy(policy, { baseDir: "/", home: "/home/me", realpath: () => undefined });
  const events: string[] = [];
  const diags: string[] = [];
  const lines = [
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {} },
    },
    ...[1, 2, 3].map((id) => ({
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name: "echo", arguments: { message: String(id) } },
    })),
  ].map((m) => JSON.stringify(m) + "\n").join("");
  let closeClient = () => {};
  const clientIn = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(lines));
      closeClient = () => c.close();
    },
  });
  const dec = new TextDecoder();
  let rest = "";
  const clientOut = new WritableStream<Uint8Array>({
    write(chunk) {
      rest += dec.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const line of parts) events.push(`answer ${(JSON.parse(line) as { id?: unknown }).id}`);
      if (events.filter((e) => e.startsWith("answer")).length === 4) closeClient();
    },
  });
  const code = await runProxy({
    mode: "enforce",
    server: "fake",
    policy: compiled,
    cwd: "/",
    home: "/home/me",
    sessionId: "s1",
    trace: { write: () => {}, close: () => {} },
    redact: (v) => ({ value: v, fired: [] }),
    diag: (m) => void diags.push(m),
    launch: { command: Deno.execPath(), args: ["run", "--no-config", "--no-prompt", FAKE, "echo"] },
    clientIn,
    clientOut,
    graceMs: 2000,
    beforeCalls: () => beforeCalls(events),
  });
  return { code, events, diags };
}

Deno.test("runProxy() answers initialize without waiting for beforeCalls and holds later messages, in order, until it settles", async () => {
  const { code, events } = await runGated((events) => {
    events.push("start");
    // Settles only once the initialize answer has reached the client: held calls cannot have gone before.
    return new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (!events.includes("answer 0")) return;
        clearInterval(t);
        events.push("settled");
        resolve();
      }, 5);
    });
  });
  assert.equal(code, 0);
  assert.deepEqual(events, ["start", "answer 0", "settled", "answer 1", "answer 2", "answer 3"]);
});

Deno.test("runProxy() reports a beforeCalls failure on diag and still passes the held messages on", async () => {
  const { code, events, diags } = await runGated(() => Promise.reject(new Error("cannot load the parser")));
  assert.equal(code, 0);
  assert.deepEqual(events.slice().sort(), ["answer 0", "answer 1", "answer 2", "answer 3"]);
  assert.ok(diags.some((d) => d.includes("cannot load the parser")), diags.join("\n"));
});
