import assert from "node:assert/strict";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import { readLockFile } from "../../src/lock/mod.ts";
import { everythingEntry, filesystemEntry, memoryEntry } from "./_servers.ts";
import { denoRuntimeEnv } from "../../src/sandbox/mod.ts";

Deno.test("lock pins server-everything, server-filesystem and server-memory, and re-checks with no drift", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-lock-npm-" });
  try {
    const root = `${dir}/root`;
    const mem = `${dir}/mem`;
    await Deno.mkdir(root);
    await Deno.mkdir(mem);
    await Deno.writeTextFile(`${root}/a.txt`, "hello");
    const servers = {
      everything: everythingEntry(),
      filesystem: filesystemEntry(root),
      memory: memoryEntry(mem),
    };
    await Deno.writeTextFile(`${dir}/mcp.json`, JSON.stringify({ mcpServers: servers }));
    const env: Record<string, string> = { ...denoRuntimeEnv((k) => Deno.env.get(k)) };
    const cli = async (...args: string[]) => {
      const io = fakeIo({ env, cwd: dir });
      const code = await run(["lock", "--path", `${dir}/mcp.json`, "--timeout", "120000", ...args], io);
      return { code, out: io.stdoutText(), err: io.stderrText() };
    };
    const t0 = performance.now();
    const locked = await cli();
    const lockMs = performance.now() - t0;
    assert.equal(locked.code, 0, locked.err);
    const lock = await readLockFile(`${dir}/mcp.lock`);
    assert.equal(lock.servers.everything?.serverInfo?.name, "mcp-servers/everything");
    assert.ok(Object.keys(lock.servers.everything!.tools).includes("echo"));
    assert.ok(lock.servers.everything!.prompts, "everything offers prompts");
    assert.ok(Object.keys(lock.servers.filesystem!.tools).includes("read_text_file"));
    assert.equal(lock.servers.memory?.serverInfo?.name, "memory-server");
    assert.ok(Object.keys(lock.servers.memory!.tools).length > 0);

    const t1 = performance.now();
    const check = await cli("--check");
    const checkMs = performance.now() - t1;
    assert.equal(check.code, 0, check.out + check.err);
    assert.match(check.out, /3 server\(s\), \d+ tool\(s\) match/);
    const verify = await cli("--verify-config");
    assert.equal(verify.code, 0, verify.out + verify.err);
    // Generous bound (measured ~0.8 s each on a 2-core box with a warm npm cache): catches a hang or
    // a serial timeout, not a slow machine.
    assert.ok(lockMs < 60_000 && checkMs < 60_000, `lock ${lockMs} ms, check ${checkMs} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
