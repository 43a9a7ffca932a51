import assert from "node:assert/strict";
import { upgradePolicy } from "./upgrade_policy.ts";

const V1 = `# Team policy
version: 1 # the format

servers:
  # the database
  postgres:
    allowed_tools: [query] # read only
  github:
    denied_tools: [delete_repository]
guards:
  option-injection: true
`;

Deno.test("upgradePolicy() sets version 2 and keeps every comment, key order and layout", () => {
  const up = upgradePolicy(V1, { file: "p.yaml" });
  assert.equal(up.changed, true);
  for (const c of ["# Team policy", "# the format", "# the database", "# read only"]) {
    assert.ok(up.text.includes(c), `${c} kept:\n${up.text}`);
  }
  assert.match(up.text, /^version: 2 # the format$/m);
  assert.ok(up.text.indexOf("postgres:") < up.text.indexOf("github:"));
  // Only the version line and the header comment differ.
  const before = V1.split("\n").filter((l) => !l.startsWith("version"));
  const after = up.text.split("\n").filter((l) =>
    !l.startsWith("version") && !l.includes("agentperms policy upgrade")
  );
  assert.deepEqual(after.map((l) => l.replace(/\s+/g, "")), before.map((l) => l.replace(/\s+/g, "")));
});

Deno.test("upgradePolicy() notes what v2 turns on: guard packs and profile read-only SQL", () => {
  const up = upgradePolicy(V1, { file: "p.yaml" });
  assert.ok(up.notes.some((n) => n.includes('guard pack "dangerous-arguments"')));
  assert.ok(up.notes.some((n) => n.includes('server "postgres"') && n.includes('"query"')));
  const off = upgradePolicy("version: 1\nservers: {}\nguards: { option-injection: true }\n", { file: "p" });
  assert.equal(off.notes.length, 1);
});

Deno.test("upgradePolicy() leaves a v2 file alone and refuses what is not a v1 policy", () => {
  const v2 = "version: 2\nservers: {}\n";
  assert.deepEqual(upgradePolicy(v2, { file: "p" }), { text: v2, changed: false, notes: [] });
  assert.throws(() => upgradePolicy("version: 3\nservers: {}\n", { file: "p" }), /unsupported version 3/);
  assert.throws(() => upgradePolicy("- a\n", { file: "p" }), /mapping/);
  assert.throws(() => upgradePolicy("a: [\n", { file: "p" }), /YAML error/);
});
