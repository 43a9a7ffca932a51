import assert from "node:assert/strict";
import { join } from "node:path";
import { readTraceEvents, type TraceProblem } from "./reader.ts";

const line = (o: unknown) => JSON.stringify(o) + "\n";
const v1 = (detail: string) => ({
  v: 1,
  kind: "call",
  time: "2026-01-01T00:00:00.000Z",
  sessionId: "s",
  server: "fs",
  mode: "record",
  tool: "read_file",
  arguments: { path: "/p" },
  detail,
});

async function collect(path: string) {
  const problems: TraceProblem[] = [];
  const events = [];
  for await (const r of readTraceEvents(path, { onProblem: (p) => problems.push(p) })) events.push(r);
  return { events, problems };
}

Deno.test("readTraceEvents() skips a torn last line and reports malformed lines with file:line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = join(dir, "a.jsonl");
    await Deno.writeTextFile(
      f,
      line(v1("one")) + "{broken\n" + line({ v: 1, kind: "nope" }) + "\n" + line(v1("two")) +
        line(v1("three")).replace('"detail"', '"detail":"hidden","det\\u0061il"') + '{"v":1,"kind":"ca',
    );
    const { events, problems } = await collect(f);
    assert.deepEqual(events.map((e) => [e.event.detail, e.line]), [["one", 1], ["two", 5]]);
    assert.deepEqual(problems.map((p) => [p.line, p.torn]), [[2, false], [3, false], [6, false], [7, true]]);
    assert.match(problems[2]!.message, /^malformed line: duplicate key "detail" in one object$/);
    assert.match(problems[3]!.message, /torn last line/);
    assert.equal(problems[0]!.file, f);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readTraceEvents() reads every .jsonl in a directory in name order and maps the legacy format", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "b.jsonl"), line(v1("b")));
    await Deno.writeTextFile(
      join(dir, "a.jsonl"),
      line({
        ts: 1700000000.5,
        server: "github",
        tool: "delete_repo",
        args: { repo: "x" },
        result_summary: "",
        decision: "deny",
      }) +
        line({ ts: 1700000001, server: "fs", tool: "read", args: {}, decision: "record" }),
    );
    await Deno.writeTextFile(join(dir, "notes.txt"), "ignored");
    const { events, problems } = await collect(dir);
    assert.equal(problems.length, 0);
    assert.deepEqual(events.map((e) => e.event.tool ?? e.event.detail), ["delete_repo", "read", "read_file"]);
    const legacy = events[0]!.event;
    assert.equal(legacy.decision?.verdict, "deny");
    assert.equal(legacy.time, "2023-11-14T22:13:20.500Z");
    assert.equal(legacy.mode, "enforce");
    assert.equal(events[1]!.event.mode, "record");
    assert.equal(legacy.legacy, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readTraceEvents() throws io_failed for a missing path", async () => {
  await assert.rejects(() => collect("/nonexistent/traces"), /Cannot read traces/);
});

Deno.test("readTraceEvents() joins each call with its result line, and keeps an unanswered call (raw: as written)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = { v: 1, time: "2026-01-01T00:00:00.000Z", sessionId: "s", server: "fs", mode: "record" };
    const decision = (id: string) => ({ verdict: "allow", ruleIds: [], reason: "ok", decisionId: id });
    const lines = [
      { ...base, kind: "call", id: 1, tool: "a", forwarded: true, decision: decision("s-1") },
      { ...base, kind: "call", id: 2, tool: "b", forwarded: true, decision: decision("s-2") },
      { ...base, kind: "result", id: 1, decisionId: "s-1", latencyMs: 2, result: { outcome: "ok", size: 9 } },
    ];
    await Deno.writeTextFile(join(dir, "t.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
    const joined = [];
    for await (const r of readTraceEvents(dir)) joined.push([r.event.tool, r.event.result?.size, r.line]);
    assert.deepEqual(joined, [["a", 9, 1], ["b", undefined, 2]]);
    const raw = [];
    for await (const r of readTraceEvents(dir, { raw: true })) raw.push(r.event.kind);
    assert.deepEqual(raw, ["call", "call", "result"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
