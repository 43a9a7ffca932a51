import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeIo } from "../io.ts";
import { run } from "../run.ts";

const EXAMPLES = new URL("../../../examples/policies/", import.meta.url).pathname;

Deno.test("check explains which argument condition, scope or SQL rule decided a format 2 call", async () => {
  const io = fakeIo({ cwd: EXAMPLES, env: { HOME: "/nonexistent" } });
  const call = {
    server: "postgres",
    tool: "query",
    arguments: { sql: "SELECT 1; COMMIT; DROP TABLE public.orders" },
  };
  const code = await run(
    ["check", "-p", "data-agent.v2.mcp.policy.yaml", "--call", JSON.stringify(call), "--format", "json"],
    io,
  );
  assert.equal(code, 1, io.stderrText());
  const d = JSON.parse(io.stdoutText());
  assert.deepEqual(d.ruleIds, ["servers.postgres.tools.query.sql"]);
  assert.match(d.reason, /may only read.*3 statements/);
  const ok = fakeIo({ cwd: EXAMPLES, env: { HOME: "/nonexistent" } });
  const read = { ...call, arguments: { sql: "SELECT id FROM public.orders" } };
  assert.equal(
    await run(["check", "-p", "data-agent.v2.mcp.policy.yaml", "--call", JSON.stringify(read)], ok),
    0,
  );
  // An allowed call lists what held: the argument rule, the scopes and the SQL check.
  assert.match(ok.stdoutText(), /servers\.postgres\.tools\.query\.arguments\.sql/);
  assert.match(ok.stdoutText(), /servers\.postgres\.tools\.query\.scopes/);
});

Deno.test("check --profile reads a server the built-in profiles do not know", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-check-v2-" });
  try {
    await Deno.writeTextFile(
      join(dir, "tracker.json"),
      JSON.stringify({
        apiVersion: 1,
        server: "tracker",
        match: { names: ["tracker"] },
        tools: { "*": { scopes: { repos: { owner: "/org", repo: "/project" } } } },
      }),
    );
    await Deno.writeTextFile(
      join(dir, "p.yaml"),
      'version: 2\nservers:\n  tracker:\n    scopes: { repos: ["octo/*"] }\n',
    );
    const judge = async (args: string[], call: unknown) => {
      const io = fakeIo({ cwd: dir, env: { HOME: dir } });
      const code = await run([
        "check",
        "-p",
        "p.yaml",
        ...args,
        "--call",
        JSON.stringify(call),
        "--format",
        "json",
      ], io);
      return { code, d: JSON.parse(io.stdoutText() || "{}"), err: io.stderrText() };
    };
    const call = { server: "tracker", tool: "open_ticket", arguments: { org: "evil", project: "x" } };
    const without = await judge([], call);
    assert.equal(without.code, 1);
    assert.deepEqual(without.d.ruleIds, ["servers.tracker.scopes"], "no profile: scopes cannot be read");
    const outside = await judge(["--profile", "tracker.json"], call);
    assert.deepEqual(outside.d.ruleIds, ["servers.tracker.scopes.repos"], outside.err);
    const inside = await judge(["--profile", "tracker.json"], {
      ...call,
      arguments: { org: "Octo", project: "x" },
    });
    assert.equal(inside.code, 0, JSON.stringify(inside.d));
    // The policy's own profiles: list works the same, relative to the policy.
    await Deno.writeTextFile(
      join(dir, "p2.yaml"),
      'version: 2\nprofiles: [./tracker.json]\nservers:\n  tracker:\n    scopes: { repos: ["octo/*"] }\n',
    );
    const io = fakeIo({ cwd: "/", env: { HOME: dir } });
    assert.equal(
      await run(
        ["check", "-p", join(dir, "p2.yaml"), "--call", JSON.stringify(call), "--format", "json"],
        io,
      ),
      1,
    );
    assert.deepEqual(JSON.parse(io.stdoutText()).ruleIds, ["servers.tracker.scopes.repos"]);
    // Any YAML spelling of the key: a quoted key in a flow mapping loads the same profiles.
    await Deno.writeTextFile(
      join(dir, "p3.yaml"),
      '{"version": 2, "profiles": ["./tracker.json"], "servers": {"tracker": {"scopes": {"repos": ["octo/*"]}}}}\n',
    );
    const io3 = fakeIo({ cwd: "/", env: { HOME: dir } });
    await run(["check", "-p", join(dir, "p3.yaml"), "--call", JSON.stringify(call), "--format", "json"], io3);
    assert.deepEqual(
      JSON.parse(io3.stdoutText()).ruleIds,
      ["servers.tracker.scopes.repos"],
      io3.stderrText(),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
