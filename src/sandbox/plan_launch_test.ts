import assert from "node:assert/strict";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { planLaunch, type PlanLaunchOptions } from "./mod.ts";

const FS = "@modelcontextprotocol/server-filesystem@2026.8.31";
const OPTS: PlanLaunchOptions = {
  denoPath: "/opt/deno",
  home: "/home/u",
  cwd: "/w",
  env: { HOME: "/home/u", PATH: "/usr/bin", GITHUB_TOKEN: "ghp_secret", DENO_DIR: "/cache/deno" },
  mode: "enforce",
};

function policy(yaml: string) {
  return compilePolicy(parsePolicy(yaml, { file: "p.yaml" }).policy, { baseDir: "/w", home: "/home/u" });
}

function flagOf(args: string[], name: string): string | undefined {
  return args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
}

Deno.test("planLaunch() runs a python server unchanged and reports it not contained", () => {
  const p = policy("version: 1\nservers:\n  git:\n    allowed_paths: [/w]\n");
  for (
    const argv of [["uvx", "mcp-server-git"], ["python", "-m", "mcp_server_git"], [
      "docker",
      "run",
      "-i",
      "x",
    ]]
  ) {
    const plan = planLaunch(p, "git", argv, OPTS);
    assert.equal(plan.contained, false);
    assert.equal(plan.mode, "off");
    assert.equal(plan.command, argv[0]);
    assert.deepEqual(plan.args, argv.slice(1));
    assert.match(plan.notes.join("\n"), /"git" is not contained/);
  }
});

Deno.test("planLaunch() turns npx into deno run npm: with flags from the policy", () => {
  const p = policy(`version: 1
servers:
  fs:
    allowed_paths: [./src, ~/notes]
    denied_paths: [~/.ssh, /w/src/secret]
    allowed_tools: [read_file, list_directory]
`);
  const plan = planLaunch(p, "fs", ["npx", "-y", FS, "/w/src"], OPTS);
  assert.equal(plan.contained, true);
  assert.equal(plan.command, "/opt/deno");
  assert.deepEqual(plan.args.slice(0, 3), ["run", "--no-config", "--no-prompt"]);
  assert.equal(flagOf(plan.args, "allow-read"), "--allow-read=/w/src,/home/u/notes");
  assert.equal(flagOf(plan.args, "deny-read"), "--deny-read=/home/u/.ssh,/w/src/secret");
  assert.equal(flagOf(plan.args, "allow-write"), undefined, "no write tools are allowed");
  assert.equal(flagOf(plan.args, "allow-env"), "--allow-env=__MINIMATCH_TESTING_PLATFORM__");
  assert.equal(flagOf(plan.args, "allow-net"), undefined);
  assert.deepEqual(plan.args.slice(-2), [`npm:${FS}`, "/w/src"]);
  assert.equal(plan.clearEnv, true);
  assert.equal(plan.env.GITHUB_TOKEN, undefined);
  assert.equal(plan.env.DENO_DIR, "/cache/deno");
  assert.equal(plan.env.RUST_BACKTRACE, "0");
  assert.ok(!plan.args.some((a) => a.includes("~")), "~ is always expanded");
});

Deno.test("planLaunch() grants write only when the policy allows a write tool", () => {
  const yes = policy(
    "version: 1\nservers:\n  fs:\n    allowed_paths: [/w/a]\n    allowed_tools: [read_file, write_file]\n",
  );
  assert.equal(
    flagOf(planLaunch(yes, "fs", ["npx", FS, "/w/a"], OPTS).args, "allow-write"),
    "--allow-write=/w/a",
  );
  const all = policy("version: 1\nservers:\n  fs:\n    allowed_paths: [/w/a]\n");
  assert.equal(
    flagOf(planLaunch(all, "fs", ["npx", FS, "/w/a"], OPTS).args, "allow-write"),
    "--allow-write=/w/a",
  );
  const sb = policy(
    "version: 1\nservers:\n  fs:\n    allowed_paths: [/w/a]\n    allowed_tools: [read_file]\n    sandbox: { write: [/w/a/out] }\n",
  );
  assert.equal(
    flagOf(planLaunch(sb, "fs", ["npx", FS, "/w/a"], OPTS).args, "allow-write"),
    "--allow-write=/w/a/out",
  );
});

