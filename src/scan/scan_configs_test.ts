import assert from "node:assert/strict";
import type { DiscoveredConfig, ServerEntry } from "../clients/mod.ts";
import { scanConfigs } from "./scan_configs.ts";
import { analyzeLaunch } from "./analyze_launch.ts";

const HOME = "/home/me";

function cfg(servers: Partial<ServerEntry>[], extra: Partial<DiscoveredConfig> = {}): DiscoveredConfig {
  return {
    client: "cursor",
    file: "/home/me/.cursor/mcp.json",
    scope: "user",
    format: "json",
    errors: [],
    servers: servers.map((s, i) => ({
      name: s.name ?? `s${i}`,
      transport: "stdio",
      args: [],
      env: {},
      raw: {},
      path: ["mcpServers", s.name ?? `s${i}`],
      ...s,
    })),
    ...extra,
  };
}

function rules(
  servers: Partial<ServerEntry>[],
  extra: Partial<DiscoveredConfig> = {},
  home = HOME,
): string[] {
  return scanConfigs([cfg(servers, extra)], { home, cwd: "/work" })
    .filter((f) => f.ruleId !== "not-wrapped")
    .map((f) => `${f.severity}:${f.ruleId}:${f.message}`);
}

Deno.test("scanConfigs() flags the demo: ~/.ssh HIGH and unpinned npx MEDIUM, HIGH first", () => {
  const f = scanConfigs([
    cfg([{
      name: "demo",
      command: "npx",
      args: ["-y", "@modelcontextprotocol/server-filesystem", "~/.ssh"],
    }]),
  ], { home: HOME, cwd: "/work" });
  assert.deepEqual(f.map((x) => [x.severity, x.ruleId]), [
    ["high", "sensitive-path"],
    ["medium", "unpinned-package"],
    ["low", "not-wrapped"],
  ]);
  assert.ok(f.every((x) => x.hint.length > 0 && x.server === "demo" && x.client === "cursor"));
});

Deno.test("scanConfigs() calls a package pinned only when its own spec has an exact version", () => {
  const cases: [string, string[], boolean][] = [
    ["npx", ["-y", "@scope/pkg@1.2.3"], true],
    ["npx", ["--yes", "pkg@latest"], false],
    ["npx", ["pkg"], false],
    ["npx", ["pkg@^1.2.0"], false],
    ["npx", ["-y", "pkg", "--version", "@1.2.3"], false],
    ["bunx", ["pkg@2.0.0"], true],
    ["pnpm", ["dlx", "pkg"], false],
    ["uvx", ["mcp-server-fetch==2025.4.7"], true],
    ["uvx", ["mcp-server-fetch"], false],
    ["uvx", ["--from", "git+https://x/y", "tool"], true],
    ["pipx", ["run", "pkg"], false],
    ["docker", ["run", "-i", "--rm", "-e", "X=1", "mcp/github"], false],
    ["docker", ["run", "-i", `mcp/github@sha256:${"a".repeat(64)}`], true],
    ["deno", ["run", "npm:@modelcontextprotocol/server-memory@2026.8.31"], true],
    ["deno", ["run", "npm:@modelcontextprotocol/server-memory"], false],
    ["cmd", ["/c", "npx", "-y", "pkg"], false],
    ["bash", ["-c", "npx -y pkg@1.0.0"], true],
  ];
  for (const [command, args, pinned] of cases) {
    const got = rules([{ command, args }]).some((r) => r.includes("unpinned-package"));
    assert.equal(got, !pinned, `${command} ${args.join(" ")}`);
  }
});

Deno.test("scanConfigs() flags home, /, ~/.aws, ~/.gnupg, ~/.config, .env and key files but not look-alikes", () => {
  const flagged = [
    "~",
    "/",
    "/home/me",
    "/home",
    "$HOME/.aws",
    "${HOME}/.config/gcloud",
    "~/.gnupg/",
    "/home/me/project/.env.local",
    "./certs/server.pem",
    "/home/me/.ssh/../.ssh/id_ed25519",
    "--root=/home/me/.ssh",
    "/etc",
  ];
  for (const a of flagged) {
    assert.ok(rules([{ command: "mcp-fs", args: [a] }]).some((r) => r.includes("sensitive-path")), a);
  }
  const clean = [
    "/srv/etcd",
    "/home/me/project",
    "./src",
    "/home/me/.sshd-notes",
    "environment",
    "@scope/pkg",
    "${workspaceFolder}",
  ];
  for (const a of clean) {
    assert.deepEqual(
      rules([{ command: "mcp-fs", args: [a] }]).filter((r) => r.includes("sensitive-path")),
      [],
      a,
    );
  }
});

Deno.test("scanConfigs() reads docker -v and --mount host paths, and Windows paths", () => {
  assert.match(
    rules([{
      command: "docker",
      args: ["run", "-i", "-v", "/home/me/.aws:/root/.aws:ro", "img@sha256:" + "b".repeat(64)],
    }])
      .join("\n"),
    /high:sensitive-path:"s0" mounts ~\/\.aws/,
  );
  assert.match(
    rules([{ command: "docker", args: ["run", "--mount", "type=bind,source=/,target=/host", "img"] }]).join(
      "\n",
    ),
    /mounts the whole filesystem/,
  );
  assert.deepEqual(
    rules([{ command: "docker", args: ["run", "-v", "data:/data", "img@sha256:" + "c".repeat(64)] }]),
    [],
  );
  assert.match(
    rules(
      [{ command: "cmd", args: ["/c", "npx", "-y", "fs@1.0.0", "C:\\Users\\me\\.ssh"] }],
      {},
      "C:\\Users\\me",
    ).join("\n"),
    /is given ~\/\.ssh/,
  );
});

