/**
 * Containment e2e with the real server-filesystem given a broad root: the JSON-RPC layer is bypassed (the
 * client talks to the launch plan directly), so only the Deno permission layer stands between the server and
 * the secret.
 */
import assert from "node:assert/strict";
import { hostRealpath } from "../../src/canonical/mod.ts";
import { decide } from "../../src/decision/mod.ts";
import {
  type BrokerCheck,
  brokerCheckToTraceEvent,
  detectContainmentDenial,
  permissionCall,
  planLaunch,
  startBroker,
} from "../../src/sandbox/mod.ts";
import { compile, connect, FS_PKG, makeFixture, proxyEnv } from "./_helpers.ts";

Deno.test("server-filesystem with a broad root and no containment leaks the secret (control)", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const denoDir = Deno.env.get("DENO_DIR");
  await using c = await connect({
    command: Deno.execPath(),
    args: ["run", "--no-config", "--no-prompt", "-A", `npm:${FS_PKG}`, R],
    env: { RUST_BACKTRACE: "0", ...(denoDir ? { DENO_DIR: denoDir } : {}) },
    clearEnv: false,
    cwd: R,
    contained: false,
    mode: "off",
    notes: [],
    flags: [],
    entry: { kind: "npm", launcher: "deno", keptFlags: [], droppedFlags: [], serverArgs: [R] },
  });
  assert.equal((await c.text("read_text_file", { path: `${R}/allowed/link` })).text, "SECRET");
  assert.equal((await c.text("read_text_file", { path: `${R}/allowed_evil/x.txt` })).text, "EVIL");
});

function fsPolicy(root: string, mode: "flags" | "broker"): string {
  return `version: 1
servers:
  fs:
    allowed_paths: [${root}]
    denied_paths: [${root}/secret, ${root}/allowed_evil]
    sandbox: { mode: ${mode} }
`;
}

function fsPlan(root: string, mode: "flags" | "broker", socket?: string) {
  return planLaunch(compile(fsPolicy(root, mode), root), "fs", ["npx", "-y", FS_PKG, root], {
    denoPath: Deno.execPath(),
    home: Deno.env.get("HOME") ?? "/",
    cwd: root,
    env: proxyEnv(),
    mode: "enforce",
    realpath: hostRealpath,
    brokerSocket: socket,
  });
}

Deno.test("planLaunch() contains server-filesystem: prefix-sibling, .. and symlink escapes are blocked by Deno flags", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const plan = fsPlan(R, "flags");
  assert.equal(plan.contained, true);
  assert.ok(!plan.args.some((a) => a.startsWith("--allow-run")), "no --allow-run unless requested");
  assert.ok(plan.args.includes(`npm:${FS_PKG}`));
  await using c = await connect(plan);
  assert.deepEqual(await c.text("read_text_file", { path: `${R}/allowed/a.txt` }), {
    text: "hello",
    isError: false,
  });
  const cases: Array<[string, string]> = [
    [`${R}/allowed_evil/x.txt`, `${R}/allowed_evil/x.txt`], // prefix confusion (CVE-2025-53110 class)
    [`${R}/allowed/../secret/s.txt`, `${R}/secret/s.txt`], // ..
    [`${R}/allowed/link`, `${R}/secret/s.txt`], // symlink to a file outside
    [`${R}/allowed/dirlink/s.txt`, `${R}/secret/s.txt`], // symlink to a folder outside
  ];
  for (const [path, blocked] of cases) {
    const r = await c.text("read_text_file", { path });
    assert.equal(r.isError, true, `${path} must be refused, got ${r.text}`);
    assert.ok(!r.text.includes("SECRET") && !r.text.includes("EVIL"), r.text);
    assert.equal(detectContainmentDenial(r.text), `Requires read access to "${blocked}"`, r.text);
  }
});

Deno.test("startBroker() answers server-filesystem's checks through decide() and logs each one", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const socket = `${R}/b.sock`;
  const plan = fsPlan(R, "broker", socket);
  assert.equal(plan.mode, "broker");
  assert.equal(plan.env.DENO_PERMISSION_BROKER_PATH, socket);
  const checks: BrokerCheck[] = [];
  const broker = await startBroker({
    socketPath: socket,
    policy: compile(fsPolicy(R, "broker"), R),
    server: "fs",
    home: "/nonexistent-home",
    cwd: R,
    grants: plan.grants,
    onCheck: (ev) => checks.push(ev),
  });
  try {
    await using c = await connect(plan);
    assert.deepEqual(await c.text("read_text_file", { path: `${R}/allowed/a.txt` }), {
      text: "hello",
      isError: false,
    });
    const r = await c.text("read_text_file", { path: `${R}/allowed/link` });
    assert.equal(r.isError, true);
    assert.ok(!r.text.includes("SECRET"), r.text);
    assert.match(detectContainmentDenial(r.text) ?? "", /^AgentPerms containment: .*denied path/);
  } finally {
    await broker.close();
  }
  // Replay: each traced check, re-decided offline from what the trace holds (value + resolved), gives the
  // same decision as the live broker did.
  const traced = checks.map((c) =>
    brokerCheckToTraceEvent(c, { sessionId: "s", server: "fs", mode: "enforce" })
  );
  const links = new Map(
    traced.filter((e) => e.resolved).map((e) => [e.value as string, e.resolved as string]),
  );
  const offline = compile(fsPolicy(R, "broker"), R);
  for (const e of traced) {
    const call = permissionCall("fs", { permission: e.permission!, value: e.value ?? null }, {
      cwd: R,
      home: "/nonexistent-home",
      realpath: (p) => links.get(p) ?? p,
    });
    const d = decide(offline, call, { permissions: plan.grants });
    assert.deepEqual(
      { verdict: d.verdict, ruleIds: d.ruleIds, reason: d.reason },
      e.decision,
      `${e.permission} ${e.value}`,
    );
  }
  const denied = checks.filter((c) => c.decision.verdict === "deny");
  assert.ok(denied.some((c) => c.value === `${R}/secret/s.txt` || c.resolved === `${R}/secret/s.txt`));
  assert.ok(checks.some((c) => c.permission === "env" && c.value === "__MINIMATCH_TESTING_PLATFORM__"));
  assert.ok(checks.every((c) => c.decision.verdict === "allow" || c.decision.ruleIds.length > 0));
});
