/**
 * Every file AgentPerms writes is 0600, in 0700 folders it creates: policies (infer), reports, the CI workflow
 * (init), traces and the trace folder; a record-mode Deno audit log is 0600 while it exists and is gone after.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import { TraceWriter } from "../../src/trace/mod.ts";
import { DENO, proxyArgv, sdkClient, tempDir } from "../proxy/_helpers.ts";

const SESSION = fileURLToPath(new URL("../fixtures/traces/valid/v1_session.jsonl", import.meta.url));
const FAKE = fileURLToPath(new URL("../proxy/_fake_server.ts", import.meta.url));
const mode = (p: string) => Deno.statSync(p).mode! & 0o777;
const posix = Deno.build.os !== "windows";
// The test's own HOME must not move Deno's cache (an empty one would download every dependency again).
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  (JSON.parse(new TextDecoder().decode(
    new Deno.Command(DENO, { args: ["info", "--json"], stderr: "null" }).outputSync().stdout,
  )) as { denoDir: string }).denoDir;

Deno.test({
  name: "infer --out, report --out and init write 0600 files in 0700 folders, over a 0644 file too",
  ignore: !posix,
  fn: async () => {
    await using tmp = await tempDir();
    Deno.chmodSync(tmp.path, 0o755);
    const io = () => fakeIo({ cwd: tmp.path, env: { HOME: tmp.path } });
    const policy = join(tmp.path, "policies/mcp.policy.yaml");
    await Deno.mkdir(join(tmp.path, "policies"), { mode: 0o755 });
    Deno.writeTextFileSync(policy, "version: 1\n", { mode: 0o644 });
    Deno.chmodSync(policy, 0o644);
    let i = io();
    assert.equal(await run(["infer", SESSION, "--out", policy, "--force"], i), 0, i.stderrText());
    assert.equal(mode(policy), 0o600);
    i = io();
    assert.equal(
      await run(["report", "--path", tmp.path, "--out", "out/r/report.html"], i),
      0,
      i.stderrText(),
    );
    assert.equal(mode(join(tmp.path, "out/r/report.html")), 0o600);
    assert.equal(mode(join(tmp.path, "out")), 0o700);
    assert.equal(mode(join(tmp.path, "out/r")), 0o700);
    i = io();
    assert.equal(await run(["init"], i), 0, i.stderrText());
    assert.equal(mode(join(tmp.path, ".github/workflows/agentperms.yml")), 0o600);
    assert.equal(mode(join(tmp.path, ".github")), 0o700);
    assert.equal(mode(tmp.path), 0o755, "folders that existed keep their mode");
    assert.equal(mode(join(tmp.path, "policies")), 0o755);
  },
});

Deno.test({
  name:
    "TraceWriter.open() makes the default trace folder 0700 even when it exists, and leaves a given one alone",
  ignore: !posix,
  fn: async () => {
    await using tmp = await tempDir();
    for (const [name, ownDir, want] of [["own", true, 0o700], ["given", false, 0o755]] as const) {
      const dir = join(tmp.path, name);
      await Deno.mkdir(dir, { mode: 0o755 });
      Deno.chmodSync(dir, 0o755);
      const w = TraceWriter.open(dir, "t.jsonl", { ownDir });
      w.close();
      assert.equal(mode(dir), want, name);
      assert.equal(mode(join(dir, "t.jsonl")), 0o600);
    }
    const fresh = join(tmp.path, "state/agentperms/traces");
    TraceWriter.open(fresh, "t.jsonl").close();
    for (const d of ["state", "state/agentperms", "state/agentperms/traces"]) {
      assert.equal(mode(join(tmp.path, d)), 0o700, d);
    }
  },
});

Deno.test({
  name: "proxy record under sandbox.mode deno: the audit log is 0600 while the server runs and removed after",
  ignore: !posix,
  fn: async () => {
    await using tmp = await tempDir();
    const policy = join(tmp.path, "p.yaml");
    Deno.writeTextFileSync(policy, "version: 1\nservers:\n  fake:\n    sandbox:\n      mode: deno\n");
    const traces = join(tmp.path, "traces");
    // A proxy killed with SIGKILL left this empty log; the next proxy in the folder removes it.
    await Deno.mkdir(traces, { recursive: true });
    Deno.writeTextFileSync(join(traces, "fake.0123456789ab.permissions.jsonl"), "");
    const audit = () => [...Deno.readDirSync(traces)].filter((e) => e.name.endsWith(".permissions.jsonl"));
    {
      await using client = await sdkClient(
        proxyArgv({ mode: "record", server: "fake", policy, traceDir: traces }, [
          DENO,
          "run",
          FAKE,
          "echo",
        ]),
        { env: { HOME: tmp.path, DENO_DIR } },
      );
      await client.callTool({ name: "echo", arguments: { message: "hi" } });
      const logs = audit();
      assert.equal(logs.length, 1, "the stale empty log is gone, the live one is there");
      assert.notEqual(logs[0]!.name, "fake.0123456789ab.permissions.jsonl");
      assert.equal(mode(join(traces, logs[0]!.name)), 0o600);
    }
    assert.deepEqual(audit(), []);
    for (const e of Deno.readDirSync(traces)) assert.equal(mode(join(traces, e.name)), 0o600, e.name);
  },
});
