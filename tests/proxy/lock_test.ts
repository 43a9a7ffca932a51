/** End to end: `proxy --lock` compares every tools/list with mcp.lock (a rug pull changes a description). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatLockFile, lockServer } from "../../src/lock/mod.ts";
import { demoServer, firstText, proxyArgv, ROOT, sdkClient, tempDir, traceEvents } from "./_helpers.ts";

const POLICY = join(ROOT, "examples/policies/demo.mcp.policy.yaml");

async function writeLock(dir: string): Promise<string> {
  // Pin the demo's real tools, except that "read" was pinned with another description: it has drifted.
  await using client = await sdkClient(
    proxyArgv({ mode: "record", server: "demo", traceDir: join(dir, "pin") }, demoServer()),
  );
  const { tools } = await client.listTools();
  const pinned = tools.map((t) =>
    t.name === "read" ? { ...t, description: "Read a file in the project." } : t
  );
  const file = join(dir, "mcp.lock");
  const launch = { command: demoServer()[0]!, args: demoServer().slice(1) };
  await Deno.writeTextFile(
    file,
    formatLockFile({ v: 1, servers: { demo: lockServer(launch, { tools: pinned }) } }),
  );
  return file;
}

Deno.test("proxy --lock: enforce hides a drifted tool and denies calls to it; record keeps it and traces the drift", async () => {
  await using tmp = await tempDir();
  const lock = await writeLock(tmp.path);
  {
    await using client = await sdkClient(
      proxyArgv(
        {
          mode: "enforce",
          server: "demo",
          policy: POLICY,
          traceDir: join(tmp.path, "e"),
          extra: ["--lock", lock],
        },
        demoServer(),
      ),
    );
    const names = (await client.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes("read"), names.join());
    assert.ok(names.includes("write"));
    const r = await client.callTool({ name: "read", arguments: { path: "sandbox/notes.txt" } });
    assert.match(firstText(r), /does not match mcp\.lock \(description changed\)/);
  }
  {
    await using client = await sdkClient(
      proxyArgv(
        { mode: "record", server: "demo", traceDir: join(tmp.path, "r"), extra: ["--lock", lock] },
        demoServer(),
      ),
    );
    assert.ok((await client.listTools()).tools.some((t) => t.name === "read"));
  }
  const drift = (await traceEvents(join(tmp.path, "r"))).filter((e) => e.kind === "drift");
  assert.deepEqual(drift.map((e) => [e.tool, e.detail]), [["read", "description changed"]]);
});

Deno.test("proxy --lock with a missing lock file refuses to start (exit 3)", async () => {
  await using tmp = await tempDir();
  const argv = proxyArgv(
    {
      mode: "enforce",
      server: "demo",
      policy: POLICY,
      traceDir: tmp.path,
      extra: ["--lock", join(tmp.path, "none.lock")],
    },
    demoServer(),
  );
  const out = await new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  assert.equal(out.code, 3, new TextDecoder().decode(out.stderr));
  assert.equal(out.stdout.length, 0);
});

Deno.test("proxy --lock: the package version pinned in mcp.lock is the one started", async () => {
  await using tmp = await tempDir();
  const file = join(tmp.path, "mcp.lock");
  const launch = { command: "npx", args: ["-y", "@modelcontextprotocol/server-everything@2026.8.31"] };
  await Deno.writeTextFile(
    file,
    formatLockFile({ v: 1, servers: { everything: lockServer(launch, { tools: [] }) } }),
  );
  const traces = join(tmp.path, "t");
  {
    // The client config is unpinned (npx -y, no version), as users often write it.
    await using client = await sdkClient(
      proxyArgv(
        { mode: "record", server: "everything", traceDir: traces, extra: ["--lock", file] },
        ["npx", "-y", "@modelcontextprotocol/server-everything"],
      ),
    );
    assert.ok((await client.listTools()).tools.some((t) => t.name === "echo"));
  }
  // The OS sandbox runs the locked version's bin from npm's npx cache.
  const notes = (await traceEvents(traces)).filter((e) => e.kind === "lifecycle").map((e) => e.detail).join(
    "\n",
  );
  assert.match(notes, /Runs @modelcontextprotocol\/server-everything@2026\.8\.31 from npm's npx cache/);
});
