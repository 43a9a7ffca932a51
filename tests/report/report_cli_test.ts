// End to end through the CLI: `agentperms report` over a real config folder, trace files (v1 and the
// original's format), a lock with drift and the example policy; checks what is shown, escaped and redacted.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import { formatLockFile, lockServer } from "../../src/lock/mod.ts";

const ROOT = resolve(import.meta.dirname!, "../..");
const POLICY = join(ROOT, "examples/policies/example.mcp.policy.yaml");
const XSS = "<img src=x onerror=alert(1)>";
const TOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-report-cli-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** A workspace with an MCP config, traces and a lock whose "fs" launch differs from the config. */
async function workspace(dir: string): Promise<void> {
  await Deno.writeTextFile(
    join(dir, ".mcp.json"),
    JSON.stringify({
      mcpServers: {
        fs: { command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem@2026.8.31", dir] },
        py: { command: "uvx", args: ["mcp-server-git"] },
      },
    }),
  );
  await Deno.mkdir(join(dir, "traces"));
  const ev = (minute: number, tool: string, verdict: string, extra = {}) =>
    JSON.stringify({
      v: 1,
      kind: "call",
      time: `2026-01-01T10:${String(minute).padStart(2, "0")}:00.000Z`,
      sessionId: "s1",
      server: "fs",
      mode: "enforce",
      method: "tools/call",
      tool,
      decision: { verdict, ruleIds: [], reason: "r" },
      forwarded: verdict === "allow",
      ...extra,
    });
  await Deno.writeTextFile(
    join(dir, "traces", "a.jsonl"),
    [
      ev(0, "read_file", "allow"),
      ev(1, "read_file", "allow"),
      ev(2, XSS, "deny"),
      ev(3, `leak ${TOKEN}`, "deny"),
      JSON.stringify({
        v: 1,
        kind: "drift",
        time: "2026-01-01T10:04:00.000Z",
        sessionId: "s1",
        server: "fs",
        mode: "enforce",
        tool: "read_file",
        detail: `description changed: now says ${XSS}`,
      }),
      "{not json",
    ].join("\n") + "\n",
  );
  // A folder per mode, like the demo writes: the report reads folders below the trace directory too.
  await Deno.mkdir(join(dir, "traces", "record"));
  await Deno.writeTextFile(
    join(dir, "traces", "record", "legacy.jsonl"),
    JSON.stringify({
      ts: 1767261900,
      server: "github",
      tool: "merge_pr",
      args: {},
      decision: "require_approval",
    }) +
      "\n",
  );
  const locked = lockServer({
    command: "npx",
    args: ["-y", "@modelcontextprotocol/server-filesystem@2026.8.30", dir],
  }, {
    tools: [],
  });
  await Deno.writeTextFile(join(dir, "mcp.lock"), formatLockFile({ v: 1, servers: { fs: locked } }));
}

function ioFor(dir: string) {
  return fakeIo({ cwd: dir, env: { HOME: join(dir, "home") }, now: new Date("2026-01-02T00:00:00Z") });
}

Deno.test("agentperms report writes one self-contained, escaped and redacted HTML file", async () => {
  await using dir = await tempDir();
  await workspace(dir.path);
  const io = ioFor(dir.path);
  const code = await run(
    ["report", "--policy", POLICY, "--path", dir.path, "--traces", "traces", "--lock", "mcp.lock"],
    io,
  );
  assert.equal(code, 0, io.stderrText());
  assert.match(
    io.stdoutText(),
    /^Wrote agentperms-report\.html: risk \d+\/100 \((low|medium|high)\); 6 of 6 inputs available\.\n$/,
  );
  const html = await Deno.readTextFile(join(dir.path, "agentperms-report.html"));
  assert.ok(html.startsWith("<!DOCTYPE html>"));
  assert.ok(!html.includes(XSS), "the payload from the traces is escaped");
  assert.ok(html.includes("&lt;img src=x onerror=alert(1)>"));
  assert.ok(!html.includes(TOKEN), "a token in a tool name is redacted");
  assert.ok(!/<script/i.test(html));
  // Activity: 4 v1 calls + 1 legacy approval; the bad line is reported with file:line.
  assert.match(html, /5 call\(s\) in 2 trace file\(s\)/, "one of them in traces/record/");
  assert.match(html, /traces\/a\.jsonl:6: malformed line/);
  // Drift: the launch change from the lock, and the runtime drift event from the trace.
  assert.match(html, /launch command changed: npx -y @modelcontextprotocol\/server-filesystem@2026\.8\.30/);
  assert.match(html, /description changed: now says &lt;img/);
  // Containment: the npm server is contained, the python one is not.
  assert.match(html, /1 of 2 server\(s\) run under Deno permissions/);
  // Replay with the built-in packs, and the policy text.
  assert.match(html, /attack\(s\) blocked|attack\(s\) got through/);
  assert.match(html, /require_human_approval: \[gmail\.send_email/);
  // Scan: the unpinned-looking python server and the workspace config are findings.
  assert.match(html, /Scanned 2 server\(s\) across 1 config\(s\)/);
});

Deno.test("agentperms report --format json prints the data, risk and next steps", async () => {
  await using dir = await tempDir();
  await workspace(dir.path);
  const io = ioFor(dir.path);
  assert.equal(
    await run(
      ["report", "--policy", POLICY, "--path", dir.path, "--traces", "traces", "--format", "json"],
      io,
    ),
    0,
  );
  const out = JSON.parse(io.stdoutText());
  assert.equal(out.v, 1);
  assert.equal(out.generatedAt, "2026-01-02T00:00:00.000Z");
  assert.equal(out.activity.value.calls, 5);
  assert.equal(out.activity.value.totals.approved, 1, "a legacy require_approval line was an approved call");
  assert.equal(out.lock.available, true, "mcp.lock in the cwd is used by default");
  assert.ok(out.lock.value.drift.some((d: { source: string }) => d.source === "lock"));
  assert.equal(typeof out.risk.score, "number");
  assert.ok(out.nextSteps.length > 0);
  assert.ok(!JSON.stringify(out).includes(TOKEN));
  assert.deepEqual(
    [...Deno.readDirSync(dir.path)].filter((e) => e.name.endsWith(".html")),
    [],
    "nothing written",
  );
});

Deno.test("agentperms report --server-map replays the packs against the policy's own server names", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, ".mcp.json"), "{}");
  await Deno.writeTextFile(
    join(dir.path, "p.yaml"),
    "version: 1\nservers:\n  fs:\n    allowed_paths: [./src]\n    denied_paths: [~/.ssh]\n",
  );
  const plain = ioFor(dir.path);
  assert.equal(await run(["report", "--policy", "p.yaml", "--path", dir.path, "--format", "json"], plain), 0);
  const before = JSON.parse(plain.stdoutText()).replay.value.attacks;
  const mapped = ioFor(dir.path);
  const args = [
    "report",
    "--policy",
    "p.yaml",
    "--path",
    dir.path,
    "--format",
    "json",
    "--server-map",
    "filesystem=fs",
  ];
  assert.equal(await run(args, mapped), 0, mapped.stderrText());
  const after = JSON.parse(mapped.stdoutText()).replay.value.attacks;
  const vacuous = (xs: { unknownServer: boolean }[]) => xs.filter((a) => a.unknownServer).length;
  assert.ok(vacuous(after) < vacuous(before), "filesystem attacks now test the fs rules");
});

