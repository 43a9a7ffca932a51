import assert from "node:assert/strict";
import { join } from "node:path";
import { parsePolicy } from "../../policy/mod.ts";
import { fakeIo } from "../io.ts";
import { run } from "../run.ts";

Deno.test("infer --merge into a format 2 policy writes format 2 without --v2 and keeps its v2 rules", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-infer-v2-" });
  try {
    const policy = join(dir, "p.yaml");
    const text =
      "version: 2\nservers:\n  fs:\n    tools:\n      read_file: { arguments: { path: { required: true } } }\n";
    await Deno.writeTextFile(policy, text);
    const trace = join(dir, "t.jsonl");
    await Deno.writeTextFile(
      trace,
      [
        '{"ts":1,"server":"fs","tool":"read_file","args":{"path":"./a.txt"},"decision":"allow"}',
        '{"ts":2,"server":"github","tool":"get_issue","args":{"owner":"acme","repo":"app","issue_number":1},"decision":"allow"}',
      ].join("\n") + "\n",
    );
    const io = fakeIo({ cwd: dir, env: { HOME: dir } });
    assert.equal(await run(["infer", trace, "--merge", policy, "--out", policy], io), 0, io.stderrText());
    assert.match(io.stdoutText(), /note: ".*p\.yaml" is format 2, so the inferred policy is format 2 too/);
    const merged = await Deno.readTextFile(policy);
    const { policy: parsed } = parsePolicy(merged, { file: policy });
    assert.equal(parsed.version, 2);
    assert.match(merged, /read_file: \{ arguments: \{ path: \{ required: true \} \} \}|required: true/);
    // Learned as format 2: the repository the call touched is a scope.
    assert.match(merged, /repos:\n\s+- acme\/app/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("infer --merge into a format 1 policy stays format 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-infer-v1-" });
  try {
    const policy = join(dir, "p.yaml");
    await Deno.writeTextFile(policy, "version: 1\nservers:\n  fs:\n    denied_paths: [~/.ssh]\n");
    const trace = join(dir, "t.jsonl");
    await Deno.writeTextFile(
      trace,
      '{"ts":1,"server":"fs","tool":"read_file","args":{"path":"./a.txt"},"decision":"allow"}\n',
    );
    const io = fakeIo({ cwd: dir, env: { HOME: dir } });
    assert.equal(await run(["infer", trace, "--merge", policy, "--out", policy], io), 0, io.stderrText());
    assert.equal(parsePolicy(await Deno.readTextFile(policy), { file: policy }).policy.version, 1);
    assert.doesNotMatch(io.stdoutText(), /is format 2/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
