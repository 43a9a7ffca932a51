import assert from "node:assert/strict";
import { join } from "node:path";
import { clientSpec } from "./discover.ts";
import { parseConfig } from "./parse_config.ts";
import type { ConfigFormat } from "./types.ts";
import { wireText, type WireTextOptions } from "./wire_text.ts";

const FIX = new URL("../../tests/fixtures/clients/valid/", import.meta.url).pathname;
const SELF = ["/opt/deno/bin/deno", "run", "-A", "--config", "/opt/ap/deno.json", "/opt/ap/cli.ts"];

/** [fixture, client, format, an entry to edit by hand in between (path within the doc, text to find, replacement)] */
const CASES: [string, string, ConfigFormat, [string, string]][] = [
  ["claude-desktop.json", "claude-desktop", "jsonc", [
    '"globalShortcut": "Ctrl+Space"',
    '"globalShortcut": "Alt+Space"',
  ]],
  ["claude-code.claude.json", "claude-code", "jsonc", ['"numStartups": 12', '"numStartups": 13']],
  ["cursor-crlf.json", "cursor", "jsonc", [
    "http://docs.internal.example:8080",
    "https://docs.internal.example",
  ]],
  ["vscode-mcp.jsonc", "vscode", "jsonc", ['"description": "GitHub token"', '"description": "GH token"']],
  ["vscode-settings.jsonc", "vscode", "jsonc", ['"editor.fontSize": 14', '"editor.fontSize": 15']],
  ["windsurf.json", "windsurf", "jsonc", ['"disabled": true', '"disabled": false']],
  ["gemini.json", "gemini", "jsonc", ['"timeout": 30000', '"timeout": 5000']],
  ["codex.toml", "codex", "toml", ['model = "gpt-5-mini"', 'model = "gpt-5"']],
  ["zed.jsonc", "zed", "jsonc", ['"theme": "One Dark"', '"theme": "One Light"']],
  ["cline.json", "cline", "jsonc", ['"timeout": 60', '"timeout": 90']],
  ["continue.yaml", "continue", "yaml", ["version: 0.0.1", "version: 0.0.2"]],
  ["goose.yaml", "goose", "yaml", ["GOOSE_PROVIDER: openai", "GOOSE_PROVIDER: anthropic"]],
  ["amazonq.json", "amazonq", "jsonc", ['"timeout": 120000', '"timeout": 1000']],
  ["kiro.json", "kiro", "jsonc", ['"autoApprove": ["read_file"]', '"autoApprove": []']],
  ["windows-paths.json", "generic", "jsonc", [
    '"-y", "@modelcontextprotocol/server-memory',
    '"--yes", "@modelcontextprotocol/server-memory',
  ]],
];

function opts(
  client: string,
  format: ConfigFormat,
  mode: WireTextOptions["mode"],
  extra: Partial<WireTextOptions> = {},
) {
  return { format, locators: clientSpec(client).locators, mode, self: SELF, ...extra };
}

for (const [file, client, format, [find, repl]] of CASES) {
  Deno.test(`wireText() round-trips ${file}: record → enforce → stop gives back the same bytes`, () => {
    const text = Deno.readTextFileSync(join(FIX, file));
    const rec = wireText(text, opts(client, format, "record", { traceDir: "/var/traces" }));
    assert.notEqual(rec.text, text);
    assert.ok(rec.results.some((r) => r.status === "wired"));
    const enf = wireText(rec.text, opts(client, format, "enforce", { policy: "/p/mcp.policy.yaml" }));
    assert.ok(enf.results.some((r) => r.status === "rewired"));
    const parsed = parseConfig(enf.text, { format, locators: clientSpec(client).locators });
    for (const s of parsed.servers.filter((s) => s.wrapped)) {
      assert.equal(s.wrapped!.mode, "enforce");
      assert.equal(s.command, SELF[0]);
      assert.deepEqual(s.args.slice(0, SELF.length - 1), SELF.slice(1));
    }
    const again = wireText(enf.text, opts(client, format, "enforce", { policy: "/p/mcp.policy.yaml" }));
    assert.equal(again.text, enf.text, "running enforce twice changes nothing");
    assert.ok(again.results.every((r) => r.status === "unchanged" || r.status === "skipped"));
    const stop = wireText(enf.text, opts(client, format, "stop"));
    assert.equal(stop.text, text);
  });

  Deno.test(`wireText() keeps a user edit made while ${file} was wired`, () => {
    const text = Deno.readTextFileSync(join(FIX, file));
    assert.ok(text.includes(find), `fixture holds ${find}`);
    const rec = wireText(text, opts(client, format, "record"));
    assert.ok(rec.text.includes(find));
    const edited = rec.text.replace(find, repl);
    const stop = wireText(edited, opts(client, format, "stop"));
    assert.equal(stop.text, text.replace(find, repl));
  });
}

