import assert from "node:assert/strict";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { EGRESS_PORT, planOsLaunch, withArgsFile } from "./os_launch.ts";
import { type RuntimeHost, runtimeNeeds } from "./runtime_needs.ts";
import { deriveProfile } from "./sandbox_profile.ts";

/** A fake file system: paths that exist, with their kind, link targets, file heads and JSON. */
function fakeHost(files: Record<string, string | { link: string } | { dir: true }>): RuntimeHost {
  const kindOf = (p: string) => {
    const f = files[p];
    if (f === undefined) {
      return Object.keys(files).some((k) => k.startsWith(`${p}/`)) ? "dir" as const : undefined;
    }
    return typeof f === "string" ? "file" as const : "link" in f ? "link" as const : "dir" as const;
  };
  const realpath = (p: string): string | undefined => {
    const f = files[p];
    if (f && typeof f === "object" && "link" in f) return realpath(f.link);
    return kindOf(p) ? p : undefined;
  };
  return {
    realpath,
    kind: kindOf,
    head: (p) => {
      const f = files[realpath(p) ?? p];
      return typeof f === "string" ? f : "";
    },
    json: (p) => {
      const f = files[p];
      return typeof f === "string" ? JSON.parse(f) : undefined;
    },
    readlink: (p) => {
      const f = files[p];
      return f && typeof f === "object" && "link" in f ? f.link : undefined;
    },
    list: (
      p,
    ) => [
      ...new Set(
        Object.keys(files).filter((k) => k.startsWith(`${p}/`)).map((k) =>
          k.slice(p.length + 1).split("/")[0]!
        ),
      ),
    ],
  };
}

const HOST = fakeHost({
  "/usr/bin/node": "\x7fELF",
  "/usr/bin/python3": "\x7fELF",
  "/usr/bin/env": "\x7fELF",
  "/usr/bin/npx": "#!/usr/bin/env node\n",
  "/bin": { link: "/usr/bin" },
  "/etc/passwd": "root:x:0:0",
  "/etc/shadow": "root:*",
  "/etc/ssh/ssh_host_key": "KEY",
  "/home/u/.ssh/id_rsa": "KEY",
  "/home/u/.bashrc": "rc",
  "/home/u/.pyenv/shims/python3": "#!/usr/bin/env bash\nexec pyenv",
  "/home/u/.npm/_npx/1161651dd6698d51/package.json": JSON.stringify({ _npx: { packages: ["@m/srv@1.0.0"] } }),
  "/home/u/.npm/_npx/1161651dd6698d51/node_modules/@m/srv/package.json": JSON.stringify({
    bin: { "m-srv": "dist/i.js" },
  }),
  "/home/u/.npm/_npx/1161651dd6698d51/node_modules/.bin/m-srv": {
    link: "/home/u/.npm/_npx/1161651dd6698d51/node_modules/@m/srv/dist/i.js",
  },
  "/home/u/.npm/_npx/1161651dd6698d51/node_modules/@m/srv/dist/i.js": "#!/usr/bin/env node\n",
  // Planted by something other than npm: claims the spec, but its folder is not npm's hash of it.
  "/home/u/.npm/_npx/0000fake00000000/package.json": JSON.stringify({
    _npx: { packages: ["@m/evil@1.0.0"] },
  }),
  "/home/u/.npm/_npx/0000fake00000000/node_modules/@m/evil/package.json": JSON.stringify({ bin: "x.js" }),
  "/home/u/.npm/_npx/0000fake00000000/node_modules/.bin/evil": "#!/usr/bin/env node\n",
  "/opt/srv/node_modules/@m/fs/dist/index.js": "import x",
  // A program reached through a chain of links (like /usr/local/bin/deno -> …/.bin/deno -> ../deno/deno).
  "/usr/local/bin/tool": { link: "/opt/t/node_modules/.bin/tool" },
  "/opt/t/node_modules/.bin/tool": { link: "../tool/tool" },
  "/opt/t/node_modules/tool/tool": "\x7fELF",
  "/w/src/a.ts": "a",
  "/w/src/.env": "TOKEN=1",
  "/w/server.py": "print()",
});
const ENV = { PATH: "/usr/bin:/bin", HOME: "/home/u", SECRET_TOKEN: "s3cret", LANG: "C.UTF-8" };
const policy = compilePolicy(
  parsePolicy(
    "version: 1\nservers:\n  s:\n    allowed_paths: [./src]\n    denied_paths: [~/.ssh]\n    allowed_tools: [read]\n",
    { file: "p.yaml" },
  ).policy,
  { baseDir: "/w", home: "/home/u" },
);

