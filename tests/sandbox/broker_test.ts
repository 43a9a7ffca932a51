/** Broker mode (strict): realpath-resolved checks close the symlink hole flags leave open; fail closed (87). */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { hostRealpath } from "../../src/canonical/mod.ts";
import { type BrokerCheck, planLaunch, startBroker } from "../../src/sandbox/mod.ts";
import { compile, connect, FS_PKG, makeFixture, proxyEnv, withTimeout } from "./_helpers.ts";

const PROBE = fileURLToPath(new URL("./fixtures/read_probe.ts", import.meta.url));

function probePlan(root: string, mode: "flags" | "broker", target: string) {
  const yaml = `version: 1
servers:
  probe:
    allowed_paths: [${root}/allowed]
    sandbox: { mode: ${mode} }
`;
  const policy = compile(yaml, root);
  const plan = planLaunch(policy, "probe", ["deno", "run", "-A", PROBE, target], {
    denoPath: Deno.execPath(),
    home: "/nonexistent-home",
    cwd: root,
    env: proxyEnv(),
    mode: "enforce",
    realpath: hostRealpath,
    brokerSocket: `${root}/probe.sock`,
  });
  return { policy, plan };
}

async function runPlan(plan: ReturnType<typeof planLaunch>): Promise<{ code: number; out: string }> {
  const o = await withTimeout(
    new Deno.Command(plan.command, {
      args: plan.args,
      env: plan.env,
      clearEnv: plan.clearEnv,
      cwd: plan.cwd,
      stdout: "piped",
      stderr: "piped",
    }).output(),
    20_000,
    () => "probe",
  );
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

Deno.test("startBroker() blocks a symlink read that Deno flags alone allow", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const flags = probePlan(R, "flags", `${R}/allowed/link`);
  assert.ok(!flags.plan.args.includes("-A"), "the entry's -A is dropped");
  assert.ok(flags.plan.args.includes(`--allow-read=${R}/allowed`));
  const viaFlags = await runPlan(flags.plan);
  assert.match(viaFlags.out, /^OK SECRET/m, "flags check the link's own location, so the secret leaks");

  const strict = probePlan(R, "broker", `${R}/allowed/link`);
  const checks: BrokerCheck[] = [];
  const broker = await startBroker({
    socketPath: strict.plan.brokerSocket!,
    policy: strict.policy,
    server: "probe",
    home: "/nonexistent-home",
    cwd: R,
    grants: strict.plan.grants,
    onCheck: (c) => checks.push(c),
  });
  try {
    const viaBroker = await runPlan(strict.plan);
    assert.match(
      viaBroker.out,
      /^DENIED .*AgentPerms containment: Read of ".*secret\/s\.txt".*outside the sandbox/m,
    );
    assert.doesNotMatch(viaBroker.out, /SECRET\n/);
    const ok = await runPlan(probePlan(R, "broker", `${R}/allowed/a.txt`).plan);
    assert.match(ok.out, /^OK hello/m);
  } finally {
    await broker.close();
  }
  const deny = checks.find((c) => c.decision.verdict === "deny");
  assert.equal(deny?.value, `${R}/allowed/link`);
  assert.equal(deny?.resolved, `${R}/secret/s.txt`);
  assert.deepEqual(deny?.decision.ruleIds, ["sandbox/read"]);
});

Deno.test("a server in broker mode exits 87 when no broker serves its socket", async () => {
  await using fx = await makeFixture();
  const { plan } = probePlan(fx.root, "broker", `${fx.root}/allowed/a.txt`);
  const r = await runPlan(plan);
  assert.equal(r.code, 87, r.out);
});

Deno.test("a contained server stops (exit 87) when its broker dies mid-run", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const yaml = `version: 1
servers:
  fs:
    allowed_paths: [${R}/allowed]
    sandbox: { mode: broker }
`;
  const policy = compile(yaml, R);
  const plan = planLaunch(policy, "fs", ["npx", FS_PKG, `${R}/allowed`], {
    denoPath: Deno.execPath(),
    home: "/nonexistent-home",
    cwd: R,
    env: proxyEnv(),
    mode: "enforce",
    realpath: hostRealpath,
    brokerSocket: `${R}/fs.sock`,
  });
  const broker = await startBroker({
    socketPath: plan.brokerSocket!,
    policy,
    server: "fs",
    home: "/nonexistent-home",
    cwd: R,
    grants: plan.grants,
    onCheck: () => {},
  });
  await using c = await connect(plan);
  assert.equal((await c.text("read_text_file", { path: `${R}/allowed/a.txt` })).text, "hello");
  await broker.close();
  // The next permission check finds the broker gone: Deno fails closed.
  // Sent on the raw transport: the client has no pending request to fail when the server goes away.
  await c.transport.send({
    jsonrpc: "2.0",
    id: 99,
    method: "tools/call",
    params: { name: "read_text_file", arguments: { path: `${R}/allowed/sub/b.txt` } },
  });
  const status = await withTimeout(c.transport.exit!, 10_000, () => c.transport.stderr);
  assert.equal(status.code, 87, c.transport.stderr);
});
