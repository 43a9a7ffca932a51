import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import { defaultDenoDir } from "../../src/sandbox/mod.ts";

const TINY = fileURLToPath(new URL("./_tiny_server.ts", import.meta.url));

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-doctor-e2e-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("doctor --start starts a wired server as its client would: one answers initialize, one's failure shows its stderr", async () => {
  await using dir = await tempDir();
  const home = join(dir.path, "home");
  const state = join(dir.path, "state");
  await Deno.mkdir(home);
  const file = join(dir.path, "mcp.json");
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      mcpServers: {
        tiny: {
          command: Deno.execPath(),
          args: ["run", "--no-config", "--no-prompt", "--allow-env=TINY_GREETING", TINY],
          env: { TINY_GREETING: "hi " },
        },
        broken: {
          command: Deno.execPath(),
          args: ["eval", "console.error('boom: MY_TOKEN is not set'); Deno.exit(3)"],
        },
      },
    }),
  );
  // Wiring captures the Deno cache in use into the launcher (a throwaway HOME would start a cold one), and
  // the test's own state folder, never the user's.
  const realHome = Deno.env.get("HOME") ?? "/";
  const env = {
    HOME: home,
    XDG_STATE_HOME: state,
    DENO_DIR: Deno.env.get("DENO_DIR") ?? defaultDenoDir(realHome, Deno.env.toObject(), Deno.build.os),
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  const wire = fakeIo({ cwd: dir.path, env });
  assert.equal(await run(["record", "--path", file], wire), 0, wire.stderrText());

  const io = fakeIo({ cwd: dir.path, env });
  const code = await run(["doctor", "--path", file, "--start", "--timeout", "60", "--format", "json"], io);
  const out = JSON.parse(io.stdoutText());
  const byName = Object.fromEntries(
    out.servers.map((s: { server: string }) => [s.server, s]),
  ) as Record<string, { status: string; checks: { id: string; status: string; detail: string }[] }>;
  const tinyStart = byName.tiny!.checks.find((c) => c.id === "start");
  assert.equal(tinyStart?.status, "ok", JSON.stringify(byName.tiny, null, 2));
  assert.match(tinyStart!.detail, /answers initialize in \d+ ms \(tiny 1\.0\.0\)/);
  const launcher = byName.tiny!.checks.find((c) => c.id === "command");
  assert.match(launcher!.detail, /launcher .*home\/\.local\/share\/agentperms\/bin\/agentperms → /);

  const broken = byName.broken!.checks.find((c) => c.id === "start");
  assert.equal(broken?.status, "fail", JSON.stringify(byName.broken, null, 2));
  assert.match(broken!.detail, /boom: MY_TOKEN is not set/);
  assert.equal(code, 1, "a server failed");
  // The probe's session trace went to the test's state folder.
  assert.ok([...Deno.readDirSync(join(state, "agentperms/traces"))].length > 0);
});
