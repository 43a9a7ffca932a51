import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fakeIo } from "../cli/io.ts";
import { AgentPermsError } from "../errors.ts";
import { clientForFile, clientSpec, closestClientIds, discover, type LookedAt } from "./discover.ts";

const FIX = new URL("../../tests/fixtures/clients/", import.meta.url).pathname;

async function place(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, fixture] of Object.entries(files)) {
    const p = join(root, rel);
    await Deno.mkdir(dirname(p), { recursive: true });
    await Deno.copyFile(join(FIX, fixture), p);
  }
}

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-discover-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("discover() finds every client's user file on Linux in a fake home", async () => {
  await using home = await tempDir();
  await using work = await tempDir();
  await place(home.path, {
    ".config/Claude/claude_desktop_config.json": "valid/claude-desktop.json",
    ".claude.json": "valid/claude-code.claude.json",
    ".cursor/mcp.json": "valid/cursor-crlf.json",
    ".config/Code/User/mcp.json": "valid/vscode-mcp.jsonc",
    ".codeium/windsurf/mcp_config.json": "valid/windsurf.json",
    ".gemini/settings.json": "valid/gemini.json",
    ".codex/config.toml": "valid/codex.toml",
    ".config/zed/settings.json": "valid/zed.jsonc",
    ".config/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json":
      "valid/cline.json",
    ".continue/config.yaml": "valid/continue.yaml",
    ".config/goose/config.yaml": "valid/goose.yaml",
    ".aws/amazonq/mcp.json": "valid/amazonq.json",
    ".kiro/settings/mcp.json": "valid/kiro.json",
  });
  await place(work.path, {
    ".vscode/settings.json": "valid/vscode-settings.jsonc",
    ".mcp.json": "valid/kiro.json",
  });
  const io = fakeIo({ env: { HOME: home.path }, cwd: work.path, os: "linux" });
  const found = await discover({ io });
  const summary = found.map((c) => `${c.client}:${c.scope}:${c.servers.length}:${c.errors.length}`);
  assert.deepEqual(summary, [
    "claude-desktop:user:2:0",
    "claude-code:user:3:0",
    "claude-code:project:1:0",
    "cursor:user:2:0",
    "vscode:user:2:0",
    "vscode:project:1:0",
    "windsurf:user:2:0",
    "gemini:user:2:0",
    "codex:user:4:0",
    "zed:user:2:0",
    "cline:user:2:0",
    "continue:user:3:0",
    "goose:user:3:0",
    "amazonq:user:1:0",
    "kiro:user:1:0",
  ]);
  const cc = found.find((c) => c.client === "claude-code" && c.scope === "user")!;
  assert.deepEqual(cc.servers.map((s) => [s.name, s.transport, s.project ?? ""]), [
    ["memory", "stdio", ""],
    ["sentry", "remote", ""],
    ["db", "stdio", "/home/me/app"],
  ]);
});

Deno.test("discover() uses the macOS and Windows locations from the Io's OS", async () => {
  await using home = await tempDir();
  await place(home.path, {
    "Library/Application Support/Claude/claude_desktop_config.json": "valid/claude-desktop.json",
    "Library/Application Support/Code/User/mcp.json": "valid/vscode-mcp.jsonc",
    "AppData/Roaming/Claude/claude_desktop_config.json": "valid/windows-paths.json",
    "AppData/Roaming/Code/User/mcp.json": "valid/vscode-mcp.jsonc",
    "AppData/Roaming/Block/goose/config/config.yaml": "valid/goose.yaml",
  });
  const mac = await discover({ io: fakeIo({ env: { HOME: home.path }, cwd: home.path, os: "darwin" }) });
  assert.deepEqual(mac.map((c) => c.client), ["claude-desktop", "vscode"]);
  const win = await discover({
    io: fakeIo({ env: { USERPROFILE: home.path }, cwd: join(home.path, "nowhere"), os: "windows" }),
  });
  assert.deepEqual(win.map((c) => c.client), ["claude-desktop", "vscode", "goose"]);
  assert.equal(win[0]!.servers[0]!.args.at(-1), "C:\\Users\\me\\.ssh");
});

Deno.test("discover() reads JSONC with comments and trailing commas, and never expands variables", async () => {
  const found = await discover({
    io: fakeIo({ cwd: FIX }),
    client: "vscode",
    path: "valid/vscode-mcp.jsonc",
  });
  assert.equal(found[0]!.errors.length, 0);
  const files = found[0]!.servers.find((s) => s.name === "files")!;
  assert.equal(files.args.at(-1), "${workspaceFolder}");
  const gh = found[0]!.servers.find((s) => s.name === "github")!;
  assert.equal(gh.transport, "remote");
  assert.equal(gh.headers?.Authorization, "Bearer ${input:gh-token}");
});

