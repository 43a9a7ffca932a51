/** Record mode: the server's OS-level accesses land in the trace directory and become containment events. */
import assert from "node:assert/strict";
import { hostRealpath } from "../../src/canonical/mod.ts";
import { planLaunch, readAuditFile } from "../../src/sandbox/mod.ts";
import { TraceEventV1Schema } from "../../src/trace/mod.ts";
import { compile, connect, FS_PKG, makeFixture, proxyEnv } from "./_helpers.ts";

Deno.test("planLaunch() in record mode audits what server-filesystem touched, for infer", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const traceDir = `${R}/traces`;
  await Deno.mkdir(traceDir);
  const opts = {
    denoPath: Deno.execPath(),
    home: Deno.env.get("HOME") ?? "/",
    cwd: R,
    env: proxyEnv(),
    mode: "record" as const,
    traceDir,
    realpath: hostRealpath,
  };
  // No rules yet (the usual first run): all permissions, everything audited.
  const open = planLaunch(undefined, "fs", ["npx", "-y", FS_PKG, `${R}/allowed`], opts);
  // With rules: contained, and still audited (scoped grants give exact kinds).
  const policy = compile(`version: 1\nservers:\n  fs:\n    allowed_paths: [${R}/allowed]\n`, R);
  const contained = planLaunch(policy, "fs", ["npx", "-y", FS_PKG, `${R}/allowed`], opts);
  assert.equal(contained.contained, true);
  for (const plan of [open, contained]) {
    assert.equal(plan.auditFile, `${traceDir}/fs.permissions.jsonl`);
    {
      await using c = await connect(plan);
      assert.equal((await c.text("read_text_file", { path: `${R}/allowed/sub/b.txt` })).text, "SUB");
      await c.text("write_file", { path: `${R}/allowed/new.txt`, content: "x" });
    }
    const events = await readAuditFile(plan.auditFile!, { sessionId: "s", server: "fs", mode: "record" });
    for (const e of events) TraceEventV1Schema.parse(e);
    const has = (permission: string, value: string) =>
      events.find((e) => e.permission === permission && e.value === value);
    assert.ok(has("env", "__MINIMATCH_TESTING_PLATFORM__"), JSON.stringify(events));
    assert.ok(has("read", `${R}/allowed/sub/b.txt`), JSON.stringify(events));
    assert.ok(has("write", `${R}/allowed/new.txt`) ?? has("read", `${R}/allowed/new.txt`)?.maybeWrite);
    assert.ok(events.every((e) => e.kind === "containment" && e.source === "audit"));
    await Deno.remove(plan.auditFile!);
    await Deno.remove(`${R}/allowed/new.txt`).catch(() => {});
  }
});