Deno.test("planLaunch() never adds --allow-run unless sandbox.run asks, and then warns", () => {
  const cases = [
    "version: 1\nservers:\n  s:\n    allowed_paths: [/w]\n",
    "version: 1\nservers:\n  s:\n    sandbox: { read: [/w], net: ['*'], env: ['*'] }\n",
    "version: 1\nservers:\n  s:\n    sandbox: { run: false }\n",
    "version: 1\nservers:\n  s:\n    sandbox: { run: [] }\n",
  ];
  const argvs = [["npx", "pkg@1.0.0"], ["deno", "run", "-A", "--allow-run", "server.ts"], [
    "node",
    "--inspect",
    "s.js",
  ]];
  for (const yaml of cases) {
    for (const argv of argvs) {
      const plan = planLaunch(policy(yaml), "s", argv, OPTS);
      assert.ok(
        !plan.args.some((a) => a.startsWith("--allow-run") || a === "-A" || a === "--allow-all"),
        `${yaml} ${argv}`,
      );
    }
  }
  const run = planLaunch(policy("version: 1\nservers:\n  s:\n    sandbox: { run: [git] }\n"), "s", [
    "npx",
    "p@1.0.0",
  ], OPTS);
  assert.equal(flagOf(run.args, "allow-run"), "--allow-run=git");
  assert.match(run.notes.join("\n"), /WARNING: .*children are NOT contained/);
  const all = planLaunch(policy("version: 1\nservers:\n  s:\n    sandbox: { run: true }\n"), "s", [
    "npx",
    "p@1.0.0",
  ], OPTS);
  assert.equal(flagOf(all.args, "allow-run"), "--allow-run");
});

Deno.test("planLaunch() narrows a filesystem root that is wider than the read grants", () => {
  const p = policy("version: 1\nservers:\n  fs:\n    allowed_paths: [/w/proj/src, /w/proj/docs]\n");
  const plan = planLaunch(p, "fs", ["npx", FS, "/w/proj", "/elsewhere"], OPTS);
  assert.deepEqual(plan.args.slice(-2), ["/w/proj/src", "/w/proj/docs"]);
  assert.match(plan.notes.join("\n"), /Root "\/w\/proj" is wider .* narrowed/);
  assert.match(plan.notes.join("\n"), /Root "\/elsewhere" is outside the read grants and was removed/);
});

Deno.test("planLaunch() emits literal and realpath forms of each path", () => {
  const p = compilePolicy(
    parsePolicy("version: 1\nservers:\n  fs:\n    allowed_paths: [/w/link]\n", { file: "p" }).policy,
    {
      baseDir: "/w",
      home: "/home/u",
      realpath: (x) => (x === "/w/link" ? "/data/real" : x === "/w" || x === "/" ? x : undefined),
    },
  );
  const plan = planLaunch(p, "fs", ["npx", FS, "/w/link"], {
    ...OPTS,
    realpath: (x) => (x === "/w/link" ? "/data/real" : x === "/w" || x === "/" ? x : undefined),
  });
  assert.equal(flagOf(plan.args, "allow-read"), "--allow-read=/w/link,/data/real");
});

Deno.test("planLaunch() drops an allow inside a denied path, because Deno lets the narrower allow win", () => {
  const p = policy(
    "version: 1\nservers:\n  fs:\n    allowed_paths: [/w, /home/u/.ssh/known_hosts]\n    denied_paths: [~/.ssh]\n",
  );
  const plan = planLaunch(p, "fs", ["npx", FS, "/w"], OPTS);
  assert.equal(flagOf(plan.args, "allow-read"), "--allow-read=/w");
  assert.match(
    plan.notes.join("\n"),
    /Dropped read "\/home\/u\/.ssh\/known_hosts".* under denied path "~\/.ssh"/,
  );
  assert.doesNotMatch(plan.notes.join("\n"), /Secret place "~\/.ssh" is visible/);
});