Deno.test("discover() understands remote field names per client and disabled/auto-approve flags", async () => {
  const io = fakeIo({ cwd: FIX });
  const ws = (await discover({ io, client: "windsurf", path: "valid/windsurf.json" }))[0]!;
  assert.equal(ws.servers[1]!.transport, "remote");
  assert.match(ws.servers[1]!.url!, /^https:\/\/tools\.example\.com/);
  assert.equal(ws.servers[0]!.disabled, true);
  const gem = (await discover({ io, client: "gemini", path: "valid/gemini.json" }))[0]!;
  assert.deepEqual(gem.servers[0]!.autoApprove, ["*"]);
  assert.equal(gem.servers[0]!.cwd, "./tools");
  assert.equal(gem.servers[1]!.url, "https://stream.example.com/mcp");
  const goose = (await discover({ io, client: "goose", path: "valid/goose.yaml" }))[0]!;
  assert.deepEqual(goose.servers.map((s) => [s.name, s.transport, s.command ?? s.url ?? ""]), [
    ["developer", "stdio", ""],
    ["fetch", "stdio", "uvx"],
    ["search", "remote", "http://localhost:8808/mcp"],
  ]);
  const codex = (await discover({ io, client: "codex", path: "valid/codex.toml" }))[0]!;
  assert.deepEqual(codex.servers.map((s) => s.name), ["docs", "home files", "bare", "figma"]);
  assert.deepEqual(codex.servers[1]!.env, { AWS_PROFILE: "dev" });
  const cont = (await discover({ io, client: "continue", path: "valid/continue.yaml" }))[0]!;
  assert.deepEqual(cont.servers.map((s) => s.name), ["SQLite", "Remote", "Flow"]);
  const zed = (await discover({ io, client: "zed", path: "valid/zed.jsonc" }))[0]!;
  assert.deepEqual([zed.servers[1]!.command, zed.servers[1]!.args], ["/usr/local/bin/legacy-mcp", [
    "--stdio",
  ]]);
  const cline = (await discover({ io, client: "cline", path: "valid/cline.json" }))[0]!;
  assert.deepEqual(cline.servers[1]!.autoApprove, ["execute_command"]);
});

Deno.test("discover() reports invalid files as errors instead of skipping them", async () => {
  const io = fakeIo({ cwd: join(FIX, "invalid") });
  for (const f of ["truncated.json", "broken.toml", "broken.yaml", "servers-not-map.json"]) {
    const [c] = await discover({ io, path: f });
    assert.ok(c!.errors.length > 0, f);
    assert.equal(c!.servers.length, 0, f);
  }
  const [c] = await discover({ io, path: "args-not-list.json" });
  assert.deepEqual(c!.errors, ['Server "a" args is not a list', 'Server "b" is not an object']);
});

Deno.test("discover() searches a --path directory for known names only, never node_modules", async () => {
  await using dir = await tempDir();
  await place(dir.path, {
    "mcp.json": "valid/kiro.json",
    ".cursor/mcp.json": "valid/cursor-crlf.json",
    ".vscode/settings.json": "valid/vscode-settings.jsonc",
    "node_modules/pkg/.cursor/mcp.json": "valid/cursor-crlf.json",
    "node_modules/pkg/mcp.json": "valid/kiro.json",
    "other/random.json": "valid/kiro.json",
    "pkg/.codex/config.toml": "valid/codex.toml",
  });
  await Deno.writeTextFile(join(dir.path, "package.json"), '{"servers": {"x": {"command": "y"}}}');
  const found = await discover({ io: fakeIo({ cwd: dir.path }), path: "." });
  assert.deepEqual(found.map((c) => [c.client, c.file.slice(dir.path.length + 1)]), [
    ["cursor", ".cursor/mcp.json"],
    ["vscode", ".vscode/settings.json"],
    ["generic", "mcp.json"],
    ["codex", "pkg/.codex/config.toml"],
  ]);
});

Deno.test("discover() rejects an unknown client and a missing path", async () => {
  await assert.rejects(
    () => discover({ io: fakeIo(), client: "curser" }),
    (e) => e instanceof AgentPermsError && e.code === "usage" && /curser/.test(e.message),
  );
  await assert.rejects(
    () => discover({ io: fakeIo({ cwd: "/" }), path: "/definitely/not/here.json" }),
    (e) => e instanceof AgentPermsError && e.code === "usage",
  );
});

Deno.test("clientForFile() picks the most specific client for a file name", () => {
  assert.equal(clientForFile("/p/.cursor/mcp.json")?.id, "cursor");
  assert.equal(clientForFile("/p/.vscode/mcp.json")?.id, "vscode");
  assert.equal(clientForFile("/h/.codex/config.toml")?.id, "codex");
  assert.equal(clientForFile("/h/.kiro/settings/mcp.json")?.id, "kiro");
  assert.equal(clientForFile("/p/.mcp.json")?.id, "claude-code");
  assert.equal(clientForFile("/p/mcp.json")?.id, "generic");
  assert.equal(clientForFile("/p/notes.json"), undefined);
});

