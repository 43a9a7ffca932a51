import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeIo } from "../io.ts";
import { run } from "../run.ts";

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-policy-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

const V1 = "# mine\nversion: 1 # keep\nservers:\n  postgres:\n    allowed_tools: [query] # comment\n";

Deno.test("policy upgrade prints the diff and leaves the file alone; --write writes format 2", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "p.yaml");
  await Deno.writeTextFile(file, V1);
  const io = fakeIo({ cwd: dir.path, env: { HOME: dir.path } });
  assert.equal(await run(["policy", "upgrade", "p.yaml"], io), 0, io.stderrText());
  assert.match(io.stdoutText(), /^-version: 1 # keep$/m);
  assert.match(io.stdoutText(), /^\+version: 2 # keep$/m);
  assert.match(io.stderrText(), /note: guard pack "dangerous-arguments" is on/);
  assert.match(io.stderrText(), /server "postgres" reads as profile "postgres"/);
  assert.equal(await Deno.readTextFile(file), V1);
  const w = fakeIo({ cwd: dir.path, env: { HOME: dir.path } });
  assert.equal(await run(["policy", "upgrade", "p.yaml", "--write"], w), 0, w.stderrText());
  const up = await Deno.readTextFile(file);
  assert.match(up, /^version: 2 # keep$/m);
  assert.ok(up.includes("# mine") && up.includes("[query] # comment"));
  const again = fakeIo({ cwd: dir.path, env: { HOME: dir.path } });
  assert.equal(await run(["policy", "upgrade", "p.yaml"], again), 0);
  assert.match(again.stderrText(), /already format 2/);
});

Deno.test("policy upgrade refuses a file that is not a valid policy (exit 3), and never writes it", async () => {
  await using dir = await tempDir();
  const file = join(dir.path, "bad.yaml");
  await Deno.writeTextFile(file, "version: 1\nservers:\n  fs:\n    alowed_tools: [x]\n");
  const io = fakeIo({ cwd: dir.path, env: { HOME: dir.path } });
  assert.equal(await run(["policy", "upgrade", "bad.yaml", "--write"], io), 3);
  assert.match(io.stderrText(), /did you mean "allowed_tools"/);
  assert.match(await Deno.readTextFile(file), /version: 1/);
  const missing = fakeIo({ cwd: dir.path, env: { HOME: dir.path } });
  assert.equal(await run(["policy", "upgrade", "none.yaml"], missing), 3);
});

Deno.test("policy schema prints the published JSON Schema", async () => {
  const io = fakeIo({ env: { HOME: "/nonexistent" } });
  assert.equal(await run(["policy", "schema"], io), 0);
  const published = await Deno.readTextFile(new URL("../../../docs/policy.schema.json", import.meta.url));
  assert.equal(io.stdoutText(), published);
});