Deno.test("planLaunch() uses the mcp.lock version and notes unpinned packages", () => {
  const p = policy("version: 1\nservers:\n  m:\n    sandbox: { read: [/w] }\n");
  const locked = planLaunch(p, "m", ["npx", "-y", "some-mcp"], {
    ...OPTS,
    lockVersions: { "some-mcp": "1.2.3" },
  });
  assert.ok(locked.args.includes("npm:some-mcp@1.2.3"));
  const loose = planLaunch(p, "m", ["npx", "-y", "some-mcp@latest"], OPTS);
  assert.ok(loose.args.includes("npm:some-mcp@latest"));
  assert.match(loose.notes.join("\n"), /not pinned/);
});

Deno.test("planLaunch() derives net from allowed_hosts and env from the allowlist only", () => {
  const p = policy(`version: 1
servers:
  gh:
    allowed_hosts: [api.github.com, "https://uploads.github.com:443/x", "*.githubusercontent.com"]
    denied_hosts: [evil.example]
    sandbox: { env: [GITHUB_TOKEN] }
`);
  const plan = planLaunch(p, "gh", ["npx", "-y", "@github/mcp@1.0.0"], { ...OPTS, serverEnv: ["GH_HOST"] });
  assert.equal(
    flagOf(plan.args, "allow-net"),
    "--allow-net=api.github.com,uploads.github.com:443,*.githubusercontent.com",
  );
  assert.equal(flagOf(plan.args, "deny-net"), "--deny-net=evil.example");
  assert.equal(flagOf(plan.args, "allow-env"), "--allow-env=GITHUB_TOKEN,GH_HOST");
  assert.equal(plan.env.GITHUB_TOKEN, "ghp_secret");
  assert.equal(plan.env.PATH, "/usr/bin");
});

Deno.test("planLaunch() in broker mode sets the socket and grants the npm cache for the broker only", () => {
  const p = policy("version: 1\nservers:\n  fs:\n    allowed_paths: [/w]\n    sandbox: { mode: broker }\n");
  const plan = planLaunch(p, "fs", ["npx", FS, "/w"], { ...OPTS, traceDir: "/t" });
  assert.equal(plan.mode, "broker");
  assert.equal(plan.brokerSocket, "/t/ap-fs.sock");
  assert.equal(plan.env.DENO_PERMISSION_BROKER_PATH, "/t/ap-fs.sock");
  const two = planLaunch(p, "fs", ["npx", FS, "/w"], {
    ...OPTS,
    traceDir: "/t",
    sessionId: "abc123",
    mode: "record",
  });
  assert.equal(two.brokerSocket, "/t/ap-fs-abc123.sock", "two proxies for one server never share a socket");
  assert.equal(two.auditFile, "/t/fs.abc123.permissions.jsonl");
  const long = planLaunch(p, "fs", ["npx", FS, "/w"], { ...OPTS, traceDir: `/t/${"x".repeat(120)}` });
  assert.equal(long.brokerSocket, "/tmp/ap-fs.sock");
  assert.ok(plan.grants?.read.some((g) => g.value === "/cache/deno/npm" && g.ruleId === "sandbox/deno-dir"));
  assert.ok(!plan.args.some((a) => a.includes("/cache/deno")));
});

