/** The server gets a scrubbed environment: a secret of the proxy is invisible even under unscoped --allow-env. */
import assert from "node:assert/strict";
import { hostRealpath } from "../../src/canonical/mod.ts";
import { planLaunch } from "../../src/sandbox/mod.ts";
import { compile, connect, EVERYTHING_PKG, proxyEnv } from "./_helpers.ts";

Deno.test("planLaunch() hides the proxy's secret env vars from the server, even with unscoped --allow-env", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "ap-env-" }));
  try {
    const policy = compile(
      `version: 1
servers:
  everything:
    sandbox: { env: ["*", AP_VISIBLE_VAR] }
`,
      dir,
    );
    const env = proxyEnv({ AP_TEST_SECRET_TOKEN: "sk-test-123", AP_VISIBLE_VAR: "visible-456" });
    const plan = planLaunch(policy, "everything", ["npx", "-y", EVERYTHING_PKG], {
      denoPath: Deno.execPath(),
      home: Deno.env.get("HOME") ?? "/",
      cwd: dir,
      env,
      mode: "enforce",
      realpath: hostRealpath,
    });
    assert.equal(plan.clearEnv, true);
    assert.ok(plan.args.includes("--allow-env"), plan.args.join(" "));
    assert.equal(plan.env.AP_TEST_SECRET_TOKEN, undefined);
    await using c = await connect(plan);
    const r = await c.text("get-env", {});
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /visible-456/, "an allowlisted variable reaches the server (control)");
    assert.doesNotMatch(r.text, /AP_TEST_SECRET_TOKEN|sk-test-123/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
