/**
 * Through the real proxy: record mode forwards every call and runs the server in a permissive OS sandbox that
 * observes (what the policy would deny still works) but never shows the home's secret places.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, FS_PKG, makeFixture, proxyPlan, traceEventsIn } from "./_helpers.ts";

Deno.test("proxy record mode runs server-filesystem in a permissive OS sandbox: observed, secrets hidden", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const home = join(R, "home");
  await Deno.mkdir(join(home, ".ssh"), { recursive: true });
  await Deno.writeTextFile(join(home, ".ssh/id_rsa"), "CANARY-KEY");
  const policy = join(R, "p.yaml");
  await Deno.writeTextFile(
    policy,
    `version: 1\nservers:\n  fs:\n    allowed_paths: [${R}/allowed]\n`,
  );
  const traces = join(R, "traces");
  const realHome = Deno.env.get("HOME") ?? "/root";
  {
    await using c = await connect(
      proxyPlan({
        mode: "record",
        server: "fs",
        policy,
        traceDir: traces,
        // npx's cache stays the user's; the home the server sees is the fixture's.
        env: {
          HOME: home,
          npm_config_cache: join(realHome, ".npm"),
          DENO_DIR: Deno.env.get("DENO_DIR") ?? join(realHome, ".cache/deno"),
        },
      }, ["npx", "-y", FS_PKG, R]),
    );
    assert.deepEqual(await c.text("read_text_file", { path: `${R}/allowed/a.txt` }), {
      text: "hello",
      isError: false,
    });
    // Record mode observes: what enforce would refuse still runs...
    assert.deepEqual(await c.text("read_text_file", { path: `${R}/allowed_evil/x.txt` }), {
      text: "EVIL",
      isError: false,
    });
    // ...but the home's secret places are never visible, even to a server given the whole tree.
    const key = await c.text("read_text_file", { path: join(home, ".ssh/id_rsa") });
    assert.equal(key.isError, true, key.text);
    assert.doesNotMatch(key.text, /CANARY/);
  }
  const events = await traceEventsIn(traces);
  const calls = events.filter((e) => e.kind === "call" && e.tool === "read_text_file");
  assert.equal(calls.length, 3);
  assert.ok(calls.every((e) => e.forwarded === true), "record mode forwarded every call");
  assert.ok(
    events.some((e) => e.kind === "lifecycle" && /is contained \(OS sandbox, record\)/.test(e.detail ?? "")),
  );
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

Deno.test("proxy says at start, on stderr and in the trace, that a python server is contained by the OS sandbox", async () => {
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
  assert.match(err, /Server "py" is contained \(OS sandbox, enforce\)/);
  const events = await traceEventsIn(join(R, "traces"));
  assert.ok(events.some((e) => e.kind === "lifecycle" && /"py" is contained/.test(e.detail ?? "")));
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

Deno.test("proxy: without bubblewrap, enforce answers the client with the reason and the fix; record runs uncontained, loudly", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const policy = join(R, "p.yaml");
  await Deno.writeTextFile(policy, `version: 1\nservers:\n  py:\n    allowed_paths: [${R}/allowed]\n`);
  const py = fileURLToPath(new URL("../fixtures/servers/py_server.py", import.meta.url));
  const init = JSON.stringify({
    jsonrpc: "2.0",
    id: 9007199254740993,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
  }).replace('"id":9007199254740992', '"id":9007199254740993');
  for (const mode of ["enforce", "record"] as const) {
    const traces = join(R, `traces-${mode}`);
    const p = proxyPlan({
      mode,
      server: "py",
      policy,
      traceDir: traces,
      env: { AGENTPERMS_BWRAP: "/nonexistent/bwrap" },
    }, [
      "python3",
      py,
    ]);
    const child = new Deno.Command(p.command, {
      args: p.args,
      env: p.env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(init + "\n"));
    const out = child.stdout.getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await out.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    out.releaseLock();
    await w.close();
    const status = await child.output();
    const err = new TextDecoder().decode(status.stderr);
    if (mode === "enforce") {
      assert.match(
        text,
        /"id":9007199254740993,"error":\{"code":-32000,"message":"AgentPerms: Cannot contain server \\"py\\"/,
      );
      assert.match(text, /bubblewrap \(bwrap\) is not installed \(fix: apt-get install bubblewrap\)/);
      assert.equal(status.code, 4);
    } else {
      assert.match(text, /"id": ?9007199254740993, ?"result"/, text); // a Python server keeps the id exactly
      assert.match(err, /WARNING: server "py" is NOT contained and runs with your full rights/);
    }
    const events = await traceEventsIn(traces);
    assert.ok(
      events.some((e) =>
        e.kind === "lifecycle" && /bubblewrap \(bwrap\) is not installed/.test(e.detail ?? "")
      ),
    );
  }
});

Deno.test("proxy record mode: a server that dies in the sandbox before answering runs again uncontained, loudly; enforce does not", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const home = join(R, "home");
  await Deno.mkdir(join(home, ".aws"), { recursive: true });
  await Deno.writeTextFile(join(home, ".aws/config"), "[default]\n");
  const policy = join(R, "p.yaml");
  await Deno.writeTextFile(policy, `version: 1\nservers:\n  py:\n    allowed_paths: [${R}/allowed]\n`);
  const py = fileURLToPath(new URL("../fixtures/servers/py_server.py", import.meta.url));
  // A server that needs a secret place to start: hidden in every sandbox, so it exits at once there.
  const argv = ["sh", "-c", `cat "$HOME/.aws/config" >/dev/null && exec python3 ${py}`];
  const realHome = Deno.env.get("HOME") ?? "/root";
  for (const mode of ["record", "enforce"] as const) {
    const traces = join(R, `t-${mode}`);
    const plan = proxyPlan({
      mode,
      server: "py",
      policy,
      traceDir: traces,
      env: { HOME: home, DENO_DIR: Deno.env.get("DENO_DIR") ?? join(realHome, ".cache/deno") },
    }, argv);
    if (mode === "record") {
      await using c = await connect(plan);
      assert.deepEqual(await c.text("echo", { text: "still works" }), {
        text: "still works",
        isError: false,
      });
      const events = await traceEventsIn(traces);
      assert.ok(
        events.some((e) =>
          e.kind === "lifecycle" &&
          /WARNING: server "py" stopped in record mode's sandbox/.test(e.detail ?? "")
        ),
      );
    } else {
      await assert.rejects(() => connect(plan), /exited \(code 1\) before answering/);
    }
  }
});

Deno.test("proxy removes run folders its killed predecessors left, and keeps live ones", async () => {
  await using fx = await makeFixture();
  const R = fx.root;
  const tmp = join(R, "tmp");
  await Deno.mkdir(tmp);
  const stale = join(tmp, "ap-stale");
  const live = join(tmp, "ap-live");
  for (const [dir, pid] of [[stale, "2147483646"], [live, String(Deno.pid)]] as const) {
    await Deno.mkdir(dir);
    await Deno.writeTextFile(join(dir, "pid"), pid);
    const old = new Date(Date.now() - 3_600_000);
    await Deno.utime(dir, old, old);
  }
  const policy = join(R, "p.yaml");
  await Deno.writeTextFile(policy, `version: 1\nservers:\n  py:\n    allowed_paths: [${R}/allowed]\n`);
  const py = fileURLToPath(new URL("../fixtures/servers/py_server.py", import.meta.url));
  {
    await using c = await connect(
      proxyPlan({ mode: "enforce", server: "py", policy, traceDir: join(R, "t"), env: { TMPDIR: tmp } }, [
        "python3",
        py,
      ]),
    );
    assert.deepEqual(await c.text("echo", { text: "x" }), { text: "x", isError: false });
  }
  assert.equal(
    await Deno.stat(stale).then(() => true, () => false),
    false,
    "the dead proxy's folder is gone",
  );
  assert.equal(await Deno.stat(live).then(() => true, () => false), true, "a live proxy's folder stays");
  // This proxy's own folder went with it.
  assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), ["ap-live"]);
});
