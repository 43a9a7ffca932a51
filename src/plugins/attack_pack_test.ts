import assert from "node:assert/strict";
import { AgentPermsError } from "../errors.ts";
import { type AttackPackDescriptor, defineAttackPack, validateAttackPack } from "./attack_pack.ts";

const attack = {
  id: "ssh-key",
  title: "SSH key",
  severity: "critical" as const,
  references: [],
  call: { server: "filesystem", tool: "read_file", arguments: { path: "~/.ssh/id_rsa" } },
  expect: "block" as const,
};
const pack = (over: Partial<AttackPackDescriptor> = {}): AttackPackDescriptor => ({
  apiVersion: 1,
  id: "demo",
  version: "1.0.0",
  description: "demo",
  attacks: [attack],
  ...over,
});

Deno.test("defineAttackPack() returns a valid descriptor unchanged", () => {
  const p = pack();
  assert.equal(defineAttackPack(p), p);
});

Deno.test("defineAttackPack() rejects an unknown apiVersion with plugin_invalid", () => {
  assert.throws(
    () => defineAttackPack({ ...pack(), apiVersion: 2 as 1 }),
    (e: unknown) =>
      e instanceof AgentPermsError && e.code === "plugin_invalid" && /apiVersion 2/.test(e.message),
  );
});

Deno.test("validateAttackPack() reports duplicate attack ids with both positions", () => {
  const issues = validateAttackPack(pack({ attacks: [attack, { ...attack, title: "again" }] }));
  assert.deepEqual(issues, [{
    path: "attacks.1.id",
    message: 'duplicate attack id "ssh-key" (also attacks.0)',
  }]);
});

Deno.test("validateAttackPack() rejects unknown keys and a bad severity", () => {
  const issues = validateAttackPack({ ...pack(), attacks: [{ ...attack, severity: "urgent", extra: 1 }] });
  assert.ok(issues.some((i) => /unknown key\(s\) "extra"/.test(i.message)));
  assert.ok(issues.some((i) => i.path === "attacks.0.severity"));
});

Deno.test("validateAttackPack() requires a tool for tools/call but not for resources/read", () => {
  const noTool = { ...attack, call: { server: "fs", arguments: {} } };
  assert.ok(validateAttackPack(pack({ attacks: [noTool] })).some((i) => i.path === "attacks.0.call.tool"));
  const resource = {
    ...attack,
    call: { server: "fs", method: "resources/read", params: { uri: "file:///etc/passwd" } },
  };
  assert.deepEqual(validateAttackPack(pack({ attacks: [resource] })), []);
});

Deno.test("validateAttackPack() rejects an unknown mutator and an id with a slash", () => {
  const issues = validateAttackPack(pack({ attacks: [{ ...attack, id: "a/b", mutators: ["nope"] }] }));
  assert.ok(issues.some((i) => i.path === "attacks.0.id"));
  assert.equal(issues.length, 1, "schema errors stop before the mutator check");
  const m = validateAttackPack(pack({ attacks: [{ ...attack, mutators: ["case", "nope"] }] }));
  assert.deepEqual(m.map((i) => i.path), ["attacks.0.mutators.1"]);
});