Deno.test("wireText() wraps the original command after -- with absolute proxy flags and the env names it sets", () => {
  const text = '{"mcpServers":{"fs":{"command":"npx","args":["-y","pkg@1.0.0"],"env":{"A":"1"}}}}';
  const out = wireText(text, {
    format: "json",
    locators: clientSpec("cursor").locators,
    mode: "enforce",
    self: ["/usr/local/bin/agentperms"],
    policy: "/p/policy.yaml",
    traceDir: "/t",
    lock: "/p/mcp.lock",
  });
  assert.equal(
    out.text,
    '{"mcpServers":{"fs":{"command":"/usr/local/bin/agentperms","args":["proxy", "--mode", "enforce", "--server", "fs", "--policy", "/p/policy.yaml", "--trace-dir", "/t", "--lock", "/p/mcp.lock", "--server-env", "A", "--", "npx","-y","pkg@1.0.0"],"env":{"A":"1"}}}}',
  );
});

/** Records a one-entry config whose server "/opt/bare" has no arguments, and checks it reads back wrapped. */
function wireBare(format: ConfigFormat, text: string) {
  const client = format === "toml" ? "codex" : format === "yaml" ? "continue" : "cursor";
  const rec = wireText(text, opts(client, format, "record"));
  assert.equal(rec.results[0]!.status, "wired", format);
  const entry = parseConfig(rec.text, { format, locators: clientSpec(client).locators }).servers[0]!;
  assert.deepEqual(entry.wrapped?.original, { command: "/opt/bare", args: [] }, format);
  return { client, rec, entry };
}

Deno.test("wireText() adds args to an entry without any and removes them again on stop", () => {
  for (
    const [format, text] of [
      ["jsonc", '{\n  "mcpServers": {\n    "bare": {\n      "command": "/opt/bare"\n    }\n  }\n}\n'],
      ["toml", '[mcp_servers.bare]\ncommand = "/opt/bare"\nenabled = true\n'],
      ["yaml", "mcpServers:\n  - name: bare\n    command: /opt/bare\n    env: {}\n"],
    ] as const
  ) {
    const { client, rec } = wireBare(format, text);
    assert.equal(wireText(rec.text, opts(client, format, "stop")).text, text, format);
  }
});

Deno.test("wireText() keeps an explicit empty args list through record → enforce → stop", () => {
  for (
    const [format, text] of [
      [
        "jsonc",
        '{\n  "mcpServers": {\n    "bare": {\n      "command": "/opt/bare",\n      "args": []\n    }\n  }\n}\n',
      ],
      ["jsonc", '{"mcpServers":{"bare":{"args":[ ],"command":"/opt/bare"}}}'],
      ["toml", '[mcp_servers.bare]\ncommand = "/opt/bare"\nargs = []\nenabled = true\n'],
      ["yaml", "mcpServers:\n  - name: bare\n    command: /opt/bare\n    args: []\n"],
    ] as const
  ) {
    const { client, rec, entry } = wireBare(format, text);
    assert.ok(entry.args.includes("--keep-empty-args"), `${format}: ${rec.text}`);
    const enf = wireText(rec.text, opts(client, format, "enforce"));
    assert.equal(enf.results[0]!.status, "rewired", format);
    assert.equal(wireText(enf.text, opts(client, format, "record")).results[0]!.status, "rewired", format);
    assert.equal(wireText(enf.text, opts(client, format, "enforce")).results[0]!.status, "unchanged", format);
    assert.equal(wireText(enf.text, opts(client, format, "stop")).text, text, format);
  }
});

Deno.test("wireText() reports entries it cannot wrap, and wires the rest (remote ones too)", () => {
  const text = Deno.readTextFileSync(join(FIX, "zed.jsonc"));
  const out = wireText(text, opts("zed", "jsonc", "record"));
  assert.deepEqual(out.results.map((r) => [r.server, r.status, r.reason ?? ""]), [
    ["everything", "wired", ""],
    ["legacy", "skipped", "not wired (legacy command object (move path/args/env up to the entry))"],
  ]);
  const cursor = wireText(
    Deno.readTextFileSync(join(FIX, "cursor-crlf.json")),
    opts("cursor", "jsonc", "record"),
  );
  assert.deepEqual(cursor.results[1], { server: "docs", status: "wired" });
  assert.ok(!cursor.text.replaceAll("\r\n", "").includes("\n"), "CRLF line endings are kept");
});