Deno.test("runtimeNeeds() turns an npx entry into the package's bin in npm's npx cache", () => {
  const n = runtimeNeeds(["npx", "-y", "@m/srv@1.0.0", "--flag"], {
    cwd: "/w",
    home: "/home/u",
    env: ENV,
    host: HOST,
  });
  assert.deepEqual(n.argv, ["/home/u/.npm/_npx/1161651dd6698d51/node_modules/.bin/m-srv", "--flag"]);
  assert.deepEqual(n.read.map((e) => e.value), ["/home/u/.npm/_npx/1161651dd6698d51"]);
  assert.equal(n.install, undefined);
  // Not in the cache yet: install first; mcp.lock's version wins over the spec's.
  const cold = runtimeNeeds(["npx", "-y", "@m/srv"], {
    cwd: "/w",
    home: "/home/u",
    env: ENV,
    host: HOST,
    lockVersions: { "@m/srv": "2.0.0" },
  });
  assert.deepEqual(cold.install, { spec: "@m/srv@2.0.0", npmCache: "/home/u/.npm" });
  const planted = runtimeNeeds(["npx", "-y", "@m/evil@1.0.0"], {
    cwd: "/w",
    home: "/home/u",
    env: ENV,
    host: HOST,
  });
  assert.ok(planted.install !== undefined, "a folder not named by npm's hash is never run");
});

Deno.test("runtimeNeeds() finds the program, its tool root and a script's package folder", () => {
  const node = runtimeNeeds(["node", "/opt/srv/node_modules/@m/fs/dist/index.js", "/w"], {
    cwd: "/w",
    home: "/home/u",
    env: ENV,
    host: HOST,
  });
  assert.deepEqual(node.argv[0], "/usr/bin/node");
  assert.deepEqual(node.read.map((e) => e.value), ["/opt/srv/node_modules"]);
  const py = runtimeNeeds(["python3", "server.py"], {
    cwd: "/w",
    home: "/home/u",
    env: { ...ENV, PATH: "/home/u/.pyenv/shims:/usr/bin" },
    host: HOST,
  });
  assert.deepEqual(py.read.map((e) => e.value), ["/home/u/.pyenv", "/w"]);
  const docker = runtimeNeeds(["docker", "run", "-i", "x"], {
    cwd: "/w",
    home: "/home/u",
    env: ENV,
    host: HOST,
  });
  assert.match(docker.uncontainable ?? "", /daemon/);
});

Deno.test("planOsLaunch() enforce: system read-only, grants bound, hidden places masked last, env scrubbed", () => {
  const profile = deriveProfile(policy, "s", { mode: "enforce", home: "/home/u", cwd: "/w" });
  const needs = runtimeNeeds(["python3", "server.py"], { cwd: "/w", home: "/home/u", env: ENV, host: HOST });
  const plan = planOsLaunch(profile, needs, {
    bwrap: "/usr/bin/bwrap",
    socat: "/usr/bin/socat",
    home: "/home/u",
    cwd: "/w",
    env: ENV,
    egress: { socket: "/run/x/egress.sock" },
    host: HOST,
  });
  const a = plan.args;
  const at = (...seq: string[]) => a.findIndex((_, i) => seq.every((s, j) => a[i + j] === s));
  assert.ok(at("--unshare-all") >= 0 && at("--cap-drop", "ALL") >= 0);
  assert.ok(at("--ro-bind", "/usr", "/usr") >= 0);
  assert.ok(at("--symlink", "usr/bin", "/bin") >= 0);
  assert.ok(at("--tmpfs", "/home/u") >= 0, "a private home");
  assert.ok(at("--ro-bind", "/w/src", "/w/src") >= 0);
  // Masks come after every bind: deny wins.
  const lastBind = Math.max(at("--ro-bind", "/w/src", "/w/src"), at("--ro-bind", "/w", "/w"));
  assert.ok(at("--ro-bind", "/dev/null", "/etc/shadow") > lastBind);
  assert.ok(at("--ro-bind", "/dev/null", "/w/src/.env") > lastBind, "a .env in a bound folder is masked");
  assert.ok(at("--perms", "0000", "--tmpfs", "/etc/ssh") > lastBind);
  // ~/.ssh is not visible at all (the home is an empty tmpfs), so it needs no mask.
  assert.equal(at("--tmpfs", "/home/u/.ssh"), -1);
  // Network: only the bridged egress port; the proxy variables point at it.
  assert.ok(at("--bind", "/run/x/egress.sock", "/run/agentperms/egress.sock") >= 0);
  assert.equal(plan.env.HTTPS_PROXY, `http://127.0.0.1:${EGRESS_PORT}`);
  assert.equal(plan.env.SECRET_TOKEN, undefined);
  assert.equal(plan.env.LANG, "C.UTF-8");
  assert.equal(a[a.indexOf("--") + 1], "/bin/sh");
  assert.deepEqual(a.slice(-2), ["/usr/bin/python3", "server.py"]);
});

