import assert from "node:assert/strict";
import { parsePolicy } from "../policy/mod.ts";
import { displayPath, inferPolicy } from "./infer_policy.ts";
import { renderPolicy } from "./render_policy.ts";
import { TraceAccumulator } from "./trace_accumulator.ts";

const home = "/home/dev";
const P = "/home/dev/proj";
const legacy = (server: string, tool: string, args: unknown, decision = "record") =>
  JSON.stringify({ ts: 1, server, tool, args, decision });
const tools = (server: string, list: unknown[]) =>
  JSON.stringify({ v: 1, kind: "tools", time: "t", sessionId: "s", server, mode: "record", tools: list });

function infer(lines: string[], opts: { lock?: Map<string, Map<string, undefined>> } = {}) {
  const acc = new TraceAccumulator({ cwd: P, home });
  lines.forEach((l, i) => acc.addLine(l, { file: "t", line: i + 1 }));
  return inferPolicy(acc, { baseDir: P, home, lockTools: opts.lock });
}

const SESSION = [
  tools("fs", [{ name: "read_file" }, { name: "delete_file" }, { name: "exec_script" }, { name: "stat" }]),
  legacy("fs", "read_file", { path: "src/a.ts" }),
  legacy("fs", "read_file", { path: "src/b.ts" }),
  legacy("fs", "read_file", { path: "src/c.ts" }),
  legacy("fs", "read_file", { path: "/opt/data/report.csv" }),
  legacy("fs", "read_file", { path: "~/notes/todo.md" }),
  legacy("mail", "send_email", { to: "x@example.com" }),
  legacy("web", "fetch", { url: "https://api.example.com/v1" }),
];

Deno.test("inferPolicy() allows used tools, sends used dangerous tools to approval and denies unused dangerous ones", () => {
  const r = infer(SESSION);
  const fs = r.policy.servers!.fs!;
  assert.deepEqual(fs.allowed_tools, ["read_file"]);
  assert.deepEqual(fs.denied_tools, ["delete_file", "exec_script"]);
  assert.deepEqual(r.policy.approvals?.require_human_approval, ["mail.send_email"]);
  assert.deepEqual(r.policy.servers!.mail!.allowed_tools, []);
  assert.deepEqual(r.policy.servers!.web!.allowed_hosts, ["api.example.com"]);
  assert.deepEqual(r.policy.servers!.web!.allowed_paths, []);
});

Deno.test("inferPolicy() writes paths relative to the policy, under ~ or absolute, and seeds secret denies", () => {
  const fs = infer(SESSION).policy.servers!.fs!;
  assert.deepEqual(fs.allowed_paths, ["./src", "/opt/data/report.csv", "~/notes/todo.md"]);
  assert.ok(fs.denied_paths!.includes("~/.ssh"));
  assert.ok(fs.denied_patterns!.includes(".env.*") && fs.denied_patterns!.includes("id_rsa*"));
});

Deno.test("inferPolicy() uses lock tool names to deny dangerous tools no trace listed", () => {
  const lock = new Map([["fs", new Map([["drop_database", undefined], ["read_file", undefined]])]]);
  const r = infer([legacy("fs", "read_file", { path: "src/a.ts" })], { lock });
  assert.deepEqual(r.policy.servers!.fs!.denied_tools, ["drop_database"]);
});

