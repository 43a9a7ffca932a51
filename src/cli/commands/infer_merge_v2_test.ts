import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeIo } from "../io.ts";
import { run } from "../run.ts";

Deno.test("infer --merge refuses a format 2 policy (its v2 rules would be dropped) and leaves it alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-infer-v2-" });
  try {
    const policy = join(dir, "p.yaml");
    const text =
      "version: 2\nservers:\n  fs:\n    tools:\n      read_file: { arguments: { path: { required: true } } }\n";
    await Deno.writeTextFile(policy, text);
    const trace = join(dir, "t.jsonl");
    await Deno.writeTextFile(
      trace,
      '{"ts":1,"server":"fs","tool":"read_file","args":{"path":"./a.txt"},"decision":"allow"}\n',
    );
    const io = fakeIo({ cwd: dir, env: { HOME: dir } });
    assert.equal(await run(["infer", trace, "--merge", policy, "--out", policy], io), 2, io.stderrText());
    assert.match(io.stderrText(), /format 2 policy/);
    assert.equal(await Deno.readTextFile(policy), text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
