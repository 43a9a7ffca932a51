import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfig } from "../../src/clients/mod.ts";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";

const FIX = fileURLToPath(new URL("../fixtures/clients/valid/", import.meta.url));
const POLICY = "version: 1\nservers:\n  git:\n    allowed_tools: [git_status]\n";

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-wirecli-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

async function cli(args: string[], cwd: string, home = cwd) {
  const io = fakeIo({ cwd, env: { HOME: home } });
  const code = await run(args, io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

Deno.test("agentperms record|enforce --client wires the client's files under a fake home and --stop restores them", async () => {
  await using home = await tempDir();
  const file = join(home.path, ".cursor", "mcp.json");
  await Deno.mkdir(dirname(file), { recursive: true });
  const original = await Deno.readTextFile(join(FIX, "cline.json"));
  await Deno.writeTextFile(file, original);
  await Deno.writeTextFile(join(home.path, "mcp.policy.yaml"), POLICY);
  await Deno.writeTextFile(join(home.path, "mcp.lock"), "v: 1\n");

  const rec = await cli(["record", "--client", "cursor"], home.path);
  assert.equal(rec.code, 0, rec.err);
  assert.match(rec.out, new RegExp(`Wired 2 server\\(s\\) through the record proxy in ${file}`));
  assert.match(rec.out, /backup: .*mcp\.json\.agentperms\.bak/);
  assert.equal(await Deno.readTextFile(`${file}.agentperms.bak`), original);

  const enf = await cli(["enforce", "--client", "cursor"], home.path);
  assert.equal(enf.code, 0, enf.err);
  {
    const launcher = join(home.path, ".local/share/agentperms/bin/agentperms");
    assert.equal((await Deno.stat(launcher)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(dirname(launcher))).mode! & 0o777, 0o700);
    const script = await Deno.readTextFile(launcher);
    assert.ok(script.includes(`exec '${Deno.execPath()}' 'run' '-A'`), script);
    // Deno's cache is carried for clients that pass a short environment (Codex), unless they pass their own.
    assert.match(script, /\[ -n "\$\{DENO_DIR:-\}" \] \|\| DENO_DIR='[^']+'; export DENO_DIR/);
  }
  const servers = parseConfig(await Deno.readTextFile(file), {
    format: "jsonc",
    locators: [{ kind: "map", at: ["mcpServers"] }],
  }).servers;
  for (const s of servers) {
    assert.equal(s.wrapped?.mode, "enforce");
    const i = s.args.indexOf("--policy");
    assert.equal(s.args[i + 1], join(home.path, "mcp.policy.yaml"), "policy is absolute");
    assert.equal(
      s.args[s.args.indexOf("--lock") + 1],
      join(home.path, "mcp.lock"),
      "lock next to the policy",
    );
    // The entry starts the launcher written to the user's data folder, which pins Deno and the CLI entry.
    const launcher = join(home.path, ".local/share/agentperms/bin/agentperms");
    assert.equal(s.command, launcher);
  }
  const twice = await cli(["enforce", "--client", "cursor"], home.path);
  assert.match(twice.out, /Wired 0 server\(s\) .* \(2 already wired\)/);

  const stop = await cli(["enforce", "--client", "cursor", "--stop"], home.path);
  assert.equal(stop.code, 0, stop.err);
  assert.match(stop.out, /Restored 2 server\(s\)/);
  assert.equal(await Deno.readTextFile(file), original);
});

Deno.test("agentperms enforce refuses to wire without a valid policy and leaves the file alone", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "mcp.json");
  const original = await Deno.readTextFile(join(FIX, "kiro.json"));
  await Deno.writeTextFile(file, original);
  const missing = await cli(["enforce", "--path", file], dir.path);
  assert.notEqual(missing.code, 0);
  assert.match(missing.err, /mcp\.policy\.yaml/);
  await Deno.writeTextFile(join(dir.path, "empty.yaml"), "");
  const empty = await cli(["enforce", "--path", file, "--policy", "empty.yaml"], dir.path);
  assert.equal(empty.code, 3);
  const lock = await cli(
    ["enforce", "--path", file, "--policy", "empty.yaml", "--lock", "nope.lock"],
    dir.path,
  );
  assert.notEqual(lock.code, 0);
  assert.equal(await Deno.readTextFile(file), original);
});

