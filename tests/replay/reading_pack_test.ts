// The reading pack (issue #16) against the example policy and against the example policy plus the servers the
// pack also targets (examples/policies/reading.mcp.policy.yaml), and its list of known gaps.
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { BUILTIN_PACKS } from "../../attacks/mod.ts";
import reading, { READING_CLASSES, READING_KNOWN_GAPS } from "../../attacks/reading.ts";
import { hostRealpath } from "../../src/canonical/mod.ts";
import type { Attack } from "../../src/plugins/mod.ts";
import { loadPolicy } from "../../src/policy/mod.ts";
import { expandPack, replayPack, type ReplayResult, summarizeReplay } from "../../src/replay/mod.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HOME = "/home/ci";
const EXAMPLE = "examples/policies/example.mcp.policy.yaml";
const READING_POLICY = "examples/policies/reading.mcp.policy.yaml";

async function replay(policy: string, attacks: readonly Attack[] = reading.attacks): Promise<ReplayResult[]> {
  const loaded = await loadPolicy(policy, { cwd: ROOT, home: HOME });
  // As `agentperms replay` does: relative paths resolve in the policy's folder, symlinks through the host.
  return replayPack(loaded.compiled, { ...reading, attacks: [...attacks] }, {
    cwd: dirname(loaded.file),
    home: HOME,
    realpath: hostRealpath,
  });
}

const show = (rs: ReplayResult[]) => rs.map((r) => `${r.id}: ${r.verdict} (${r.reason})`).join("\n");

Deno.test("BUILTIN_PACKS replays the reading pack by default, after original and evasion", () => {
  assert.deepEqual(BUILTIN_PACKS.map((p) => p.id), ["original", "evasion", "reading"]);
});

Deno.test("reading pack: every attack names its issue #16 class, and every class 1-7 has attacks and controls", () => {
  const attacks = expandPack(reading);
  const classes = new Set<string>(Object.values(READING_CLASSES));
  for (const a of [...attacks, ...READING_KNOWN_GAPS]) {
    assert.ok(a.evasion !== undefined && classes.has(a.evasion), `${a.id} has class ${a.evasion}`);
  }
  for (const cls of classes) {
    const inCls = attacks.filter((a) => a.evasion === cls);
    assert.ok(inCls.some((a) => a.expect === "block"), `${cls} has attacks`);
    assert.ok(inCls.some((a) => a.expect === "allow"), `${cls} has benign controls`);
  }
  // No gap may also sit in the pack: the pack must pass, the gaps are expected to get through.
  const ids = new Set(attacks.map((a) => a.id));
  for (const g of READING_KNOWN_GAPS) assert.ok(!ids.has(g.id), `${g.id} is both a gap and in the pack`);
});

Deno.test(`reading pack: ${EXAMPLE} blocks every attack and allows every control`, async () => {
  const results = await replay(EXAMPLE);
  const s = summarizeReplay(results);
  assert.deepEqual(s.holes, [], show(results.filter((r) => !r.passed)));
  assert.deepEqual(s.overBlocked, [], show(results.filter((r) => !r.passed)));
  // The example policy does not list fetch, shell and git yet: those blocks prove nothing there, and the next
  // test is where they are earned. Any other server in this list is a mistake in the pack.
  assert.deepEqual(Object.keys(s.unknownServers).sort(), ["fetch", "git", "shell"]);
  assert.ok(s.attacks.total > 200 && s.controls.total > 15);
});

Deno.test(`reading pack: ${READING_POLICY} earns every block (no unknown server) and allows every control`, async () => {
  const results = await replay(READING_POLICY);
  const s = summarizeReplay(results);
  assert.deepEqual(s.holes, [], show(results.filter((r) => !r.passed)));
  assert.deepEqual(s.overBlocked, [], show(results.filter((r) => !r.passed)));
  assert.deepEqual(s.unknownServers, {});
  // The unproven command on the approval-listed shell.exec goes to a human; the same on shell.run is denied.
  const approval = results.find((r) => r.attack === "shell.approval-listed-unproven");
  assert.equal(approval?.verdict, "approve");
  assert.ok(results.some((r) => r.server === "shell" && r.ruleIds.includes("command/unproven")));
});

Deno.test("reading pack: the known gaps still fail (move one into the pack once it is read right)", async () => {
  const results = await replay(READING_POLICY, READING_KNOWN_GAPS);
  const fixed = results.filter((r) => r.passed);
  assert.deepEqual(
    fixed.map((r) => r.attack),
    [],
    "these gaps are read right now: move them from READING_KNOWN_GAPS into the pack (attacks/reading.ts)\n" +
      show(fixed),
  );
  assert.ok(results.length > 0);
});

Deno.test("reading pack: without a realpath (check of a remote server) /proc/self/root is read as /", async () => {
  const loaded = await loadPolicy(EXAMPLE, { cwd: ROOT, home: HOME });
  const kernel = reading.attacks.filter((a) => a.id === "kernel.proc-self-root");
  assert.equal(kernel.length, 1);
  const [r] = replayPack(loaded.compiled, { ...reading, attacks: kernel }, {
    cwd: dirname(loaded.file),
    home: HOME,
  });
  // /proc/self/root/etc/passwd is /etc/passwd to the kernel, with or without a realpath to tell: the allowlist
  // blocks it, and so does a denylist-only server's denied /etc.
  assert.ok(r !== undefined && r.blocked, "blocked by the allowlist");
  const deny = await loadPolicy(READING_POLICY, { cwd: ROOT, home: HOME });
  const onShell = replayPack(deny.compiled, {
    ...reading,
    attacks: [{
      ...kernel[0]!,
      call: { server: "shell", tool: "run", arguments: { command: "cat /proc/self/root/etc/passwd" } },
    }],
  }, { cwd: dirname(deny.file), home: HOME });
  assert.equal(onShell[0]?.blocked, true, "/proc/self/root/etc/passwd is /etc/passwd without a realpath");
});
