import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { canonicalizeCall, hostRealpath } from "../../src/canonical/mod.ts";
import { fakeIo } from "../../src/cli/io.ts";
import { decide } from "../../src/decision/mod.ts";
import { run } from "../../src/cli/run.ts";
import { formatLockFile, lockLaunch, lockTool } from "../../src/lock/mod.ts";
import { loadPolicy } from "../../src/policy/mod.ts";

const home = "/home/dev";
const fixture = (p: string) => fileURLToPath(new URL(`../fixtures/traces/${p}`, import.meta.url));
const SESSION = fixture("valid/v1_session.jsonl");
const LEGACY = fixture("valid/legacy_original.jsonl");
const MALFORMED = fixture("invalid/malformed_lines.jsonl");

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-infer-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

async function infer(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  const io = fakeIo({ cwd: opts.cwd, env: { HOME: home, ...opts.env } });
  const code = await run(["infer", ...args], io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

Deno.test("infer --out writes a policy that loads cleanly, prints the summary, and is byte-identical on rerun", async () => {
  await using tmp = await tempDir();
  const out = join(tmp.path, "mcp.policy.yaml");
  const a = await infer([SESSION, "--out", out], { cwd: tmp.path });
  assert.equal(a.code, 0, a.err);
  const first = await Deno.readTextFile(out);
  const loaded = await loadPolicy(out, { cwd: tmp.path, home });
  assert.deepEqual(loaded.warnings, []);
  assert.deepEqual(loaded.policy.servers!.github!.allowed_tools, [
    "create_issue",
    "get_updates",
    "list_issues",
  ]);
  assert.match(a.out, /The agent used filesystem: /);
  assert.match(a.out, /It does not need shell or command execution, /);
  assert.match(a.out, /Seen, not learned:\n/);
  assert.match(a.out, /filesystem\.move_file: approval refused/);
  const b = await infer([SESSION, "--out", out, "--force"], { cwd: tmp.path });
  assert.equal(b.code, 0, b.err);
  assert.equal(await Deno.readTextFile(out), first);
});

Deno.test("infer without --out prints only the policy on stdout and the summary on stderr", async () => {
  await using tmp = await tempDir();
  const r = await infer([LEGACY, "--cwd", "/home/dev/proj"], { cwd: tmp.path });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^# Draft least-privilege policy/);
  assert.doesNotMatch(r.out, /It does not need/);
  assert.match(r.err, /It needs human approval for gmail\.send_email/);
  assert.match(r.out, /- gmail\.send_email # 1 call\(s\); a human approved it 1x/);
  assert.match(r.out, /- ~\/proj\/src # 3 call\(s\), 3 paths under it, e\.g\. ~\/proj\/src\/app\.py/);
  assert.doesNotMatch(r.out, /\.ssh\/config/);
});

Deno.test("infer reports malformed lines with file:line, skips them and still learns the rest", async () => {
  await using tmp = await tempDir();
  const r = await infer([MALFORMED, "--cwd", "/home/dev/proj"], { cwd: tmp.path });
  assert.equal(r.code, 0, r.err);
  for (const n of [2, 3, 4, 5, 6, 8, 9]) assert.match(r.err, new RegExp(`malformed_lines\\.jsonl:${n}: `));
  assert.doesNotMatch(r.err, /malformed_lines\.jsonl:[17]: /);
  assert.match(r.out, /- ~\/proj\/ok\.txt # 1 call\(s\), used as is/);
});

Deno.test("infer exits 3 when the traces hold no call, 4 when a file is missing, 2 on bad flags", async () => {
  await using tmp = await tempDir();
  const junk = join(tmp.path, "junk.jsonl");
  await Deno.writeTextFile(junk, "garbage\n{}\n");
  const none = await infer([junk], { cwd: tmp.path });
  assert.equal(none.code, 3);
  assert.match(none.err, /No call or tool list found in 1 trace file\(s\) \(2 malformed line\(s\) skipped\)/);
  const missing = await infer([join(tmp.path, "nope.jsonl")], { cwd: tmp.path });
  assert.equal(missing.code, 4);
  assert.match(missing.err, /Cannot read traces/);
  assert.equal((await infer([SESSION, "--format", "xml"], { cwd: tmp.path })).code, 2);
  assert.equal((await infer([SESSION, "--generalize-after", "1"], { cwd: tmp.path })).code, 2);
  const noDefault = await infer([], { cwd: tmp.path, env: { XDG_STATE_HOME: join(tmp.path, "state") } });
  assert.equal(noDefault.code, 4);
  assert.match(noDefault.err, /agentperms record/);
});

Deno.test("infer refuses to overwrite an existing --out unless merging into it or --force", async () => {
  await using tmp = await tempDir();
  const out = join(tmp.path, "p.yaml");
  await Deno.writeTextFile(out, "version: 1\nservers: {}\n");
  const r = await infer([SESSION, "--out", out], { cwd: tmp.path });
  assert.equal(r.code, 2);
  assert.match(r.err, /Refusing to overwrite/);
  assert.equal(await Deno.readTextFile(out), "version: 1\nservers: {}\n");
});

Deno.test("infer --merge keeps existing denies and approvals and prints the diff", async () => {
  await using tmp = await tempDir();
  const policy = join(tmp.path, "mcp.policy.yaml");
  await Deno.writeTextFile(
    policy,
    `version: 1
servers:
  filesystem:
    allowed_tools: [read_text_file]
    # reviewed by the security team
    denied_tools: [list_directory]
    denied_paths: [/srv/private]
approvals:
  require_human_approval: [github.create_issue]
`,
  );
  const r = await infer([SESSION, "--merge", policy, "--out", policy], { cwd: tmp.path });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^\+\s+- list_allowed_directories # 1 call\(s\)$/m);
  assert.match(r.out, /^-\s+allowed_tools: \[read_text_file\]$/m);
  assert.match(r.out, /note: filesystem: "list_directory" stays denied: the existing policy denies it/);
  assert.match(await Deno.readTextFile(policy), /# reviewed by the security team\n\s+denied_tools:/);
  const merged = (await loadPolicy(policy, { cwd: tmp.path, home })).policy;
  assert.deepEqual(merged.servers!.filesystem!.denied_tools!.slice(0, 1), ["list_directory"]);
  assert.ok(!merged.servers!.filesystem!.allowed_tools!.includes("list_directory"));
  assert.ok(merged.servers!.filesystem!.denied_paths!.includes("/srv/private"));
  assert.ok(merged.approvals!.require_human_approval!.includes("github.create_issue"));
  assert.ok(merged.approvals!.require_human_approval!.includes("filesystem.write_file"));
});

Deno.test("infer --format json returns the policy, counts, not-learned groups and malformed lines", async () => {
  await using tmp = await tempDir();
  const r = await infer([SESSION, MALFORMED, "--format", "json"], { cwd: tmp.path });
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.policy.version, 1);
  assert.equal(j.counts.malformed, 7);
  assert.ok(j.notLearned.some((n: { reason: string }) => n.reason === "approval refused"));
  assert.ok(j.sensitive.some((s: { path: string }) => s.path === "/home/dev/.ssh/id_rsa"));
  assert.equal(typeof j.yaml, "string");
});

Deno.test("infer reads the default trace directory, Deno audit files and --lock tool names", async () => {
  await using tmp = await tempDir();
  const dir = join(tmp.path, "state", "agentperms", "traces");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.copyFile(LEGACY, join(dir, "session-1.jsonl"));
  await Deno.writeTextFile(
    join(dir, "filesystem.0123456789ab.permissions.jsonl"), // as a proxy that crashed leaves it
    [
      { permission: "env", value: "__MINIMATCH_TESTING_PLATFORM__" },
      { permission: "read", value: "/srv/data" },
      { permission: "read", value: "/home/dev/.ssh/id_rsa" },
    ].map((a) => JSON.stringify({ v: 1, datetime: "2026-11-24T21:07:58Z", ...a })).join("\n") + "\n",
  );
  const lock = join(tmp.path, "mcp.lock");
  await Deno.writeTextFile(
    lock,
    formatLockFile({
      v: 1,
      servers: {
        github: {
          launch: lockLaunch({ command: "x", args: [], envNames: [] }),
          tools: {
            list_repos: lockTool({ name: "list_repos", inputSchema: { type: "object" } }),
            delete_repo: lockTool({ name: "delete_repo", inputSchema: { type: "object" } }),
          },
        },
      },
    }),
  );
  const r = await infer(["--lock", lock, "--cwd", "/home/dev/proj"], {
    cwd: tmp.path,
    env: { XDG_STATE_HOME: join(tmp.path, "state") },
  });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /sandbox:\n\s+read:\n\s+- \/srv\/data # 1 audit record\(s\)/);
  assert.match(r.out, /env: \[ __MINIMATCH_TESTING_PLATFORM__ \]/);
  assert.match(r.out, /denied_tools:\n\s+- delete_repo # offered, never used; delete/);
  assert.doesNotMatch(r.out, /\.ssh\/id_rsa #/);
  assert.doesNotMatch(r.out, /0123456789ab/, "the session id is not part of the server name");
});

Deno.test("infer learns every form of a symlinked path, so enforcement with realpath still allows it", async () => {
  await using tmp = await tempDir();
  const real = join(tmp.path, "real");
  await Deno.mkdir(join(real, "sub"), { recursive: true });
  await Deno.writeTextFile(join(real, "sub", "a.txt"), "a");
  await Deno.symlink(real, join(tmp.path, "link"));
  const trace = join(tmp.path, "t.jsonl");
  await Deno.writeTextFile(
    trace,
    JSON.stringify({
      ts: 1,
      server: "fs",
      tool: "read_file",
      args: { path: "link/sub/a.txt" },
      decision: "allow",
    }) +
      "\n",
  );
  const out = join(tmp.path, "p.yaml");
  const r = await infer([trace, "--out", out, "--cwd", tmp.path], { cwd: tmp.path });
  assert.equal(r.code, 0, r.err);
  const loaded = await loadPolicy(out, { cwd: tmp.path, home });
  assert.deepEqual(loaded.policy.servers!.fs!.allowed_paths, ["./link/sub/a.txt", "./real/sub/a.txt"]);
  const call = canonicalizeCall(
    { server: "fs", tool: "read_file", arguments: { path: "link/sub/a.txt" } },
    { cwd: tmp.path, home, realpath: hostRealpath },
  );
  assert.equal(decide(loaded.compiled, call).verdict, "allow");
  const sibling = canonicalizeCall(
    { server: "fs", tool: "read_file", arguments: { path: "link/sub/b.txt" } },
    { cwd: tmp.path, home, realpath: hostRealpath },
  );
  assert.equal(decide(loaded.compiled, sibling).verdict, "deny");
});

Deno.test("infer reads a killed proxy's trace: a call whose result line never came is counted, not learned", async () => {
  await using tmp = await tempDir();
  const file = join(tmp.path, "killed.jsonl");
  const base = { v: 1, time: "2026-01-01T00:00:00.000Z", sessionId: "s", server: "fs", mode: "record" };
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      ...base,
      kind: "call",
      direction: "client",
      method: "tools/call",
      id: 1,
      tool: "read_file",
      arguments: { path: "/home/dev/a.txt" },
      forwarded: true,
      decision: { verdict: "allow", ruleIds: [], reason: "record", decisionId: "s-1" },
    }) + "\n",
  );
  const r = await infer([file, "--format", "json"], { cwd: tmp.path });
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.equal(out.counts.calls, 1);
  assert.equal(out.counts.learned, 0);
  assert.match(JSON.stringify(out.notLearned), /no result recorded/);
});
