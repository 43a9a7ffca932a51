import assert from "node:assert/strict";
import { join } from "node:path";
import { childEnv, initializeOnce, proxyArgv, ROOT, tempDir } from "./_helpers.ts";

const PY = join(ROOT, "tests/fixtures/servers/py_server.py");

async function startOnce(policy: string, dir: string): Promise<string> {
  const argv = proxyArgv(
    { mode: "enforce", server: "py", policy, traceDir: join(dir, "traces"), extra: ["--no-contain"] },
    ["python3", PY],
  );
  return (await initializeOnce(argv, childEnv({ HOME: dir, XDG_CACHE_HOME: join(dir, "cache") }))).stdout;
}

Deno.test("a proxy start caches a large policy's parse (0600, 0700 folder) and writes nothing for a small one", async () => {
  await using dir = await tempDir();
  const small = join(dir.path, "small.yaml");
  await Deno.writeTextFile(small, "version: 1\nservers:\n  py:\n    allowed_tools: [echo]\n");
  assert.match(await startOnce(small, dir.path), /"serverInfo"/);
  assert.throws(
    () => Deno.statSync(join(dir.path, "cache", "agentperms")),
    "no cache folder for a small policy",
  );

  const large = join(dir.path, "large.yaml");
  const paths = Array.from({ length: 3000 }, (_, i) => `    - ./data/folder-${i}/sub`).join("\n");
  await Deno.writeTextFile(
    large,
    `version: 1\nservers:\n  py:\n    allowed_tools: [echo]\n    allowed_paths:\n${paths}\n`,
  );
  assert.ok(Deno.statSync(large).size >= 64 * 1024);
  assert.match(await startOnce(large, dir.path), /"serverInfo"/);
  const folder = join(dir.path, "cache", "agentperms", "policies");
  const files = [...Deno.readDirSync(folder)].map((e) => e.name);
  assert.equal(files.length, 1, String(files));
  assert.equal(Deno.statSync(folder).mode! & 0o777, 0o700);
  assert.equal(Deno.statSync(join(folder, files[0]!)).mode! & 0o777, 0o600);
  // The second start reads it (and still answers).
  const before = Deno.statSync(join(folder, files[0]!)).mtime!.getTime();
  assert.match(await startOnce(large, dir.path), /"serverInfo"/);
  assert.equal(Deno.statSync(join(folder, files[0]!)).mtime!.getTime(), before, "read, not rewritten");
});
