import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import type { TraceEventV1, TraceSink } from "../trace/mod.ts";
import { runProxy } from "./run_proxy.ts";

const FAKE = fileURLToPath(new URL("../../tests/proxy/_fake_server.ts", import.meta.url));

Deno.test("runProxy() writes each call's trace lines before its answer reaches the client (write-ahead)", async () => {
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
      // At the moment bytes reach the client, the trace must already hold the call and its result.
      rest += dec.decode(chunk, { stream: true });
      const parts = rest.split("\n");
      rest = parts.pop()!;
      for (const line of parts) {
        const id = (JSON.parse(line) as { id?: unknown }).id;
        if (typeof id !== "number" || id === 0) continue;
        answered.add(id);
        const call = traced.some((e) => e.kind === "call" && e.id === id && e.forwarded === true);
        const result = traced.some((e) => e.kind === "result" && e.id === id);
        if (!call || !result) late.push(id);
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
  assert.deepEqual(late, [], "answers that left before their trace lines");
});