Deno.test("planOsLaunch() record: all read-only but the workspace, secrets masked, the environment kept", () => {
  const profile = deriveProfile(policy, "s", { mode: "record", home: "/home/u", cwd: "/w" });
  const needs = runtimeNeeds(["python3", "server.py"], { cwd: "/w", home: "/home/u", env: ENV, host: HOST });
  const plan = planOsLaunch(profile, needs, {
    bwrap: "bwrap",
    home: "/home/u",
    cwd: "/w",
    env: ENV,
    egress: { url: "http://127.0.0.1:5555" },
    host: HOST,
    fileTrace: { strace: "/usr/bin/strace", log: "/tmp/run/files.strace" },
  });
  const a = plan.args.join(" ");
  // strace runs around bwrap, out of the server's reach.
  assert.equal(plan.command, "/usr/bin/strace");
  assert.match(a, /--ro-bind \/ \/ /);
  assert.match(a, /--bind \/w \/w /);
  assert.match(a, /--perms 0000 --tmpfs \/home\/u\/\.ssh --remount-ro \/home\/u\/\.ssh/);
  assert.doesNotMatch(a, /--unshare-net|--unshare-all/);
  assert.equal(plan.env.SECRET_TOKEN, "s3cret");
  assert.equal(plan.env.HTTP_PROXY, "http://127.0.0.1:5555");
  assert.match(
    a,
    /^-f .* -o \/tmp\/run\/files\.strace -- bwrap .* -- \/usr\/bin\/python3 server\.py$/,
  );
});

Deno.test("planOsLaunch() keeps system folders a denied path names, and says so", () => {
  const p = compilePolicy(
    parsePolicy("version: 1\nservers:\n  s:\n    denied_paths: [/etc]\n", { file: "p.yaml" }).policy,
    { baseDir: "/w", home: "/home/u" },
  );
  const profile = deriveProfile(p, "s", { mode: "enforce", home: "/home/u", cwd: "/w" });
  const needs = runtimeNeeds(["python3", "server.py"], { cwd: "/w", home: "/home/u", env: ENV, host: HOST });
  const plan = planOsLaunch(profile, needs, {
    bwrap: "bwrap",
    home: "/home/u",
    cwd: "/w",
    env: ENV,
    host: HOST,
  });
  assert.ok(!plan.args.join(" ").includes("--tmpfs /etc "));
  assert.ok(plan.notes.some((n) => /"\/etc" .* holds system files/.test(n)), plan.notes.join("\n"));
  assert.ok(plan.notes.some((n) => /no network at all/.test(n)));
});

Deno.test("runtimeNeeds() shows every hop of a program's link chain, not just both ends", () => {
  const n = runtimeNeeds(["tool"], {
    cwd: "/w",
    home: "/home/u",
    env: { PATH: "/usr/local/bin" },
    host: HOST,
  });
  assert.deepEqual(n.read.map((e) => e.value).sort(), [
    "/opt/t/node_modules/.bin",
    "/opt/t/node_modules/tool",
  ]);
});