Deno.test("agentperms report without inputs says what is not available and counts no policy as risk", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, ".mcp.json"), "{}");
  const io = ioFor(dir.path);
  assert.equal(await run(["report", "--path", dir.path, "--out", "r/report.html"], io), 0, io.stderrText());
  const html = await Deno.readTextFile(join(dir.path, "r/report.html"));
  assert.match(html, /Not available: no policy given and no &quot;mcp\.policy\.yaml&quot; here/);
  assert.match(html, /Not available: no traces given and none in/);
  assert.match(html, /No policy is in force/);

  await Deno.mkdir(join(dir.path, "empty-traces"));
  const empty = ioFor(dir.path);
  assert.equal(
    await run(["report", "--path", dir.path, "--traces", "empty-traces", "--format", "json"], empty),
    0,
  );
  assert.match(
    JSON.parse(empty.stdoutText()).activity.reason,
    /no trace files \(\*\.jsonl\) in "empty-traces"/,
  );
});

Deno.test("agentperms report fails clearly on a bad format, a missing explicit policy or lock", async () => {
  await using dir = await tempDir();
  const bad = ioFor(dir.path);
  assert.equal(await run(["report", "--format", "pdf"], bad), 2);
  assert.match(bad.stderrText(), /error: Unknown format "pdf"\nhint: Use html or json/);

  const missing = ioFor(dir.path);
  assert.equal(await run(["report", "--policy", "nope.yaml", "--path", dir.path], missing), 3);
  assert.match(missing.stderrText(), /Cannot load policy "nope\.yaml"/);

  const map = ioFor(dir.path);
  assert.equal(await run(["report", "--path", dir.path, "--server-map", "nope", "--format", "json"], map), 2);
  assert.match(map.stderrText(), /error: Invalid --server-map "nope"\nhint: Write pack=policy/);

  const lock = ioFor(dir.path);
  await Deno.writeTextFile(join(dir.path, "broken.lock"), "v: 99\n");
  assert.equal(await run(["report", "--lock", "broken.lock", "--path", dir.path], lock), 3);
});
