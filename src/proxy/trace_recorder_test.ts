import assert from "node:assert/strict";
import { MemoryTraceSink } from "../trace/mod.ts";
import { ARG_STRING_CHARS, SUMMARY_CHARS, TraceRecorder } from "./trace_recorder.ts";

Deno.test("TraceRecorder numbers decisions, redacts and clips what it writes, and writes only on flush", async () => {
  const trace = new MemoryTraceSink();
  const r = new TraceRecorder({
    sessionId: "s",
    server: "fs",
    mode: "record",
    trace,
    redact: (v) => {
      const s = JSON.stringify(v);
      return s.includes("SECRET")
        ? { value: JSON.parse(s.replaceAll("SECRET", "‹redacted›")), fired: [{ ruleId: "x", pointer: "/a" }] }
        : { value: v, fired: [] };
    },
    clock: () => new Date(0),
  });
  assert.equal(r.nextDecisionId(), "s-1");
  const ev = r.event("call");
  ev.arguments = { a: "SECRET", long: "y".repeat(ARG_STRING_CHARS + 10) };
  r.emit(ev);
  assert.equal(trace.events.length, 0, "queued until flushed");
  await Promise.resolve();
  const [written] = trace.events;
  assert.equal((written!.arguments as Record<string, string>).a, "‹redacted›");
  assert.match((written!.arguments as Record<string, string>).long!, /…‹10 more characters›$/);
  assert.deepEqual(written!.redactions, [{ ruleId: "x", pointer: "/a" }]);
  assert.equal(written!.time, "1970-01-01T00:00:00.000Z");
});

Deno.test("TraceRecorder redacts only what the trace keeps plus the margin, not the whole text", async () => {
  let longest = 0;
  const trace = new MemoryTraceSink();
  const r = new TraceRecorder({
    sessionId: "s",
    server: "fs",
    mode: "record",
    trace,
    redact: (v) => {
      longest = Math.max(longest, JSON.stringify(v).length);
      return { value: v, fired: [] };
    },
  });
  const ev = r.event("result");
  ev.result = { outcome: "ok", summary: r.summary("x".repeat(1_000_000)) };
  r.emit(ev);
  await Promise.resolve();
  assert.ok(longest <= SUMMARY_CHARS + 4096 + 2, `redacted ${longest} characters`);
  const call = r.event("call");
  call.arguments = { a: "y".repeat(1_000_000) };
  r.emit(call);
  await Promise.resolve();
  assert.ok(longest <= ARG_STRING_CHARS + 4096 + 64, `redacted ${longest} characters`);
  assert.equal(trace.events[0]!.result!.summary, "x".repeat(SUMMARY_CHARS) + "…");
});

Deno.test("TraceRecorder copies only arguments it must clip, keeps a __proto__ key, and never changes the call", async () => {
  const trace = new MemoryTraceSink();
  const seen: unknown[] = [];
  const r = new TraceRecorder({
    sessionId: "s",
    server: "fs",
    mode: "record",
    trace,
    redact: (v) => {
      seen.push(v);
      return { value: v, fired: [] };
    },
  });
  const short = { path: "/a", n: [1, { b: "c" }] };
  const ev = r.event("call");
  ev.arguments = short;
  r.emit(ev);
  const long = JSON.parse(`{"__proto__":{"x":"${"y".repeat(ARG_STRING_CHARS + 5000)}"},"k":"v"}`);
  const ev2 = r.event("call");
  ev2.arguments = long;
  r.emit(ev2);
  await Promise.resolve();
  assert.equal(seen[0], short, "nothing to clip: redacted as it is, no copy");
  assert.equal(long.__proto__.x.length, ARG_STRING_CHARS + 5000, "the call's own value is unchanged");
  const written = trace.events[1]!.arguments as Record<string, Record<string, string>>;
  assert.deepEqual(Object.keys(written), ["__proto__", "k"]);
  assert.match(Object.getOwnPropertyDescriptor(written, "__proto__")!.value.x, /…‹5000 more characters›$/);
});