Deno.test("planOsLaunch() stays within bubblewrap's 9,000 arguments: fully granted folders are bound whole, fully hidden ones hidden whole", () => {
  const kids = new Map<string, Set<string>>();
  const addDir = (p: string) => {
    for (let cur = p; cur !== "/" && cur !== ""; cur = cur.slice(0, cur.lastIndexOf("/")) || "/") {
      const parent = cur.slice(0, cur.lastIndexOf("/")) || "/";
      if (!kids.has(parent)) kids.set(parent, new Set());
      kids.get(parent)!.add(cur.slice(cur.lastIndexOf("/") + 1));
      if (!kids.has(cur)) kids.set(cur, new Set());
    }
  };
  const granted: string[] = [];
  const denied: string[] = [];
  for (let g = 0; g < 50; g++) for (let i = 0; i < 100; i++) granted.push(`/w/g${g}/p${i}`);
  for (let h = 0; h < 30; h++) for (let i = 0; i < 100; i++) denied.push(`/w/h${h}/s${i}`);
  for (const p of [...granted, ...denied, "/w/g0/not-granted", "/usr/bin"]) addDir(p);
  const host: RuntimeHost = {
    realpath: (p) => (kids.has(p) ? p : undefined),
    kind: (p) => (kids.has(p) ? "dir" : undefined),
    head: () => "",
    json: () => undefined,
    list: (p) => [...kids.get(p) ?? []],
  };
  const entry = (value: string) => ({ value, ruleId: "r", why: "w" });
  const plan = planOsLaunch(
    {
      server: "s",
      mode: "enforce",
      read: [...granted, ...Array.from({ length: 30 }, (_, h) => `/w/h${h}`)].map(entry),
      write: [],
      hide: denied.map(entry),
      net: [],
      env: [],
      run: [],
      hidePatterns: [],
      notes: [],
    },
    { argv: ["/usr/bin/true"], read: [], notes: [] },
    { bwrap: "bwrap", home: "/home/u", cwd: "/w", env: {}, host },
  );
  assert.ok(plan.args.length < 9_000, `${plan.args.length} arguments`);
  const binds = plan.mounts.filter((m) => m.op === "ro").map((m) => m.path);
  assert.ok(binds.includes("/w/g7"), "a folder whose every entry is granted is bound whole");
  assert.ok(
    !binds.includes("/w/g0") && binds.includes("/w/g0/p3"),
    "a folder with an entry not granted is not",
  );
  const hidden = plan.mounts.filter((m) => m.op === "hide-dir").map((m) => m.path);
  assert.ok(hidden.includes("/w/h3") && !hidden.includes("/w/h3/s1"), "a folder whose every entry is hidden");
  assert.match(plan.notes.join("\n"), /bind one by one/);
});

Deno.test("withArgsFile() moves bwrap's options into a NUL-separated file read on fd 4, strace kept around bwrap", () => {
  const profile = deriveProfile(policy, "s", { mode: "record", home: "/home/u", cwd: "/w" });
  const needs = runtimeNeeds(["python3", "server.py"], { cwd: "/w", home: "/home/u", env: ENV, host: HOST });
  const plan = planOsLaunch(profile, needs, {
    bwrap: "bwrap",
    home: "/home/u",
    cwd: "/w",
    env: ENV,
    egress: { url: "http://127.0.0.1:5555" },
    host: HOST,
    fileTrace: { strace: "/usr/bin/strace", log: "/tmp/run/files.strace" },
  });
  const { plan: packed, data } = withArgsFile(plan, "/tmp/run/bwrap.args");
  const { start, end } = plan.bwrapOptions;
  assert.equal(packed.command, "/bin/sh");
  assert.deepEqual(packed.args.slice(0, 4), [
    "-c",
    'exec 4<"$0" || exit 126; exec "$@"',
    "/tmp/run/bwrap.args",
    plan.command,
  ]);
  // strace's own arguments, then bwrap, which reads the rest from fd 4; the server's command stays last.
  assert.deepEqual(packed.args.slice(4), [
    ...plan.args.slice(0, start),
    "--args",
    "4",
    ...plan.args.slice(end),
  ]);
  assert.equal(plan.args[start - 1], "bwrap");
  assert.equal(plan.args[end], "--");
  assert.deepEqual(new TextDecoder().decode(data).split("\0").slice(0, -1), plan.args.slice(start, end));
  assert.ok(plan.args.slice(start, end).includes("--ro-bind"));
});
