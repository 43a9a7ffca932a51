import assert from "node:assert/strict";
import { TraceAccumulator } from "./trace_accumulator.ts";

const home = "/home/dev";
const P = "/home/dev/proj";
const ok = { outcome: "ok", isError: false };
const allow = { verdict: "allow", ruleIds: ["x"], reason: "ok" };
const v1 = (extra: Record<string, unknown>) =>
  JSON.stringify({
    v: 1,
    kind: "call",
    time: "2026-01-01T00:00:00Z",
    sessionId: "s",
    server: "fs",
    mode: "enforce",
    direction: "client",
    method: "tools/call",
    tool: "read_file",
    arguments: { path: "src/a.ts" },
    cwd: P,
    decision: allow,
    forwarded: true,
    result: ok,
    ...extra,
  });
const feed = (lines: string[], file = "t.jsonl") => {
  const acc = new TraceAccumulator({ cwd: "/cwd", home });
  lines.forEach((l, i) => acc.addLine(l, { file, line: i + 1 }));
  return acc;
};
const reasons = (acc: TraceAccumulator) =>
  [...acc.notLearned.values()].map((n) => `${n.tool}:${n.reason}`).sort();

Deno.test("TraceAccumulator learns an allowed call that succeeded, with its canonical path", () => {
  const acc = feed([v1({})]);
  const s = acc.servers.get("fs")!;
  assert.deepEqual(s.tools.get("read_file"), { learned: 1, approved: 0 });
  assert.deepEqual([...s.paths.keys()], [`${P}/src/a.ts`]);
  assert.equal(acc.counts.learned, 1);
});

Deno.test("TraceAccumulator does not learn denied, failed, erroring, unanswered or sandbox-blocked calls", () => {
  const acc = feed([
    v1({ tool: "a", decision: { verdict: "deny", ruleIds: ["r"], reason: "no" }, forwarded: false }),
    v1({ tool: "b", mode: "record", decision: { verdict: "deny", ruleIds: ["r"], reason: "no" } }),
    v1({ tool: "c", result: { outcome: "error" } }),
    v1({ tool: "d", result: { outcome: "ok", isError: true } }),
    v1({ tool: "e", result: undefined }),
    v1({ tool: "f", result: { outcome: "ok", containment: "Requires read access" } }),
    v1({ tool: "g", forwarded: false }),
  ]);
  assert.equal(acc.counts.learned, 0);
  assert.deepEqual(reasons(acc), [
    "a:denied",
    "b:denied",
    "c:failed",
    "d:tool error",
    "e:no result recorded",
    "f:blocked by the sandbox",
    "g:not forwarded",
  ]);
  assert.equal(acc.servers.get("fs")!.paths.size, 0);
});

Deno.test("TraceAccumulator keeps granted approvals as approvals and skips refused ones", () => {
  const approve = { verdict: "approve", ruleIds: ["approvals.require_human_approval[0]"], reason: "ask" };
  const acc = feed([
    v1({ tool: "write_file", decision: approve, approval: { channel: "tty", granted: true } }),
    v1({
      tool: "move_file",
      decision: approve,
      approval: { channel: "tty", granted: false },
      forwarded: false,
      result: { outcome: "none" },
    }),
  ]);
  const s = acc.servers.get("fs")!;
  assert.deepEqual(s.tools.get("write_file"), { learned: 0, approved: 1 });
  assert.equal(s.tools.has("move_file"), false);
  assert.deepEqual(reasons(acc), ["move_file:approval refused"]);
  assert.equal(s.paths.size, 0, "approved calls do not widen allowed_paths");
});

Deno.test("TraceAccumulator never learns secret, too-broad or guarded calls", () => {
  const acc = feed([
    v1({ arguments: { path: "~/.ssh/id_rsa" } }),
    v1({ arguments: { path: "/README.md" } }),
    v1({ arguments: { path: "/" } }),
    v1({ arguments: { path: "~" } }),
    v1({ tool: "fetch", arguments: { url: "http://169.254.169.254/" } }),
  ]);
  assert.equal(acc.counts.learned, 0);
  assert.deepEqual([...acc.sensitive.keys()], [`${home}/.ssh/id_rsa`]);
  assert.deepEqual(reasons(acc), [
    "fetch:blocked by a guard",
    "read_file:sensitive path",
    "read_file:too broad path",
  ]);
});

Deno.test("TraceAccumulator reads the original's format: record/allow learned, require_approval kept, deny skipped", () => {
  const acc = feed([
    '{"ts":1,"server":"fs","tool":"read","args":{"path":"README.md"},"decision":"record"}',
    '{"ts":2,"server":"fs","tool":"read","args":{"path":"./src/x"},"decision":"allow"}',
    '{"ts":3,"server":"mail","tool":"send_email","args":{"to":"a@b.co"},"decision":"require_approval"}',
    '{"ts":4,"server":"fs","tool":"write","args":{"path":"./src/x"},"decision":"deny"}',
  ]);
  assert.deepEqual([...acc.servers.get("fs")!.paths.keys()].sort(), ["/cwd/README.md", "/cwd/src/x"]);
  assert.deepEqual(acc.servers.get("mail")!.tools.get("send_email"), { learned: 0, approved: 1 });
  assert.deepEqual(reasons(acc), ["write:denied"]);
});