Deno.test("scanConfigs() names secrets in env, args, headers and URLs without printing them", () => {
  const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
  const f = scanConfigs([cfg([
    {
      name: "a",
      command: "srv",
      env: { GITHUB_TOKEN: token, LOG: "debug", REF: "${input:tok}", B: "$OTHER" },
    },
    { name: "b", command: "srv", args: ["--api-key", "sk_live_abcdefghijklmnopqrstuvwx"] },
    {
      name: "c",
      transport: "remote",
      url: "https://x.example/mcp",
      headers: { Authorization: "Bearer abcdefghijklmnop123" },
    },
    { name: "d", transport: "remote", url: "https://u:pw123456@x.example/mcp?token=abcdef123456" },
    {
      name: "e",
      transport: "remote",
      url: "https://x.example/mcp",
      headers: { Authorization: "Bearer ${env:TOKEN}" },
    },
  ])], { home: HOME, cwd: "/work" }).filter((x) => x.ruleId === "secret-in-config");
  assert.deepEqual(f.map((x) => x.server), ["a", "b", "c", "d"]);
  assert.match(f[0]!.message, /env "GITHUB_TOKEN"/);
  const all = JSON.stringify(f);
  for (
    const secret of [
      token,
      "sk_live_abcdefghijklmnopqrstuvwx",
      "abcdefghijklmnop123",
      "pw123456",
      "abcdef123456",
    ]
  ) {
    assert.ok(!all.includes(secret), `never printed: ${secret}`);
  }
});

Deno.test("scanConfigs() flags plain-http remotes (not loopback), auto-approval and shell servers", () => {
  const r = rules([
    { name: "h", transport: "remote", url: "http://mcp.example.com/sse" },
    { name: "l", transport: "remote", url: "http://127.0.0.1:3000/mcp" },
    { name: "q", command: "uvx", args: ["git==1.0"], autoApprove: ["git_log"] },
    { name: "t", command: "npx", args: ["-y", "@wonderwhy-er/desktop-commander@0.2.3"] },
    { name: "f", command: "npx", args: ["-y", "list-filesystem-server@1.0.0"] },
  ]);
  assert.deepEqual(r, [
    'high:shell-server:"t" looks like a shell server ("commander" in its name)',
    'medium:plain-http:"h" talks to mcp.example.com over plain http',
    'medium:auto-approve:"q" runs 1 tool(s) without confirmation: git_log',
  ]);
});

Deno.test("scanConfigs() judges a wrapped entry by its original command and notes record-only mode", () => {
  const f = scanConfigs([cfg([{
    name: "w",
    command: "/opt/agentperms",
    args: ["proxy", "--mode", "record", "--server", "w", "--", "npx", "-y", "pkg", "~/.ssh"],
    wrapped: { mode: "record", original: { command: "npx", args: ["-y", "pkg", "~/.ssh"] } },
  }])], { home: HOME, cwd: "/work" });
  assert.deepEqual(f.map((x) => x.ruleId), ["sensitive-path", "unpinned-package", "record-only"]);
});

Deno.test("scanConfigs() flags project configs inside the workspace and unreadable configs", () => {
  const f = scanConfigs([
    cfg([{ command: "x" }], { file: "/work/.cursor/mcp.json", scope: "project" }),
    cfg([], { file: "/work/.vscode/mcp.json", scope: "project", errors: ["Cannot parse JSON: x"] }),
  ], { home: HOME, cwd: "/work" });
  assert.deepEqual(f.filter((x) => x.severity !== "low").map((x) => [x.ruleId, x.file]), [
    ["config-in-workspace", "/work/.cursor/mcp.json"],
    ["config-invalid", "/work/.vscode/mcp.json"],
  ]);
});

Deno.test("analyzeLaunch() unwraps cmd /c and sh -c and finds docker mounts", () => {
  const a = analyzeLaunch("cmd", ["/c", "bash", "-c", "docker run -v ~/.ssh:/k:ro img"]);
  assert.equal(a.inlineShell, true);
  assert.deepEqual(a.mounts, ["~/.ssh"]);
  assert.deepEqual(a.packages.map((p) => [p.launcher, p.spec, p.pinned]), [["docker", "img", false]]);
});

Deno.test("scanConfigs() checks paths handed over in env values too", () => {
  assert.deepEqual(
    rules([{ name: "m", command: "mem", env: { ALLOWED_DIRS: "/home/me/project:~/.aws", MODE: "fast" } }]),
    ['high:sensitive-path:"m" gets env "ALLOWED_DIRS" pointing at ~/.aws'],
  );
});

Deno.test("scanConfigs() flags wiring whose proxy script or policy is gone, only when it may look at files", () => {
  const entry: Partial<ServerEntry> = {
    name: "w",
    command: "/opt/deno",
    args: [
      "run",
      "-A",
      "/old/cli.ts",
      "proxy",
      "--mode",
      "enforce",
      "--server",
      "w",
      "--policy",
      "/p/gone.yaml",
      "--",
      "srv",
    ],
    wrapped: { mode: "enforce", original: { command: "srv", args: [] } },
  };
  const present = new Set(["/opt/deno"]);
  const f = scanConfigs([cfg([entry])], { home: HOME, cwd: "/work", exists: (p) => present.has(p) });
  assert.deepEqual(f.map((x) => [x.ruleId, x.message]), [
    ["broken-wiring", '"w" is wired to "/old/cli.ts", "/p/gone.yaml", which no longer exist(s)'],
  ]);
  assert.deepEqual(scanConfigs([cfg([entry])], { home: HOME, cwd: "/work" }), []);
});
