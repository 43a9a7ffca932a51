/**
 * Through the real proxy: record mode forwards every call (a permissive JSON-RPC layer), yet the server the
 * proxy starts is contained, so the Deno layer still blocks the escapes, the result says so, and the trace
 * holds both the marked result and the server's audited OS accesses.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, FS_PKG, makeFixture, proxyPlan, traceEventsIn } from "./_helpers.ts";

Deno.test("proxy record mode starts server-filesystem contained: escapes are blocked below a forwarding proxy", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const policy = join(R, "p.yaml");
  await Deno.writeTextFile(
    policy,
    `version: 1\nservers:\n  fs:\n    allowed_paths: [${R}]\n    denied_paths: [${R}/secret, ${R}/allowed_evil]\n`,
  );
  const traces = join(R, "traces");
  {
    await using c = await connect(
      proxyPlan({ mode: "record", server: "fs", policy, traceDir: traces }, ["npx", "-y", FS_PKG, R]),
    );
    assert.deepEqual(await c.text("read_text_file", { path: `${R}/allowed/a.txt` }), {
      text: "hello",
      isError: false,
    });
    for (const path of [`${R}/allowed_evil/x.txt`, `${R}/allowed/link`]) {
      const r = await c.text("read_text_file", { path });
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, /Requires read access to/);
    }
  }
  const events = await traceEventsIn(traces);
  const calls = events.filter((e) => e.kind === "call" && e.tool === "read_text_file");
  assert.equal(calls.length, 3);
  assert.ok(calls.every((e) => e.forwarded === true), "record mode forwarded every call");
  assert.deepEqual(
    calls.map((e) => e.result?.containment).filter(Boolean).sort(),
    [`Requires read access to "${R}/allowed_evil/x.txt"`, `Requires read access to "${R}/secret/s.txt"`],
  );
  const audit = events.filter((e) => e.kind === "containment" && e.source === "audit");
  const granted = (value: string) => audit.find((e) => e.permission === "read" && e.value === value)?.granted;
  assert.equal(granted(`${R}/allowed/a.txt`), true, JSON.stringify(audit));
  // Deno audits attempts; the refused ones are marked so infer never learns them as needs.
  assert.equal(granted(`${R}/secret/s.txt`), false);
  assert.equal(granted(`${R}/allowed_evil/x.txt`), false);
});

Deno.test("proxy reports a broker-mode server that stopped with Deno's exit 87, and exits 87", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const policy = join(R, "p.yaml");
  await Deno.writeTextFile(policy, `version: 1\nservers:\n  s:\n    sandbox: { mode: broker }\n`);
  const p = proxyPlan({ mode: "enforce", server: "s", policy, traceDir: join(R, "traces") }, [
    "deno",
    "run",
    fileURLToPath(new URL("./fixtures/exit_87.ts", import.meta.url)),
  ]);
  const { code, err } = await runWithoutClient(p);
  assert.equal(code, 87, err);
  assert.match(err, /permission broker is gone \(Deno exit 87\): containment fails closed/);
  const events = await traceEventsIn(join(R, "traces"));
  assert.ok(events.some((e) => e.kind === "lifecycle" && /Deno exit 87/.test(e.detail ?? "")));
});

Deno.test("proxy says at start, on stderr and in the trace, that a python server is not contained", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const policy = join(R, "p.yaml");
  await Deno.writeTextFile(policy, `version: 1\nservers:\n  py:\n    allowed_paths: [${R}/allowed]\n`);
  // A stand-in python "server" that exits at once: only the start-up report matters here.
  const p = proxyPlan({ mode: "enforce", server: "py", policy, traceDir: join(R, "traces") }, [
    "python3",
    "-c",
    "pass",
  ]);
  const { err } = await runWithoutClient(p);
  assert.match(err, /Server "py" is not contained: "python3" is not a JS\/TS entry Deno can run/);
  const events = await traceEventsIn(join(R, "traces"));
  assert.ok(events.some((e) => e.kind === "lifecycle" && /"py" is not contained/.test(e.detail ?? "")));
});

/** Runs a planned proxy with no client (stdin closed): its exit and its stderr. */
async function runWithoutClient(p: { command: string; args: string[]; env: Record<string, string> }) {
  const o = await new Deno.Command(p.command, {
    args: p.args,
    env: p.env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: o.code, err: new TextDecoder().decode(o.stderr) };
}