Deno.test("renderPolicy() output loads with parsePolicy() without errors or warnings and is byte-identical", () => {
  const a = infer(SESSION);
  const b = infer(SESSION);
  const ya = renderPolicy(a.policy, { comments: a.comments, header: ["h"] });
  const yb = renderPolicy(b.policy, { comments: b.comments, header: ["h"] });
  assert.equal(ya, yb);
  // The rules do not depend on the order of the lines (only the untrusted-input review notes do).
  assert.deepEqual(infer([...SESSION].reverse()).policy, a.policy);
  const parsed = parsePolicy(ya, { file: "out.yaml" });
  assert.deepEqual(parsed.warnings, []);
  assert.deepEqual(parsed.policy, a.policy);
  assert.match(ya, /- \.\/src # 3 call\(s\), 3 paths under it, e\.g\. \.\/src\/a\.ts, \.\/src\/b\.ts/);
  assert.match(ya, /- mail\.send_email # 1 call\(s\); dangerous \(send: name word "send"\)/);
});

Deno.test("inferPolicy() never emits an entry that allows everything", () => {
  const r = infer([
    legacy("fs", "read_file", { path: "/" }),
    legacy("fs", "read_file", { path: "~" }),
    legacy("fs", "read_file", { path: "README.md" }),
  ]);
  const fs = r.policy.servers!.fs!;
  assert.deepEqual(fs.allowed_paths, ["./README.md"]);
  assert.ok(!fs.allowed_paths!.some((p) => p === "/" || p === "~" || p === "."));
});

Deno.test("displayPath() prefers ./ inside the policy directory, then ~, then absolute", () => {
  const o = { baseDir: P, home };
  assert.equal(displayPath(P, o), ".");
  assert.equal(displayPath(`${P}/src`, o), "./src");
  assert.equal(displayPath(`${P}-other/x`, o), "~/proj-other/x");
  assert.equal(displayPath("/etc/hosts", o), "/etc/hosts");
});

Deno.test("inferPolicy() flags multiplexed tools and sends command-taking tools to approval", () => {
  const r = infer([
    legacy("ops", "terminal", { command: "ls -la" }),
    legacy("db", "run", { sql: "select 1" }),
  ]);
  assert.deepEqual(r.policy.approvals?.require_human_approval, ["ops.terminal"]);
  assert.deepEqual(r.policy.servers!.db!.allowed_tools, ["run"]);
  assert.equal(
    r.comments.get(["servers", "db", "allowed_tools", "run"].join("\u0000")),
    ' 1 call(s); multiplexed by "sql": review',
  );
});

Deno.test("inferPolicy() learns resources/read paths and extra methods into allowed_methods", () => {
  const ev = (method: string, params: unknown) =>
    JSON.stringify({
      v: 1,
      kind: "call",
      time: "t",
      sessionId: "s",
      server: "fs",
      mode: "record",
      method,
      arguments: params,
      cwd: P,
      forwarded: true,
      result: { outcome: "ok" },
    });
  const prompt = JSON.parse(ev("prompts/get", { file: "docs/a.md" }));
  prompt.tool = "summarize";
  const r = infer([
    ev("resources/read", { uri: `file://${P}/README.md` }),
    ev("x/custom", {}),
    JSON.stringify(prompt),
  ]);
  const fs = r.policy.servers!.fs!;
  assert.deepEqual(fs.allowed_paths, ["./README.md", "./docs/a.md"]);
  assert.deepEqual(fs.allowed_methods, ["x/custom"]);
});

Deno.test("inferPolicy() flags paths first used after untrusted input entered the session", () => {
  const r = infer([
    legacy("fs", "read_file", { path: "src/a.ts" }),
    legacy("web", "fetch", { url: "https://example.com/issue/1" }),
    legacy("fs", "read_file", { path: "src/a.ts" }),
    legacy("fs", "read_file", { path: "/opt/other/config.yml" }),
  ]);
  const fs = r.servers.find((s) => s.name === "fs")!;
  assert.deepEqual(fs.afterUntrusted, [{ path: "/opt/other/config.yml", source: "web.fetch" }]);
  assert.match(
    r.comments.get(["servers", "fs", "allowed_paths", "/opt/other/config.yml"].join("\u0000"))!,
    /first used after untrusted input from web\.fetch: review$/,
  );
  assert.doesNotMatch(
    r.comments.get(["servers", "fs", "allowed_paths", "./src/a.ts"].join("\u0000"))!,
    /untrusted/,
  );
});

Deno.test("inferPolicy() never widens to the workspace: a bare README.md beside src/ and docs/ stays a file, not `.`", () => {
  const read = (path: string) => legacy("fs", "read_file", { path });
  const r = infer([
    read("README.md"),
    ...["a", "b", "c"].map((f) => read(`src/${f}.ts`)),
    ...["guide", "api", "faq"].map((f) => read(`docs/${f}.md`)),
  ]);
  assert.deepEqual(r.policy.servers!.fs!.allowed_paths, ["./README.md", "./docs", "./src"]);
  // A server working in another folder: that folder is not widened to either.
  const acc = new TraceAccumulator({ cwd: "/srv/work", home });
  [read("README.md"), read("LICENSE"), read("a/x.ts"), read("a/y.ts"), read("a/z.ts")].forEach((l, i) =>
    acc.addLine(l, { file: "t", line: i + 1 })
  );
  assert.deepEqual(inferPolicy(acc, { baseDir: P, home }).policy.servers!.fs!.allowed_paths, [
    "/srv/work/LICENSE",
    "/srv/work/README.md",
    "/srv/work/a",
  ]);
});
