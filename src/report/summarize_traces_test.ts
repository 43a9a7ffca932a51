import assert from "node:assert/strict";
import { sampleTraceEvents } from "../../tests/report/fixtures/report_data.ts";
import { summarizeTraces, TraceSummarizer } from "./summarize_traces.ts";

Deno.test("summarizeTraces() counts every outcome per server and tool", () => {
  const a = summarizeTraces(sampleTraceEvents(), {
    files: 2,
    problems: [{ file: "t.jsonl", line: 99, message: "not JSON" }],
  });
  assert.equal(a.calls, 27);
  assert.deepEqual(a.totals, {
    allowed: 21,
    denied: 2,
    approved: 1,
    approvalRefused: 1,
    contained: 1,
    recorded: 1,
  });
  assert.deepEqual(a.servers.map((s) => [s.server, s.calls]), [["filesystem", 23], ["github", 3], [
    "shell",
    1,
  ]]);
  const gh = a.servers.find((s) => s.server === "github")!;
  assert.deepEqual(gh.tools.map((t) => [t.tool, t.calls]), [["merge_pr", 2], ["create_issue", 1]]);
  assert.deepEqual(
    gh.unusedTools,
    ["<img src=x onerror=alert(1)>", "delete_repo"],
    "listed but never called",
  );
  assert.equal(
    a.forwardedNotAllowed,
    1,
    "only the legacy record-mode call reached a server without an allow",
  );
  assert.equal(a.malformed, 1);
  assert.deepEqual(a.denyRules, [
    { ruleId: "rule/<img src=x onerror=alert(1)>", count: 1 },
    { ruleId: "rule/merge_pr", count: 1 },
    { ruleId: "rule/read_file", count: 1 },
  ], "only denials and refused approvals count");
  assert.deepEqual(a.problems, ["t.jsonl:99: not JSON"]);
  assert.equal(a.first, "2026-01-01T10:00:00.000Z");
  assert.equal(a.last, "2026-01-01T10:57:00.000Z");
});

Deno.test("summarizeTraces() buckets the timeline on round intervals and loses no call", () => {
  const a = summarizeTraces(sampleTraceEvents(), { files: 1 });
  assert.equal(a.timeline.length, 12, "five-minute bars over an hour");
  assert.equal(a.timeline[0]!.start, "2026-01-01T10:00:00.000Z");
  assert.equal(a.timeline[0]!.end, "2026-01-01T10:05:00.000Z");
  const sum = a.timeline.reduce((s, b) => s + Object.values(b.counts).reduce((x, y) => x + y, 0), 0);
  assert.equal(sum, a.calls);
});

Deno.test("summarizeTraces() counts record-mode denies as forwarded without an allow", () => {
  const a = summarizeTraces([
    {
      v: 1,
      kind: "call",
      time: "2026-01-01T00:00:00Z",
      sessionId: "s",
      server: "fs",
      mode: "record",
      tool: "read_file",
      decision: { verdict: "deny", ruleIds: [], reason: "" },
    },
    { v: 1, kind: "tools", time: "2026-01-01T00:00:01Z", sessionId: "s", server: "fs", mode: "record" },
    {
      v: 1,
      kind: "containment",
      time: "2026-01-01T00:00:02Z",
      sessionId: "s",
      server: "fs",
      mode: "record",
      source: "broker",
      permission: "read",
      decision: { verdict: "deny", ruleIds: [], reason: "" },
    },
  ], { files: 1 });
  assert.equal(a.calls, 2, "a tools/list event is not a call; a broker denial counts as contained");
  assert.equal(a.totals.contained, 1);
  assert.equal(a.forwardedNotAllowed, 1);
  assert.equal(a.timeline.length, 3, "one-second bars over two seconds");
});

Deno.test("summarizeTraces() of nothing has no timeline", () => {
  const a = summarizeTraces([], { files: 0 });
  assert.equal(a.calls, 0);
  assert.deepEqual(a.timeline, []);
  assert.equal(a.first, undefined);
});

Deno.test("TraceSummarizer keeps memory bounded and agrees with summarizeTraces() over 200,000 calls", () => {
  const acc = new TraceSummarizer();
  const base = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 200_000; i++) {
    acc.add({
      v: 1,
      kind: "call",
      time: new Date(base + i * 1000).toISOString(),
      sessionId: "s",
      server: `s${i % 3}`,
      mode: "enforce",
      tool: `t${i % 7}`,
      decision: { verdict: i % 10 === 0 ? "deny" : "allow", ruleIds: [], reason: "" },
    });
  }
  const a = acc.finish({ files: 1, malformed: 5 });
  assert.equal(a.calls, 200_000);
  assert.equal(a.totals.denied, 20_000);
  assert.equal(a.malformed, 5);
  assert.equal(a.servers.length, 3);
  assert.equal(a.timeline.reduce((n, b) => n + b.counts.allowed + b.counts.denied, 0), 200_000);
  assert.ok(a.timeline.length <= 24);
});
