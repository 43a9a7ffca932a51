// The bundle is how AgentPerms ships where `deno compile` cannot fetch its runtime: build it exactly as
// `deno task bundle` does (only the output path differs, so parallel runs never share a file), then run
// --version, replay and check from the single JS file, from another working directory.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { denoRuntimeEnv } from "../../src/sandbox/mod.ts";

const ROOT = resolve(import.meta.dirname!, "../..");
const POLICY = join(ROOT, "examples/policies/example.mcp.policy.yaml");

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-bundle-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

async function sh(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {
    ...denoRuntimeEnv((k) => Deno.env.get(k)),
    NO_COLOR: "1",
    RUST_BACKTRACE: "0",
    DENO_NO_UPDATE_CHECK: "1",
  };
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno task bundle builds one JS file that runs --version, replay and check", async () => {
  await using dir = await tempDir();
  const task = denoJson.tasks.bundle;
  assert.match(task, /^deno bundle --platform=deno -o dist\/agentperms\.js cli\.ts$/);
  const out = join(dir.path, "agentperms.js");
  const args = task.split(" ").slice(1).map((a) => (a === "dist/agentperms.js" ? out : a));
  const built = await sh(args, ROOT);
  assert.equal(built.code, 0, built.stderr);

  const version = await sh(["run", "-A", out, "--version"], dir.path);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), denoJson.version);

  const replay = await sh(["run", "-A", out, "replay", "--policy", POLICY, "--format", "json"], dir.path);
  assert.equal(replay.code, 0, replay.stderr);
  const r = JSON.parse(replay.stdout);
  assert.equal(r.ok, true);
  assert.ok(r.summary.attacks.total > 0 && r.summary.attacks.blocked === r.summary.attacks.total);

  const call = '{"server":"filesystem","tool":"read_file","arguments":{"path":"~/.ssh/id_rsa"}}';
  const check = await sh(
    ["run", "-A", out, "check", "-p", POLICY, "--call", call, "--format", "json"],
    dir.path,
  );
  assert.equal(check.code, 1, check.stderr);
  assert.equal(JSON.parse(check.stdout).verdict, "deny");
});
