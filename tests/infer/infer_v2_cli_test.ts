/** `agentperms infer --v2` end to end through `run()`: the file it writes loads, and --merge keeps v2 rules. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import { parsePolicy } from "../../src/policy/mod.ts";

const line = (tool: string, args: Record<string, unknown>) =>
  JSON.stringify({ ts: 1, server: "github", tool, args, decision: "allow" });

Deno.test("infer --v2 writes a format 2 policy with scopes and evidence, and merges into a v2 policy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-infer-v2-cli-" });
  try {
    const trace = join(dir, "t.jsonl");
    await Deno.writeTextFile(
      trace,
      [
        line("list_commits", { owner: "acme", repo: "site" }),
        line("get_issue", { owner: "acme", repo: "app", issue_number: 1 }),
      ].join("\n") + "\n",
    );
    const out = join(dir, "p.yaml");
    let io = fakeIo({ cwd: dir, env: { HOME: dir } });
    assert.equal(await run(["infer", trace, "--v2", "--out", out], io), 0, io.stderrText());
    const text = await Deno.readTextFile(out);
    const { policy } = parsePolicy(text, { file: out });
    assert.equal(policy.version, 2);
    assert.match(
      text,
      /# what the learned calls touched, read with server profile "github"\n\s+scopes:\n\s+repos:/,
    );
    assert.match(
      io.stdoutText(),
      /Format 2:\n {2}github: scopes repos\.\n {2}Session rule untrusted-then-send: /,
    );
    // Merging again keeps the hand-written v2 rule and adds nothing twice.
    const hand = text.replace(
      "servers:\n",
      "servers:\n  mail:\n    tools:\n      send: { arguments: { to: { glob: '*@corp.example' } } }\n",
    );
    await Deno.writeTextFile(out, hand);
    io = fakeIo({ cwd: dir, env: { HOME: dir } });
    assert.equal(await run(["infer", trace, "--v2", "--merge", out, "--out", out], io), 0, io.stderrText());
    const merged = await Deno.readTextFile(out);
    assert.match(merged, /\*@corp\.example/);
    assert.equal(merged.match(/acme\/site/g)?.length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