Deno.test("wireText() on an unwrapped file with stop changes nothing", () => {
  const text = Deno.readTextFileSync(join(FIX, "cline.json"));
  const out = wireText(text, opts("cline", "jsonc", "stop"));
  assert.equal(out.text, text);
  assert.deepEqual(out.results.map((r) => r.status), ["not-wrapped", "not-wrapped"]);
});

Deno.test("wireText() re-wires an entry wrapped by another AgentPerms install path", () => {
  const text =
    '{"mcpServers":{"a":{"command":"/old/deno","args":["run","/old/cli.ts","proxy","--mode","record","--server","a","--","npx","x@1.0.0"]}}}';
  const out = wireText(text, opts("cursor", "jsonc", "record"));
  assert.equal(out.results[0]!.status, "rewired");
  const s = parseConfig(out.text, { format: "jsonc", locators: clientSpec("cursor").locators }).servers[0]!;
  assert.equal(s.command, SELF[0]);
  assert.deepEqual(s.wrapped?.original, { command: "npx", args: ["x@1.0.0"] });
});

Deno.test("wireText() explains why an OpenCode command array is not wired and leaves that entry as is", () => {
  const text = Deno.readTextFileSync(join(FIX, "opencode.jsonc"));
  const out = wireText(text, opts("opencode", "jsonc", "record"));
  assert.deepEqual(out.results.map((r) => r.reason ?? r.status), [
    "not wired (the command is a list; wiring it is not supported yet)",
    "wired",
  ]);
  const local = (t: string) => t.slice(t.indexOf('"everything"'), t.indexOf('"docs"'));
  assert.equal(local(out.text), local(text));
});

Deno.test("wireText() passes --trace-results only when asked", () => {
  const text = JSON.stringify({ mcpServers: { s: { command: "node", args: ["s.js"] } } });
  const spec = {
    format: "jsonc" as const,
    locators: [{ kind: "map" as const, at: ["mcpServers"] }],
    self: SELF,
  };
  const plain = wireText(text, { ...spec, mode: "record" }).text;
  const asked = wireText(text, { ...spec, mode: "record", traceResults: true }).text;
  assert.doesNotMatch(plain, /--trace-results/);
  assert.match(asked, /"--trace-results"/);
});

Deno.test("wireText() passes --otel to every proxy, stdio and remote, only when asked", () => {
  const text = JSON.stringify({
    mcpServers: { s: { command: "node", args: ["s.js"] }, r: { type: "http", url: "https://r.example/mcp" } },
  });
  const spec = {
    format: "jsonc" as const,
    locators: [{ kind: "map" as const, at: ["mcpServers"] }],
    self: SELF,
  };
  const plain = wireText(text, { ...spec, mode: "record" }).text;
  const asked = wireText(text, { ...spec, mode: "record", otel: true }).text;
  assert.doesNotMatch(plain, /--otel/);
  assert.equal(asked.match(/"--otel"/g)?.length, 2);
  assert.equal(wireText(asked, { ...spec, mode: "stop" }).text, text);
});

Deno.test("wireText() does not pass --otel to a remote entry whose URL holds a secret, and says why", () => {
  const text = JSON.stringify({
    mcpServers: {
      ok: { type: "http", url: "https://mcp.example.com/mcp" },
      zap: { type: "http", url: "https://mcp.zapier.com/api/mcp/s/a1b2c3d4e5f6g7h8i9j0/mcp" },
      q: { type: "http", url: "https://r.example/mcp?api_key=sk_live_x" },
    },
  });
  const spec = {
    format: "jsonc" as const,
    locators: [{ kind: "map" as const, at: ["mcpServers"] }],
    self: SELF,
  };
  const out = wireText(text, { ...spec, mode: "record", otel: true });
  const servers = JSON.parse(out.text).mcpServers;
  assert.ok(servers.ok.args.includes("--otel"));
  assert.ok(!servers.zap.args.includes("--otel"));
  assert.ok(!servers.q.args.includes("--otel"));
  assert.match(out.results.find((r) => r.server === "zap")!.note!, /path looks like a token/);
  assert.match(out.results.find((r) => r.server === "q")!.note!, /query string/);
  assert.equal(out.results.find((r) => r.server === "ok")!.note, undefined);
});
