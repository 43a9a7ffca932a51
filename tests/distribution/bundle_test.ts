// The bundle is how AgentPerms ships where `deno compile` cannot fetch its runtime: build it exactly as
// `deno task bundle` does (only the output path differs, so parallel runs never share a file), then use the
// single JS file as a new user would: a fresh HOME (an empty Deno cache: the bundle must need nothing from
// it), a folder outside the clone, --version, replay, check and doctor.
import assert from "node:assert/strict";
import { join } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { denoRuntimeEnv } from "../../src/sandbox/mod.ts";
import { assertVersionAndDoctor, freshUser, ROOT } from "./_fresh_user.ts";

const POLICY = join(ROOT, "examples/policies/example.mcp.policy.yaml");

Deno.test("deno task bundle builds one JS file that runs --version, replay, check and doctor from a fresh HOME", async () => {
  await using user = await freshUser();
  const task = denoJson.tasks.bundle;
  assert.match(task, /^deno bundle --platform=deno -o dist\/agentperms\.js cli\.ts$/);
  const out = join(user.work, "agentperms.js");
  const args = task.split(" ").slice(1).map((a) => (a === "dist/agentperms.js" ? out : a));
  // Built in the clone with the developer's cache (esbuild comes from npm once); used below without it.
  const built = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { ...denoRuntimeEnv((k) => Deno.env.get(k)), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  assert.equal(built.code, 0, new TextDecoder().decode(built.stderr));

  const deno = Deno.execPath();
  const replay = await user.run(deno, ["run", "-A", out, "replay", "--policy", POLICY, "--format", "json"]);
  assert.equal(replay.code, 0, replay.stderr);
  const r = JSON.parse(replay.stdout);
  assert.equal(r.ok, true);
  assert.ok(r.summary.attacks.total > 0 && r.summary.attacks.blocked === r.summary.attacks.total);

  const call = '{"server":"filesystem","tool":"read_file","arguments":{"path":"~/.ssh/id_rsa"}}';
  const check = await user.run(deno, [
    "run",
    "-A",
    out,
    "check",
    "-p",
    POLICY,
    "--call",
    call,
    "--format",
    "json",
  ]);
  assert.equal(check.code, 1, check.stderr);
  assert.equal(JSON.parse(check.stdout).verdict, "deny");

  await assertVersionAndDoctor(user, [deno, "run", "-A", out], denoJson.version);
  assert.doesNotMatch(
    replay.stderr + check.stderr,
    /Download/,
    "the bundle fetched nothing into the empty cache",
  );
});
