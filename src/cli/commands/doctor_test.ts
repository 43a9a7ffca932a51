import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { launcherPath, launcherScript } from "../../clients/mod.ts";
import { fakeIo } from "../io.ts";
import { run } from "../run.ts";
import { parseLauncher } from "./diagnose_server.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url)).replace(/\/$/, "");
const CLI = join(ROOT, "cli.ts");

async function tempHome(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-doctor-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Writes `~/.cursor/mcp.json` with these entries. */
async function cursorConfig(home: string, servers: Record<string, unknown>): Promise<string> {
  const file = join(home, ".cursor", "mcp.json");
  await Deno.mkdir(dirname(file), { recursive: true });
  await Deno.writeTextFile(file, JSON.stringify({ mcpServers: servers }, null, 2));
  return file;
}

async function doctor(home: string, args: string[]) {
  const io = fakeIo({
    env: { HOME: home, XDG_STATE_HOME: join(home, "state"), PATH: "/usr/local/bin:/usr/bin:/bin" },
    cwd: home,
  });
  const code = await run(["doctor", ...args], io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

const proxyArgs = (mode: string, server: string, extra: string[] = []) => [
  "proxy",
  "--mode",
  mode,
  "--server",
  server,
  ...extra,
  "--",
  "/bin/cat",
];

Deno.test("doctor fails a wired entry whose launcher is gone, with the fix to wire again", async () => {
  await using home = await tempHome();
  const launcher = launcherPath({ HOME: home.path })!;
  await cursorConfig(home.path, { fs: { command: launcher, args: proxyArgs("record", "fs") } });
  const r = await doctor(home.path, ["--client", "cursor"]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /cursor \(user\) .*\.cursor\/mcp\.json/);
  assert.match(
    r.out,
    /fail\s+fs\s+the wired command ".*agentperms\/bin\/agentperms" no longer exists → fix: run agentperms record\/enforce again \(here: agentperms record --client cursor\)/,
  );
  assert.match(r.out, /1 server\(s\): 0 ok, 0 warn, 1 fail\./);
});

Deno.test("doctor fails a launcher whose Deno binary or CLI entry no longer exists", async () => {
  await using home = await tempHome();
  const launcher = launcherPath({ HOME: home.path })!;
  await Deno.mkdir(dirname(launcher), { recursive: true });
  const gone = join(home.path, ".npm/_npx/abc/node_modules/deno/deno");
  await Deno.writeTextFile(
    launcher,
    launcherScript(
      [gone, "run", "-A", "--config", join(ROOT, "deno.json"), CLI],
      { HOME: home.path },
      new Date(),
    ),
    { mode: 0o700 },
  );
  await cursorConfig(home.path, { fs: { command: launcher, args: proxyArgs("record", "fs") } });
  const r = await doctor(home.path, ["--client", "cursor", "--format", "json"]);
  assert.equal(r.code, 1, r.err);
  const json = JSON.parse(r.out);
  const fs = json.servers[0];
  assert.equal(fs.status, "fail");
  const check = fs.checks.find((c: { id: string }) => c.id === "launcher");
  assert.match(check.detail, /the launcher's Deno binary ".*\/deno\/deno" no longer exists/);
  assert.match(check.fix, /run agentperms record\/enforce again .*or edit the exec line of/);
  assert.ok(!check.detail.includes("cli.ts"), "the CLI entry exists and is not reported");
});

Deno.test("doctor fails a wired entry whose policy does not load, and names the error", async () => {
  await using home = await tempHome();
  const policy = join(home.path, "mcp.policy.yaml");
  await Deno.writeTextFile(policy, "version: 1\nservers:\n  fs:\n    alow_tools: [read]\n");
  await cursorConfig(home.path, {
    fs: {
      command: Deno.execPath(),
      args: ["run", "-A", CLI, ...proxyArgs("enforce", "fs", ["--policy", policy])],
    },
  });
  const r = await doctor(home.path, ["--client", "cursor"]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /fail\s+fs\s+.*policy ".*mcp\.policy\.yaml" does not load: .*alow_tools/);
  assert.match(r.out, /→ fix: fix the policy where the error says/);
});

Deno.test("doctor warns about a server that is not wired, and exits 0 when nothing fails", async () => {
  await using home = await tempHome();
  await cursorConfig(home.path, { plain: { command: "cat", args: [] } });
  const r = await doctor(home.path, ["--client", "cursor"]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(
    r.out,
    /warn\s+plain\s+not wired: it runs without AgentPerms in between → fix: agentperms record --client cursor/,
  );
  assert.match(r.out, /1 server\(s\): 0 ok, 1 warn, 0 fail\./);
});

Deno.test("doctor fails an unwired entry whose command does not exist, and a missing wired server command", async () => {
  await using home = await tempHome();
  await cursorConfig(home.path, {
    gone: { command: "no-such-mcp-server-anywhere" },
    wired: {
      command: Deno.execPath(),
      args: ["run", "-A", CLI, "proxy", "--mode", "record", "--server", "wired", "--", "/no/such/server"],
    },
  });
  const r = await doctor(home.path, ["--client", "cursor", "--format", "json"]);
  assert.equal(r.code, 1);
  const json = JSON.parse(r.out);
  const byName = Object.fromEntries(
    json.servers.map((s: { server: string; checks: { id: string; status: string }[] }) => [s.server, s]),
  );
  assert.deepEqual(
    byName.gone.checks.map((c: { id: string; status: string }) => `${c.id}:${c.status}`),
    ["wired:warn", "command:fail"],
  );
  const own = byName.wired.checks.find((c: { id: string }) => c.id === "server-command");
  assert.equal(own.status, "fail");
  assert.match(own.detail, /"\/no\/such\/server" does not exist/);
  assert.deepEqual(json.counts, { ok: 0, warn: 0, fail: 2 });
});

Deno.test("doctor fails enforce without a policy and an unwritable trace folder", async () => {
  await using home = await tempHome();
  const file = join(home.path, "not-a-folder");
  await Deno.writeTextFile(file, "");
  await cursorConfig(home.path, {
    fs: {
      command: Deno.execPath(),
      args: ["run", "-A", CLI, ...proxyArgs("enforce", "fs", ["--trace-dir", join(file, "traces")])],
    },
  });
  const r = await doctor(home.path, ["--client", "cursor", "--format", "json"]);
  assert.equal(r.code, 1);
  const checks: { id: string; status: string; detail: string }[] = JSON.parse(r.out).servers[0].checks;
  const policy = checks.find((c) => c.id === "policy")!;
  assert.equal(policy.status, "fail");
  assert.match(policy.detail, /without --policy/);
  const trace = checks.find((c) => c.id === "trace-dir")!;
  assert.equal(trace.status, "fail");
  assert.match(trace.detail, /not-a-folder" is not a folder/);
});

Deno.test("doctor: an unknown client gets a did-you-mean, and no config is not an error", async () => {
  await using home = await tempHome();
  const bad = await doctor(home.path, ["--client", "cursr"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Unknown client "cursr": did you mean "cursor"\?/);
  const none = await doctor(home.path, []);
  assert.equal(none.code, 0);
  assert.match(none.out, /No MCP client configs found\. Run `agentperms clients --all`/);
});

Deno.test("parseLauncher() reads the exec line and the carried variables of launcherScript()", () => {
  const text = launcherScript(
    ["/opt/it's/deno", "run", "-A", "/src/cli.ts"],
    { HOME: "/h", DENO_DIR: "/cache dir", XDG_STATE_HOME: "/state" },
    new Date("2026-01-01T00:00:00Z"),
  );
  const info = parseLauncher(text)!;
  assert.deepEqual(info.exec, ["/opt/it's/deno", "run", "-A", "/src/cli.ts"]);
  assert.equal(info.carried.DENO_DIR, "/cache dir");
  assert.equal(info.carried.XDG_STATE_HOME, "/state");
  assert.equal(parseLauncher("#!/bin/sh\nexec foo\n"), undefined, "not an AgentPerms launcher");
});
