/** The three pinned npm servers start and work under the derived flags and under the broker. */
import assert from "node:assert/strict";
import { hostRealpath } from "../../src/canonical/mod.ts";
import { type BrokerCheck, planLaunch, startBroker } from "../../src/sandbox/mod.ts";
import { compile, connect, EVERYTHING_PKG, FS_PKG, makeFixture, proxyEnv } from "./_helpers.ts";

const MEMORY_PKG = "@modelcontextprotocol/server-memory@2026.8.31";

for (const mode of ["flags", "broker"] as const) {
  Deno.test(`planLaunch() runs server-filesystem, -everything and -memory contained (${mode})`, async () => {
    await using fx = await makeFixture();
    const R = fx.root;
    await Deno.mkdir(`${R}/mem`);
    const policy = compile(
      `version: 1
servers:
  fs:
    allowed_paths: [${R}/allowed]
    sandbox: { mode: ${mode} }
  everything:
    sandbox: { mode: ${mode} }
  memory:
    sandbox: { mode: ${mode} }
`,
      R,
    );
    const servers: Array<
      [string, string[], Record<string, string>, string, Record<string, unknown>, RegExp]
    > = [
      [
        "fs",
        ["npx", "-y", FS_PKG, `${R}/allowed`],
        {},
        "read_text_file",
        { path: `${R}/allowed/a.txt` },
        /^hello$/,
      ],
      ["everything", ["npx", "-y", EVERYTHING_PKG], {}, "echo", { message: "hi" }, /Echo: hi/],
      [
        "memory",
        ["npx", "-y", MEMORY_PKG],
        { MEMORY_FILE_PATH: `${R}/mem/memory.jsonl` },
        "create_entities",
        {
          entities: [{ name: "a", entityType: "t", observations: ["o"] }],
        },
        /"name": "a"/,
      ],
    ];
    for (const [name, argv, extraEnv, tool, args, want] of servers) {
      const plan = planLaunch(policy, name, argv, {
        denoPath: Deno.execPath(),
        home: Deno.env.get("HOME") ?? "/",
        cwd: R,
        env: proxyEnv(extraEnv),
        mode: "enforce",
        realpath: hostRealpath,
        brokerSocket: `${R}/${name}.sock`,
      });
      assert.equal(plan.contained, true);
      const checks: BrokerCheck[] = [];
      const broker = mode === "broker"
        ? await startBroker({
          socketPath: plan.brokerSocket!,
          policy,
          server: name,
          home: "/nonexistent-home",
          cwd: R,
          grants: plan.grants,
          onCheck: (c) => checks.push(c),
        })
        : undefined;
      try {
        await using c = await connect(plan);
        const r = await c.text(tool, args);
        assert.equal(r.isError, false, `${name}: ${r.text}\n${c.transport.stderr}`);
        assert.match(r.text, want, name);
      } finally {
        await broker?.close();
      }
      if (mode === "broker") {
        const denied = checks.filter((c) => c.decision.verdict === "deny");
        assert.ok(checks.length > 0, name);
        // What a working server still asked for and did not get: shown when the test fails.
        assert.deepEqual(
          denied.filter((c) => c.permission !== "sys").map((c) => `${c.permission} ${c.value}`),
          [],
          name,
        );
      }
    }
  });
}