Deno.test("discover() reads OpenCode's command arrays and remote entries", async () => {
  const [c] = await discover({ io: fakeIo({ cwd: FIX }), client: "opencode", path: "valid/opencode.jsonc" });
  assert.deepEqual(
    c!.servers.map((s) => [s.name, s.transport, s.command ?? s.url, s.args.join(" "), s.disabled ?? false]),
    [
      ["everything", "stdio", "npx", "-y @modelcontextprotocol/server-everything", false],
      ["docs", "remote", "https://docs.example.com/mcp", "", true],
    ],
  );
  assert.deepEqual(c!.servers[0]!.env, { LOG: "1" });
});

Deno.test("discover() reads Continue's per-server files in YAML and Claude-style JSON", async () => {
  await using work = await tempDir();
  await place(work.path, {
    ".continue/mcpServers/sqlite.yaml": "valid/continue.yaml",
    ".continue/mcpServers/from-claude.json": "valid/claude-desktop.json",
  });
  const found = await discover({
    io: fakeIo({ env: { HOME: "/nonexistent" }, cwd: work.path }),
    client: "continue",
  });
  assert.deepEqual(
    found.map((c) => [c.file.slice(work.path.length + 1), c.format, c.servers.length, c.errors.length]),
    [
      [".continue/mcpServers/sqlite.yaml", "yaml", 3, 0],
      [".continue/mcpServers/from-claude.json", "jsonc", 2, 0],
    ],
  );
});

Deno.test('discover() takes "claude", the original name for Claude Desktop, with a note on stderr', async () => {
  await using home = await tempDir();
  await place(home.path, { ".config/Claude/claude_desktop_config.json": "valid/claude-desktop.json" });
  const io = fakeIo({ env: { HOME: home.path }, cwd: home.path, os: "linux" });
  const found = await discover({ io, client: "claude" });
  assert.deepEqual(found.map((c) => c.client), ["claude-desktop"]);
  assert.match(
    io.stderrText(),
    /^note: "claude" is the original agentperms name for Claude Desktop: using "claude-desktop"/,
  );
  assert.equal(io.stderrText().split("\n").filter(Boolean).length, 1, "one line");
});

Deno.test("clientSpec() names the closest ids for a mistyped client", () => {
  assert.throws(() => clientSpec("cursr"), /Unknown client "cursr": did you mean "cursor"\?/);
  assert.throws(() => clientSpec("claud"), /did you mean "claude-code" or "claude-desktop"\?/);
  assert.throws(() => clientSpec("zzzzzzzzzz"), (e) => e instanceof Error && !/did you mean/.test(e.message));
  assert.deepEqual(closestClientIds("vscod", ["vscode", "zed"]), ["vscode"]);
});

Deno.test("discover() notes every place it looked at and why each was skipped", async () => {
  await using home = await tempDir();
  await using work = await tempDir();
  await place(home.path, { ".cursor/mcp.json": "valid/cursor-crlf.json" });
  await Deno.mkdir(join(home.path, ".gemini", "settings.json"), { recursive: true }); // a folder, not a file
  await Deno.mkdir(join(home.path, ".codex"), { recursive: true });
  await Deno.writeTextFile(join(home.path, ".codex", "config.toml"), "model = 'x'\n"); // no MCP servers
  await Deno.mkdir(join(work.path, ".vscode"));
  await Deno.writeTextFile(join(work.path, ".vscode", "mcp.json"), "{ not json");
  const looked: LookedAt[] = [];
  const io = fakeIo({ env: { HOME: home.path }, cwd: work.path, os: "linux" });
  const found = await discover({ io, looked });
  const status = (file: string) => looked.find((l) => l.file === file);
  assert.deepEqual(
    { ...status(join(home.path, ".cursor/mcp.json")) },
    {
      client: "cursor",
      file: join(home.path, ".cursor/mcp.json"),
      scope: "user",
      status: "found",
      servers: 2,
    },
  );
  assert.equal(status(join(home.path, ".gemini/settings.json"))?.status, "not-a-file");
  assert.equal(status(join(home.path, ".codex/config.toml"))?.status, "no-servers");
  assert.equal(status(join(work.path, ".vscode/mcp.json"))?.status, "invalid");
  assert.equal(status(join(home.path, ".claude.json"))?.status, "not-found");
  assert.ok(looked.length > 20, `every client's places: ${looked.length}`);
  assert.deepEqual(found.map((c) => c.client), ["cursor", "vscode"], "the result itself is unchanged");
});