Deno.test("TraceAccumulator reports malformed lines with file:line and keeps going", () => {
  const acc = feed([
    "not json",
    "[1]",
    '{"v":1,"kind":"call"}',
    '{"server":"fs"}',
    "",
    v1({}),
    '{"v":1,"permission":"read","value":"/x"}',
    v1({}).replace('"tool"', '"tool":"hidden","t\\u006fol"'), // read as the proxy reads: refused
  ], "f.jsonl");
  assert.deepEqual(acc.malformed.map((m) => `${m.file}:${m.line}`), [
    "f.jsonl:1",
    "f.jsonl:2",
    "f.jsonl:3",
    "f.jsonl:4",
    "f.jsonl:7",
    "f.jsonl:8",
  ]);
  assert.match(acc.malformed[0]!.message, /^not JSON: /);
  assert.equal(acc.malformed[5]!.message, 'duplicate key "tool" in one object');
  assert.equal(acc.counts.learned, 1);
});

Deno.test("TraceAccumulator records offered tools with annotations and containment audits", () => {
  const acc = feed([
    JSON.stringify({
      v: 1,
      kind: "tools",
      time: "t",
      sessionId: "s",
      server: "fs",
      mode: "record",
      tools: [{ name: "rm", annotations: { destructiveHint: true, title: "x" } }, { name: "ls" }],
    }),
    JSON.stringify({
      v: 1,
      kind: "containment",
      time: "t",
      sessionId: "s",
      server: "fs",
      mode: "record",
      audits: [
        { permission: "read", value: "/srv/data/" },
        { permission: "net", value: "http://h:80/" },
        { permission: "net", value: "h:80" },
        { permission: "read", value: `${home}/.aws/credentials` },
        { permission: "sys", value: "hostname" },
      ],
    }),
  ]);
  const base = { v: 1, kind: "containment", time: "t", sessionId: "s", server: "fs", mode: "record" };
  acc.addLine(
    JSON.stringify({ ...base, source: "audit", permission: "read", value: "/srv/data", count: 4 }),
    {
      file: "t",
      line: 3,
    },
  );
  acc.addLine(JSON.stringify({ ...base, source: "runtime", permission: "read", value: "/srv/denied" }), {
    file: "t",
    line: 4,
  });
  acc.addLine(
    JSON.stringify({
      ...base,
      source: "broker",
      permission: "write",
      value: "/srv/w",
      decision: { verdict: "deny", ruleIds: [], reason: "" },
    }),
    { file: "t", line: 5 },
  );
  const acc2 = new TraceAccumulator({ cwd: "/", home });
  acc2.addLine('{"v":1,"datetime":"t","permission":"env","value":"HOME"}', {
    file: "fs.permissions.jsonl",
    line: 1,
    auditServer: "fs",
  });
  const s = acc.servers.get("fs")!;
  assert.deepEqual([...s.offered], [["rm", { destructiveHint: true }], ["ls", undefined]]);
  assert.deepEqual([...s.sandbox.read], [["/srv/data", 5]]);
  assert.equal(s.sandbox.write.size, 0, "broker denials and runtime denials are not needs");
  assert.deepEqual([...s.sandbox.net.keys()], ["h:80"]);
  assert.deepEqual([...acc.sensitive.keys()], [`${home}/.aws/credentials`]);
  assert.deepEqual([...acc2.servers.get("fs")!.sandbox.env.keys()], ["HOME"]);
});

Deno.test("TraceAccumulator applies the tool-name guard per name even when arguments are shared", () => {
  const acc = feed([v1({ tool: "read_file" }), v1({ tool: "read\u200bfile" })]);
  assert.equal(acc.counts.learned, 1);
  assert.deepEqual(reasons(acc), ["read\u200bfile:blocked by a guard"]);
});

Deno.test("TraceAccumulator trusts the proxy's pre-redaction paths when arguments were redacted", () => {
  const acc = feed([
    v1({
      arguments: { path: "src/[redacted]" },
      paths: [`${P}/src/alice@example.com.txt`],
      redactions: [{ ruleId: "emails", pointer: "/path" }],
    }),
  ]);
  assert.deepEqual([...acc.servers.get("fs")!.paths.keys()], [`${P}/src/alice@example.com.txt`]);
});

Deno.test("TraceAccumulator learns a call from its call and result lines, and not one whose answer never came", () => {
  const call = (id: number, tool: string) =>
    v1({ id, tool, result: undefined, decision: { ...allow, decisionId: `s-${id}` } });
  const result = (id: number, r: unknown) =>
    JSON.stringify({
      v: 1,
      kind: "result",
      time: "2026-01-01T00:00:01Z",
      sessionId: "s",
      server: "fs",
      mode: "enforce",
      id,
      decisionId: `s-${id}`,
      latencyMs: 3,
      result: r,
    });
  const acc = feed([call(1, "read_file"), call(2, "write_file"), call(3, "move_file"), result(1, ok)]);
  acc.addLine(result(2, { outcome: "ok", isError: true }), { file: "t.jsonl", line: 5 });
  acc.end();
  assert.deepEqual(acc.servers.get("fs")!.tools.get("read_file"), { learned: 1, approved: 0 });
  assert.equal(acc.counts.learned, 1);
  assert.deepEqual(reasons(acc), ["move_file:no result recorded", "write_file:tool error"]);
});
