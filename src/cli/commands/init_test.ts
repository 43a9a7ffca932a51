import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { fakeIo } from "../io.ts";
import { run, VERSION } from "../run.ts";
import { initWorkflow, PINNED_DENO } from "./init.ts";

interface Job {
  permissions?: Record<string, string>;
  steps: { uses?: string; run?: string; with?: Record<string, unknown> }[];
}

const GOLDEN = new URL("../../../tests/init/golden/agentperms.yml", import.meta.url);

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-init-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("initWorkflow() matches the golden workflow", async () => {
  const text = initWorkflow(VERSION).replaceAll(`(agentperms ${VERSION})`, "(agentperms <VERSION>)");
  if (Deno.args.includes("--update")) await Deno.writeTextFile(GOLDEN, text);
  assert.equal(text, await Deno.readTextFile(GOLDEN));
});

Deno.test("initWorkflow() is read-only, SHA-pinned and never starts the repository's servers", () => {
  const text = initWorkflow("1.2.3");
  const wf = parse(text) as { permissions: unknown; on: Record<string, unknown>; jobs: Record<string, Job> };
  assert.deepEqual(wf.permissions, { contents: "read" });
  assert.deepEqual(Object.keys(wf.on).sort(), ["pull_request", "push", "workflow_dispatch"]);
  assert.ok(!text.includes("pull_request_target"), "never runs PR code with a write token");
  for (const [name, job] of Object.entries<Job>(wf.jobs)) {
    const uploads = job.steps.some((s: { uses?: string }) => s.uses?.includes("upload-sarif"));
    assert.deepEqual(
      job.permissions ?? { contents: "read" },
      uploads ? { contents: "read", "security-events": "write" } : { contents: "read" },
      `job ${name}: security-events only where SARIF is uploaded`,
    );
    for (const step of job.steps as { uses?: string; run?: string; with?: Record<string, unknown> }[]) {
      if (step.uses) {
        assert.match(step.uses, /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/, `pinned by SHA: ${step.uses}`);
      }
      if (step.uses?.startsWith("actions/checkout")) assert.equal(step.with?.["persist-credentials"], false);
      if (step.run) {
        assert.ok(!/--tools\b/.test(step.run), "scan never starts servers");
        assert.ok(
          !/lock(?! --verify-config)\b/.test(step.run.replace(/mcp\.lock/g, "")),
          "lock only verifies",
        );
        for (const m of step.run.matchAll(/npx -y deno@(\S+)/g)) assert.equal(m[1], PINNED_DENO);
      }
    }
  }
  const steps = Object.values<Job>(wf.jobs).flatMap((j) => j.steps.map((s: { run?: string }) => s.run ?? ""));
  assert.ok(steps.some((r) => r.includes("task replay")));
  assert.ok(steps.some((r) => r.includes("scan --path . --format sarif")));
  assert.ok(steps.some((r) => r.includes("lock --verify-config")));
  for (const line of text.split("\n").filter((l) => /uses: /.test(l))) {
    assert.match(line, /@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, "the version tag is commented beside each SHA");
  }
});

Deno.test("agentperms init writes the workflow and refuses to overwrite it without --force", async () => {
  await using dir = await tempDir();
  const io = fakeIo({ cwd: dir.path });
  assert.equal(await run(["init"], io), 0);
  const file = join(dir.path, ".github/workflows/agentperms.yml");
  assert.equal(await Deno.readTextFile(file), initWorkflow(VERSION));
  assert.match(io.stdoutText(), /^Wrote \.github\/workflows\/agentperms\.yml\./);

  await Deno.writeTextFile(file, "mine\n");
  const again = fakeIo({ cwd: dir.path });
  assert.equal(await run(["init"], again), 1);
  assert.equal(await Deno.readTextFile(file), "mine\n", "the existing file is untouched");
  assert.match(again.stderrText(), /error: "\.github\/workflows\/agentperms\.yml" already exists/);
  assert.match(again.stderrText(), /hint: .*--force/);

  const forced = fakeIo({ cwd: dir.path });
  assert.equal(await run(["init", "--force"], forced), 0);
  assert.equal(await Deno.readTextFile(file), initWorkflow(VERSION));
  assert.match(forced.stdoutText(), /\(overwritten\)/);
});

Deno.test("agentperms init --out - prints the workflow and writes nothing", async () => {
  await using dir = await tempDir();
  const io = fakeIo({ cwd: dir.path });
  assert.equal(await run(["init", "--out", "-"], io), 0);
  assert.equal(io.stdoutText(), initWorkflow(VERSION));
  assert.deepEqual([...Deno.readDirSync(dir.path)], []);
});

Deno.test("agentperms init fails with exit 4 and a hint when the file cannot be written", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(join(dir.path, "blocker"), "");
  const io = fakeIo({ cwd: dir.path });
  assert.equal(await run(["init", "--out", "blocker/wf.yml"], io), 4);
  assert.match(io.stderrText(), /error: Cannot write "blocker\/wf\.yml"/);
  assert.match(io.stderrText(), /hint: /);
});
