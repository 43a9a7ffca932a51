import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { AgentPermsError } from "../errors.ts";
import { loadAttackPack, loadAttackPacks } from "./load_attack_pack.ts";

const ATTACK = {
  id: "ssh-key",
  title: "SSH key",
  severity: "critical",
  references: [],
  call: { server: "filesystem", tool: "read_file", arguments: { path: "~/.ssh/id_rsa" } },
  expect: "block",
};
const HEADER = { apiVersion: 1, id: "demo", version: "1.0.0", description: "demo" };

async function withDir(files: Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-packs-" });
  try {
    for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function pluginError(re: RegExp) {
  return (e: unknown) => e instanceof AgentPermsError && e.code === "plugin_invalid" && re.test(e.message);
}

const modUrl = pathToFileURL(join(import.meta.dirname!, "mod.ts")).href;

Deno.test("loadAttackPack() loads a TS module's default export from defineAttackPack", async () => {
  const src = `import { defineAttackPack } from "${modUrl}";
export default defineAttackPack(${JSON.stringify({ ...HEADER, attacks: [ATTACK] })});`;
  await withDir({ "pack.ts": src }, async (dir) => {
    const p = await loadAttackPack("pack.ts", { cwd: dir });
    assert.equal(p.id, "demo");
    assert.equal(p.attacks[0]?.id, "ssh-key");
  });
});

Deno.test("loadAttackPack() rejects a module without a default export", async () => {
  await withDir({ "pack.js": "export const pack = 1;\n" }, async (dir) => {
    await assert.rejects(loadAttackPack("pack.js", { cwd: dir }), pluginError(/no default export/));
  });
});

Deno.test("loadAttackPack() loads JSON and YAML data packs", async () => {
  const yaml = `apiVersion: 1\nid: demo\nversion: 1.0.0\ndescription: demo\nattacks:\n  - id: ssh-key\n` +
    `    title: SSH key\n    severity: critical\n    call: { server: filesystem, tool: read_file, ` +
    `arguments: { path: ~/.ssh/id_rsa } }\n    expect: block\n    mutators: [case]\n`;
  await withDir({
    "p.json": JSON.stringify({ ...HEADER, attacks: [ATTACK] }),
    "p.yaml": yaml,
  }, async (dir) => {
    assert.equal((await loadAttackPack("p.json", { cwd: dir })).attacks.length, 1);
    const y = await loadAttackPack(join(dir, "p.yaml"), { cwd: "/" });
    assert.deepEqual(y.attacks[0]?.mutators, ["case"]);
  });
});

Deno.test("loadAttackPack() points at line:col of a YAML schema error", async () => {
  const yaml = `apiVersion: 1\nid: demo\nversion: 1.0.0\ndescription: demo\nattacks:\n  - id: x\n` +
    `    title: X\n    severity: urgent\n    call: { server: fs, tool: t }\n    expect: block\n`;
  await withDir({ "p.yml": yaml }, async (dir) => {
    await assert.rejects(loadAttackPack("p.yml", { cwd: dir }), pluginError(/8:15: attacks\.0\.severity/));
  });
});

Deno.test("loadAttackPack() rejects an unknown apiVersion and duplicate ids in data packs", async () => {
  await withDir({
    "v2.json": JSON.stringify({ ...HEADER, apiVersion: 2, attacks: [] }),
    "dup.json": JSON.stringify({ ...HEADER, attacks: [ATTACK, ATTACK] }),
  }, async (dir) => {
    await assert.rejects(loadAttackPack("v2.json", { cwd: dir }), pluginError(/unsupported apiVersion 2/));
    await assert.rejects(
      loadAttackPack("dup.json", { cwd: dir }),
      pluginError(/duplicate attack id "ssh-key"/),
    );
  });
});

Deno.test("loadAttackPack() reads JSONL: a header line, then one attack per line, errors by line", async () => {
  const good = [JSON.stringify(HEADER), "", "# comment", JSON.stringify(ATTACK)].join("\n");
  const bad = [
    JSON.stringify(HEADER),
    JSON.stringify(ATTACK),
    JSON.stringify({ ...ATTACK, id: "b", expect: "x" }),
  ]
    .join("\n");
  await withDir({
    "good.jsonl": good,
    "bad.jsonl": bad,
    "noheader.jsonl": JSON.stringify(ATTACK),
    "broken.jsonl": `${JSON.stringify(HEADER)}\n{oops`,
    // Two "id"s (one spelled with an escape): JSON.parse keeps the second, the proxy refuses the line.
    "twice.jsonl": `${JSON.stringify(HEADER)}\n${
      JSON.stringify(ATTACK).replace("{", '{"\\u0069d":"other",')
    }`,
  }, async (dir) => {
    assert.equal((await loadAttackPack("good.jsonl", { cwd: dir })).attacks.length, 1);
    await assert.rejects(
      loadAttackPack("bad.jsonl", { cwd: dir }),
      pluginError(/line 3: attacks\.1\.expect/),
    );
    await assert.rejects(
      loadAttackPack("noheader.jsonl", { cwd: dir }),
      pluginError(/line 1: the first line/),
    );
    await assert.rejects(loadAttackPack("broken.jsonl", { cwd: dir }), pluginError(/line 2: invalid JSON/));
    await assert.rejects(
      loadAttackPack("twice.jsonl", { cwd: dir }),
      pluginError(/line 2: duplicate key "id" in one object/),
    );
  });
});

Deno.test("loadAttackPack() fails closed on a missing file, an empty file and an unknown type", async () => {
  await withDir({ "empty.yaml": "  \n", "pack.txt": "x" }, async (dir) => {
    await assert.rejects(loadAttackPack("nope.json", { cwd: dir }), pluginError(/does not exist/));
    await assert.rejects(loadAttackPack("nope.ts", { cwd: dir }), pluginError(/does not exist/));
    await assert.rejects(loadAttackPack("empty.yaml", { cwd: dir }), pluginError(/empty/));
    await assert.rejects(
      loadAttackPack("pack.txt", { cwd: dir }),
      pluginError(/unknown pack file type ".txt"/),
    );
  });
});

Deno.test("loadAttackPack() imports npm: specifiers and validates their default export", async () => {
  // yaml is in the import map and cached; its default export is not a pack, so validation must reject it.
  await assert.rejects(
    loadAttackPack("npm:yaml@2.9.1", { cwd: "/" }),
    pluginError(/npm:yaml@2\.9\.1": apiVersion/),
  );
});

Deno.test("loadAttackPacks() loads every pack file of a directory in name order, skipping tests", async () => {
  await withDir({
    "b.json": JSON.stringify({ ...HEADER, id: "b", attacks: [ATTACK] }),
    "a.jsonl": `${JSON.stringify({ ...HEADER, id: "a" })}\n${JSON.stringify(ATTACK)}`,
    "a_test.ts": "throw new Error('must not load');",
    "README.md": "not a pack",
  }, async (dir) => {
    const packs = await loadAttackPacks(dir, { cwd: "/" });
    assert.deepEqual(packs.map((p) => p.id), ["a", "b"]);
  });
  await withDir({ "README.md": "x" }, async (dir) => {
    await assert.rejects(loadAttackPacks(dir, { cwd: "/" }), pluginError(/no pack files/));
  });
});
