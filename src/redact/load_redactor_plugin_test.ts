import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AgentPermsError } from "../errors.ts";
import { compileRedactor, loadRedactorPlugin } from "./mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function withPlugin(source: string, fn: (file: string, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-redactor-" });
  try {
    const file = join(dir, "plugin.ts");
    await Deno.writeTextFile(file, source);
    await fn(file, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function assertRejects(p: Promise<unknown>, includes: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AgentPermsError, String(e));
    assert.equal(e.code, "plugin_invalid");
    assert.ok(e.message.includes(includes), e.message);
    return true;
  });
}

Deno.test("loadRedactorPlugin() loads the worked example relative to cwd and its rules run", async () => {
  const d = await loadRedactorPlugin("examples/redactors/acme_tokens.ts", { cwd: ROOT });
  assert.equal(d.id, "acme-tokens");
  const r = compileRedactor([d]);
  assert.deepEqual(r.redactText("t=acme_live_0123456789abcdef0123").fired, ["acme-tokens/acme-api-token"]);
});

Deno.test("loadRedactorPlugin() loads a plain-object plugin by absolute path", async () => {
  await withPlugin(
    `export default { apiVersion: 1, id: "x-pack", version: "0.1.0", category: "secrets",
       rules: [{ id: "x-token", pattern: /xtok_[a-z]{8}/g }],
       samples: { redact: ["xtok_abcdefgh"], keep: ["xtok_"] } };`,
    async (file) => {
      const d = await loadRedactorPlugin(file, { cwd: "/" });
      assert.equal(d.rules[0]!.id, "x-token");
    },
  );
});

Deno.test("loadRedactorPlugin() rejects an unknown apiVersion", async () => {
  await withPlugin(
    `export default { apiVersion: 2, id: "x", version: "1", rules: [], samples: { redact: [], keep: [] } };`,
    (file) => assertRejects(loadRedactorPlugin(file, { cwd: "/" }), "unsupported apiVersion 2"),
  );
});

Deno.test("loadRedactorPlugin() rejects a plugin whose samples do not hold, naming the sample", async () => {
  await withPlugin(
    `export default { apiVersion: 1, id: "x", version: "1",
       rules: [{ id: "r", pattern: /secret/g, samples: { redact: ["secret"], keep: ["no secret here"] } }],
       samples: { redact: [], keep: [] } };`,
    (file) =>
      assertRejects(loadRedactorPlugin(file, { cwd: "/" }), 'rule "x/r": keep sample "no secret here"'),
  );
});

Deno.test("loadRedactorPlugin() rejects a missing file, a syntax error and a missing default export", async () => {
  await assertRejects(
    loadRedactorPlugin("nope/missing.ts", { cwd: "/tmp" }),
    'Cannot load redactor plugin "nope/missing.ts"',
  );
  await withPlugin(
    "export default {",
    (file) => assertRejects(loadRedactorPlugin(file, { cwd: "/" }), "Cannot load"),
  );
  await withPlugin(
    "export const x = 1;",
    (file) => assertRejects(loadRedactorPlugin(file, { cwd: "/" }), "no default export"),
  );
});

Deno.test("loadRedactorPlugin() rejects a rule with a nested quantifier before running it", async () => {
  await withPlugin(
    `export default { apiVersion: 1, id: "x", version: "1",
       rules: [{ id: "evil", pattern: /(a+)+b/g }], samples: { redact: ["aab"], keep: [] } };`,
    (file) =>
      assertRejects(loadRedactorPlugin(file, { cwd: "/" }), 'rule "x/evil" can take exponential time'),
  );
});

Deno.test("loadRedactorPlugin() rejects a rule that is quadratic on a long token", async () => {
  await withPlugin(
    `export default { apiVersion: 1, id: "x", version: "1",
       rules: [{ id: "slow", pattern: /[a-z0-9]{20,}x/g }],
       samples: { redact: ["abcdefghijklmnopqrstuvwxyzx"], keep: [] } };`,
    (file) => assertRejects(loadRedactorPlugin(file, { cwd: "/" }), 'rule "x/slow" took'),
  );
});

Deno.test("loadRedactorPlugin() imports a specifier as is instead of resolving it as a path", async () => {
  const src = `export default { apiVersion: 1, id: "inline", version: "1",
    rules: [{ id: "r", pattern: /inl_[a-z]{8}/g }], samples: { redact: ["inl_abcdefgh"], keep: ["inl_"] } };`;
  const d = await loadRedactorPlugin(`data:application/javascript,${encodeURIComponent(src)}`, {
    cwd: "/nowhere",
  });
  assert.equal(d.id, "inline");
});
