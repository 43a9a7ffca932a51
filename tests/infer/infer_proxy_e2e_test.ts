/**
 * End to end: record a short session through the real proxy (`agentperms proxy --mode record`) in front of the
 * npm `server-filesystem`, infer a policy from the trace directory, then enforce that policy through the proxy:
 * what the agent did still works, what it did not need is blocked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import { loadPolicy } from "../../src/policy/mod.ts";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { denoRuntimeEnv } from "../../src/sandbox/mod.ts";
import { selfCommand } from "../../src/clients/mod.ts";

function server(root: string): string[] {
  // Unrestricted on purpose in record mode: the proxy's containment layer audits what the server touches.
  return [
    Deno.execPath(),
    "run",
    "--no-config",
    "--no-prompt",
    "-A",
    "npm:@modelcontextprotocol/server-filesystem@2026.8.31",
    root,
  ];
}

function proxyArgv(
  opts: { mode: "record" | "enforce"; policy?: string; traceDir: string },
  argv: string[],
): string[] {
  return [
    ...selfCommand(),
    "proxy",
    "--mode",
    opts.mode,
    "--server",
    "fs",
    ...(opts.policy ? ["--policy", opts.policy] : []),
    "--trace-dir",
    opts.traceDir,
    "--no-tty",
    "--",
    ...argv,
  ];
}

async function sdkClient(argv: string[]): Promise<Client & AsyncDisposable> {
  const env: Record<string, string> = {
    RUST_BACKTRACE: "0",
    NO_COLOR: "1",
    ...denoRuntimeEnv((k) => Deno.env.get(k)),
  };
  const client = new Client({ name: "agentperms-infer-e2e", version: "1.0.0" }, { capabilities: {} });
  await client.connect(
    new StdioClientTransport({ command: argv[0]!, args: argv.slice(1), env, stderr: "pipe" }),
  );
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-infer-e2e-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

function firstText(result: unknown): string {
  const c = (result as { content?: { type: string; text?: string }[] }).content;
  return c?.[0]?.text ?? "";
}

Deno.test("infer from a session recorded through the proxy with server-filesystem, then enforce it", async () => {
  await using tmp = await tempDir();
  const root = join(tmp.path, "proj");
  await Deno.mkdir(join(root, "src"), { recursive: true });
  await Deno.mkdir(join(root, "docs"));
  for (const f of ["a.ts", "b.ts", "c.ts"]) await Deno.writeTextFile(join(root, "src", f), `// ${f}`);
  await Deno.writeTextFile(join(root, "docs/guide.md"), "guide");
  await Deno.writeTextFile(join(root, "docs/other.md"), "other");
  await Deno.writeTextFile(join(root, ".env"), "TOKEN=secret");
  const traces = join(tmp.path, "traces");

  {
    await using client = await sdkClient(
      proxyArgv({ mode: "record", traceDir: traces }, server(root)),
    );
    await client.listTools();
    for (const f of ["a.ts", "b.ts", "c.ts"]) {
      const r = await client.callTool({ name: "read_text_file", arguments: { path: join(root, "src", f) } });
      assert.equal(firstText(r), `// ${f}`);
    }
    await client.callTool({ name: "read_text_file", arguments: { path: join(root, "docs/guide.md") } });
    await client.callTool({ name: "list_allowed_directories", arguments: {} });
    // The agent also touched a secret and hit a missing file: neither may be learned.
    const env = await client.callTool({ name: "read_text_file", arguments: { path: join(root, ".env") } });
    assert.equal(env.isError, true);
    assert.doesNotMatch(JSON.stringify(env), /TOKEN=secret/);
    const missing = await client.callTool({
      name: "read_text_file",
      arguments: { path: join(root, "nope.ts") },
    });
    assert.equal(missing.isError, true);
    await client.close();
  }

  const out = join(tmp.path, "mcp.policy.yaml");
  const io = fakeIo({ cwd: tmp.path, env: { HOME: Deno.env.get("HOME") ?? "/root" } });
  const code = await run(["infer", traces, "--out", out], io);
  assert.equal(code, 0, io.stderrText());
  const summary = io.stdoutText();
  // Record mode's sandbox hides .env files too, so that read failed like the missing file: neither is learned.
  assert.match(summary, /fs\.read_text_file: tool error \(2x/);
  assert.doesNotMatch(summary, /Secret paths were touched/);
  const { policy, warnings } = await loadPolicy(out, { cwd: tmp.path, home: "/nonexistent-home" });
  assert.deepEqual(warnings, []);
  const fs = policy.servers!.fs!;
  assert.deepEqual(fs.allowed_tools, ["list_allowed_directories", "read_text_file"]);
  assert.deepEqual(fs.allowed_paths, ["./proj/docs/guide.md", "./proj/src"]);
  // Dangerous tools the server offered but the agent never used are denied by their real names.
  for (const t of ["write_file", "edit_file", "move_file"]) assert.ok(fs.denied_tools?.includes(t), t);
  // The second layer: what the server itself opened, seen by strace in record mode's OS sandbox (the
  // runtime's own files, node and its npx package, are left out).
  assert.deepEqual(fs.sandbox?.read, ["./proj"]);
  assert.deepEqual(fs.sandbox?.write, []);

  await using client = await sdkClient(
    proxyArgv({ mode: "enforce", policy: out, traceDir: join(tmp.path, "traces2") }, server(root)),
  );
  for (const f of ["a.ts", "b.ts"]) {
    const r = await client.callTool({ name: "read_text_file", arguments: { path: join(root, "src", f) } });
    assert.equal(firstText(r), `// ${f}`);
  }
  for (
    const [name, args] of [
      ["read_text_file", { path: join(root, ".env") }],
      ["read_text_file", { path: join(root, "docs/other.md") }],
      ["write_file", { path: join(root, "src/x.ts"), content: "x" }],
    ] as const
  ) {
    const r = await client.callTool({ name, arguments: args });
    assert.equal(r.isError, true, `${name} ${JSON.stringify(args)}`);
    assert.match(firstText(r), /^AgentPerms blocked this call: /);
  }
  await client.close();
});