Deno.test("planLaunch() in record mode without rules audits the server under --allow-all", () => {
  const plan = planLaunch(undefined, "fs", ["npx", FS, "/w"], { ...OPTS, mode: "record", traceDir: "/t" });
  assert.equal(plan.contained, false);
  assert.equal(plan.auditFile, "/t/fs.permissions.jsonl");
  assert.equal(plan.env.DENO_AUDIT_PERMISSIONS, "/t/fs.permissions.jsonl");
  assert.ok(plan.args.includes("--allow-all"));
  assert.match(plan.notes.join("\n"), /not contained \(record mode/);
  const enforce = planLaunch(undefined, "fs", ["npx", FS, "/w"], OPTS);
  assert.equal(enforce.command, "npx");
  assert.equal(enforce.contained, false);
});

Deno.test("planLaunch() leaves a server alone when its sandbox.mode is off", () => {
  const p = policy("version: 1\nservers:\n  fs:\n    allowed_paths: [/w]\n    sandbox: { mode: 'off' }\n");
  const plan = planLaunch(p, "fs", ["npx", FS, "/w"], OPTS);
  assert.equal(plan.contained, false);
  assert.equal(plan.command, "npx");
});

Deno.test("planLaunch() gives the memory server its file's folder and keeps node/tsx/deno scripts", () => {
  const p = policy("version: 1\nservers:\n  mem:\n    allowed_tools: [read_graph]\n");
  const mem = planLaunch(p, "mem", ["npx", "-y", "@modelcontextprotocol/server-memory@2026.8.31"], {
    ...OPTS,
    env: { ...OPTS.env, MEMORY_FILE_PATH: "/data/mem/memory.jsonl" },
  });
  assert.equal(flagOf(mem.args, "allow-write"), "--allow-write=/data/mem");
  assert.equal(mem.env.MEMORY_FILE_PATH, "/data/mem/memory.jsonl");
  const node = planLaunch(p, "mem", ["node", "dist/index.js", "--port", "1"], OPTS);
  assert.deepEqual(node.args.slice(-3), ["/w/dist/index.js", "--port", "1"]);
  const tsx = planLaunch(p, "mem", ["tsx", "/s/server.ts"], OPTS);
  assert.equal(tsx.args.at(-1), "/s/server.ts");
});

Deno.test("planLaunch() never starts a Deno server with no permission flag (node:child_process would add -A)", async () => {
  const { compilePolicy } = await import("../policy/mod.ts");
  const { spawnSync } = await import("node:child_process");
  const dir = await Deno.makeTempDir({ prefix: "ap-plan-a-" });
  try {
    const probe = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      probe,
      `const q = (name) => Deno.permissions.querySync({ name }).state;
Deno.stdout.writeSync(new TextEncoder().encode(["read", "write", "net", "env", "run"].map(q).join(",")));`,
    );
    // A policy that sets no path rules for the server: before, the plan held no permission flag at all.
    const policy = compilePolicy({ version: 1, servers: { s: { allowed_tools: ["x"] } } }, {
      baseDir: dir,
      home: dir,
    });
    const plan = planLaunch(policy, "s", ["node", probe], {
      denoPath: Deno.execPath(),
      home: dir,
      cwd: dir,
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin" },
      mode: "enforce",
    });
    assert.ok(plan.args.some((a) => /^--(?:allow|deny)-/.test(a)), plan.args.join(" "));
    // Started the way the proxy starts servers (node:child_process), the child's effective permissions.
    const r = spawnSync(plan.command, plan.args, { env: plan.env, encoding: "utf8" });
    assert.equal(r.stdout, "prompt,prompt,prompt,prompt,denied", r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planLaunch() keeps every argument under the kernel's 128 KiB limit for 10,000 allowed paths", () => {
  const paths = Array.from({ length: 10_000 }, (_, i) => `/w/repos/project-${i}/src/module-${i}`);
  const p = compilePolicy(
    { version: 1, servers: { fs: { allowed_paths: paths, allowed_tools: ["read"] } } },
    {
      baseDir: "/w",
      home: "/home/u",
    },
  );
  const plan = planLaunch(p, "fs", ["npx", "-y", FS, "/w/repos"], OPTS);
  for (const a of plan.args) assert.ok(new TextEncoder().encode(a).length < 128 * 1024, `${a.length} bytes`);
  const granted = plan.args.filter((a) => a.startsWith("--allow-read=")).flatMap((a) =>
    a.slice(13).split(",")
  );
  const set = new Set(granted);
  for (const x of paths) assert.ok(set.has(x), x); // split, not dropped
  assert.ok(plan.args.filter((a) => a.startsWith("--allow-read=")).length > 1);
});

Deno.test("planLaunch() leaves out a read path another read path of the policy already holds", () => {
  const p = policy(
    "version: 1\nservers:\n  fs:\n    allowed_paths: [/w/a/b, /w/a, /w/c]\n    allowed_tools: [read]\n",
  );
  const plan = planLaunch(p, "fs", ["npx", "-y", FS, "/w/a"], OPTS);
  assert.equal(flagOf(plan.args, "allow-read"), "--allow-read=/w/a,/w/c");
  assert.ok(plan.flags.some((f) => f.flag === "allow-read" && f.value === "/w/a/b")); // still explained
});
