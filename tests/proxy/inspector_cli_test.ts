/**
 * A second real client: the MCP Inspector CLI (`@modelcontextprotocol/inspector-cli@1.0.3`, `--cli` mode's
 * entry `build/index.js`) run under Deno, talking to the proxy over stdio.
 *
 * Two quirks of inspector-cli 1.0.3, worked around here: (1) it reads its own package.json through a path
 * checked relative to the *cwd* (`fs.existsSync("../package.json")`) but imported relative to the module,
 * so it only starts from a directory whose parent has a package.json; (2) it splits its argv at the first
 * `--`, so the proxy is given its server command without `--` (commander's pass-through handles that).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { childEnv, demoServer, DENO, npmServer, proxyArgv, ROOT, tempDir } from "./_helpers.ts";

const INSPECTOR = "npm:@modelcontextprotocol/inspector-cli@1.0.3/build/index.js";

async function inspect(
  work: string,
  method: string[],
  proxy: string[],
  trailing: string[] = [],
): Promise<{ code: number; out: string; err: string }> {
  const cwd = join(work, "cwd");
  await Deno.mkdir(cwd, { recursive: true });
  await Deno.writeTextFile(join(work, "package.json"), "{}");
  const r = await new Deno.Command(DENO, {
    args: ["run", "-A", "--no-config", INSPECTOR, ...method, ...proxy, ...trailing],
    cwd,
    env: childEnv(),
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

function proxy(
  mode: "record" | "enforce",
  server: string,
  traceDir: string,
  policy: string | undefined,
  serverArgv: string[],
) {
  return proxyArgv({ mode, server, traceDir, policy, separator: false }, serverArgv);
}

Deno.test("inspector-cli through the proxy (enforce, demo server): filtered tools/list and a blocked tools/call", async () => {
  await using tmp = await tempDir();
  const policy = join(ROOT, "examples/policies/demo.mcp.policy.yaml");
  const p = proxy("enforce", "demo", join(tmp.path, "t"), policy, demoServer());
  const list = await inspect(tmp.path, ["--method", "tools/list"], p);
  assert.equal(list.code, 0, list.err);
  const names = (JSON.parse(list.out) as { tools: { name: string }[] }).tools.map((t) => t.name);
  assert.deepEqual(names.sort(), ["create_issue", "list_repos", "read", "send_email", "write"]);
  const call = await inspect(tmp.path, ["--method", "tools/call", "--tool-name", "read"], p, [
    "--tool-arg",
    "path=~/.ssh/id_rsa",
  ]);
  assert.equal(call.code, 0, call.err);
  const r = JSON.parse(call.out) as { isError: boolean; content: { text: string }[] };
  assert.equal(r.isError, true);
  assert.match(r.content[0]!.text, /AgentPerms blocked this call: Path "~\/.ssh\/id_rsa"/);
});

Deno.test("inspector-cli through the proxy (record, server-everything and server-memory): calls reach the server", async () => {
  await using tmp = await tempDir();
  const echo = await inspect(
    tmp.path,
    ["--method", "tools/call", "--tool-name", "echo"],
    proxy("record", "everything", join(tmp.path, "t1"), undefined, npmServer("everything")),
    ["--tool-arg", "message=hello-inspector"],
  );
  assert.equal(echo.code, 0, echo.err);
  assert.match(echo.out, /Echo: hello-inspector/);
  const mem = join(tmp.path, "mem");
  await Deno.mkdir(mem);
  const graph = await inspect(
    tmp.path,
    ["--method", "tools/call", "--tool-name", "read_graph"],
    proxy("record", "memory", join(tmp.path, "t2"), undefined, [
      "env",
      `MEMORY_FILE_PATH=${join(mem, "m.jsonl")}`,
      ...npmServer("memory", {
        flags: ["--allow-env=MEMORY_FILE_PATH", `--allow-read=${mem}`, `--allow-write=${mem}`],
      }),
    ]),
  );
  assert.equal(graph.code, 0, graph.err);
  assert.match(graph.out, /entities/);
});