Deno.test("agentperms record needs --client or --path and rejects an unknown client", async () => {
  await using dir = await tempDir();
  const none = await cli(["record"], dir.path);
  assert.equal(none.code, 2);
  assert.match(none.err, /--client NAME or --path FILE/);
  const bad = await cli(["record", "--client", "curser"], dir.path);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Unknown client "curser"/);
  const nothing = await cli(["record", "--client", "cursor"], dir.path);
  assert.equal(nothing.code, 2);
  assert.match(nothing.err, /No MCP client config found/);
});

Deno.test("agentperms record --path on an unparseable file exits 3 and changes nothing", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "mcp.json");
  await Deno.writeTextFile(file, '{ "mcpServers": { "a": ');
  const r = await cli(["record", "--path", file], dir.path);
  assert.equal(r.code, 3);
  assert.equal(await Deno.readTextFile(file), '{ "mcpServers": { "a": ');
  assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), ["mcp.json"]);
});

Deno.test("agentperms record --format json reports each entry", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "config.toml");
  await Deno.copyFile(join(FIX, "codex.toml"), file);
  const r = await cli(["record", "--client", "codex", "--path", file, "--format", "json"], dir.path);
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  assert.deepEqual(
    out.files[0].results.map((x: { server: string; status: string }) => `${x.server}:${x.status}`),
    [
      "docs:wired",
      "home files:wired",
      "bare:wired",
      "figma:wired",
    ],
  );
});

Deno.test("agentperms clients lists files, scopes and server counts without secrets", async () => {
  await using home = await tempDir();
  await Deno.mkdir(join(home.path, ".cursor"));
  await Deno.copyFile(join(FIX, "claude-desktop.json"), join(home.path, ".cursor", "mcp.json"));
  await Deno.mkdir(join(home.path, "proj", ".vscode"), { recursive: true });
  await Deno.copyFile(join(FIX, "vscode-mcp.jsonc"), join(home.path, "proj", ".vscode", "mcp.json"));
  const text = await cli(["clients"], join(home.path, "proj"), home.path);
  assert.equal(text.code, 0, text.err);
  const lines = text.out.trimEnd().split("\n");
  assert.match(lines[0]!, /^CLIENT\s+SCOPE\s+SERVERS\s+FILE$/);
  assert.match(lines[1]!, /^cursor\s+user\s+2\s+.*\.cursor\/mcp\.json$/);
  assert.match(lines[2]!, /^vscode\s+project\s+2\s+.*\.vscode\/mcp\.json$/);
  const json = await cli(["clients", "--format", "json"], join(home.path, "proj"), home.path);
  const parsed = JSON.parse(json.out);
  assert.deepEqual(
    parsed.configs.map((c: { client: string; serverCount: number }) => [c.client, c.serverCount]),
    [
      ["cursor", 2],
      ["vscode", 2],
    ],
  );
  assert.ok(!json.out.includes("ghp_"), "no env values in the listing");
});

Deno.test("agentperms scan after record sees the wiring: record-only instead of not-wrapped, original still judged", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "mcp.json");
  await Deno.copyFile(join(FIX, "kiro.json"), file);
  assert.equal((await cli(["record", "--path", file], dir.path)).code, 0);
  const r = await cli(
    ["scan", "--path", file, "--format", "json", "--fail-on", "none"],
    dir.path,
    "/home/me",
  );
  const ids = (JSON.parse(r.out).findings as { ruleId: string }[]).map((f) => f.ruleId);
  assert.ok(ids.includes("record-only"));
  assert.ok(!ids.includes("not-wrapped"));
  assert.ok(!ids.includes("broken-wiring"), "the freshly wired paths exist");
  assert.ok(ids.includes("unpinned-package"), "the wrapped original is still judged");
});
