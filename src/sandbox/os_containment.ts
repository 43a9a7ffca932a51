import { existsSync } from "node:fs";
import { isWithin } from "../canonical/mod.ts";
import { decide } from "../decision/mod.ts";
import { type CompiledPolicy, compilePolicy } from "../policy/mod.ts";
import type { TraceEventV1 } from "../trace/mod.ts";
import type { OsSandboxSupport } from "./check_os_sandbox.ts";
import { type EgressEvent, type EgressProxy, startEgressProxy } from "./egress_proxy.ts";
import { ARGS_FILE_THRESHOLD, type OsLaunchPlan, planOsLaunch, withArgsFile } from "./os_launch.ts";
import { permissionCall } from "./permission_call.ts";
import { findOnPath, npxHashes, type RuntimeNeeds, runtimeNeeds } from "./runtime_needs.ts";
import { splitPackageSpec } from "./parse_server_command.ts";
import { fileTraceToEvents } from "./file_trace.ts";
import { PathSet } from "./_path_set.ts";
import { deriveProfile, type ProfileEntry, profileGrants, type SandboxProfile } from "./sandbox_profile.ts";

/** Options for {@link startOsContainment}. */
export interface OsContainmentOptions {
  /** The policy (undefined in record mode without one). */
  policy: CompiledPolicy | undefined;
  /** The server's policy name. */
  server: string;
  /** Its command line as configured. */
  argv: string[];
  /** Proxy mode. */
  mode: "record" | "enforce";
  /** The user's home. */
  home: string;
  /** The server's working directory. */
  cwd: string;
  /** The proxy's environment. */
  env: Record<string, string>;
  /** Env names the client config sets for the server. */
  serverEnv: string[];
  /** Filesystem roots among the server's arguments (server-filesystem style). */
  serverRoots?: string[];
  /** Package versions pinned in mcp.lock: they win over an npx spec's. */
  lockVersions?: Record<string, string>;
  /**
   * AgentPerms' own files: `readOnly` (the policy, mcp.lock: the server must not rewrite the rules it runs
   * under) stay read-only even inside a writable grant; `hide` (the trace folder, the launcher, the state
   * folder) are never visible.
   */
  protect?: { readOnly: string[]; hide: string[] };
  /** bwrap and socat, from `checkOsSandbox`. */
  support: OsSandboxSupport;
  /** A private folder (0700) for the egress socket. */
  runDir: string;
  /** Realpath for the profile's path forms. */
  realpath?: (p: string) => string | undefined;
  /** Trace events (egress attempts). */
  onEvent: (ev: Omit<TraceEventV1, "sessionId" | "server" | "mode">) => void;
  /** Progress and notes for the user (stderr and the trace). */
  note: (detail: string) => void;
}

/** A running OS containment: the launch to spawn and what to stop afterwards. */
export interface OsContainment {
  /** The bubblewrap launch. */
  plan: OsLaunchPlan;
  /** The profile it was built from. */
  profile: SandboxProfile;
  /** Stops the egress proxy. */
  close(): Promise<void>;
  /**
   * Record mode: what the server opened and changed, as containment events for `infer` (read after it
   * exited; the runtime's own folders left out).
   */
  fileEvents(
    base: { sessionId: string; server: string; mode: "record" | "enforce" },
  ): Promise<TraceEventV1[]>;
}

/**
 * Builds everything an OS-contained server needs before it starts: the profile from the policy, what its
 * runtime needs, the egress proxy that judges every connection with `decide()` (host, port and the
 * addresses it resolves to), npx's install step (npm and the registry only, never the server), and the
 * bubblewrap launch.
 *
 * @param opts policy, server, command, mode, paths, environment and sinks
 * @returns the containment, or `{ uncontainable }` when the command cannot run in the sandbox at all
 */
export async function startOsContainment(
  opts: OsContainmentOptions,
): Promise<OsContainment | { uncontainable: string }> {
  const envValues: Record<string, string> = {};
  for (const k of opts.serverEnv) if (opts.env[k] !== undefined) envValues[k] = opts.env[k]!;
  const profile = deriveProfile(opts.policy, opts.server, {
    mode: opts.mode,
    home: opts.home,
    cwd: opts.cwd,
    serverEnv: opts.serverEnv,
    serverEnvValues: envValues,
    serverRoots: opts.serverRoots,
    realpath: opts.realpath,
  });
  const rtOpts = { cwd: opts.cwd, home: opts.home, env: opts.env, lockVersions: opts.lockVersions };
  let needs = runtimeNeeds(opts.argv, rtOpts);
  if (needs.uncontainable) return { uncontainable: needs.uncontainable };

  const egress = await startEgress(opts, profile, "server");
  try {
    if (needs.prefetch) await prefetchDeno(opts, needs.prefetch);
    if (needs.install) {
      await installNpx(opts, needs.install);
      needs = runtimeNeeds(opts.argv, rtOpts);
      if (needs.install || needs.uncontainable) {
        throw new Error(`npx's install of ${needs.install?.spec ?? "the package"} left no bin to run`);
      }
    }
    const strace = opts.mode === "record"
      ? findOnPath("strace", opts.env.PATH ?? "/usr/bin:/bin")
      : undefined;
    if (opts.mode === "record" && !strace) {
      opts.note(
        "strace is not installed, so the files the server touches are not recorded (apt-get install strace)",
      );
    }
    const log = strace ? `${opts.runDir}/files.strace` : undefined;
    // Folders the policy grants writes to explicitly are made when missing, so the grant can be bound.
    for (const e of profile.write) {
      if (!e.ruleId.startsWith("sandbox/") && !existsSync(e.value)) {
        await Deno.mkdir(e.value, { recursive: true }).catch(() => {});
      }
    }
    // What the runtime needs is shown whatever allowed_paths says, but never what the policy denies.
    if (opts.policy) {
      const grants = {
        ...profileGrants(profile),
        read: needs.read.map((e) => ({ value: e.value, ruleId: e.ruleId })),
      };
      for (const e of [...needs.read]) {
        const call = permissionCall(opts.server, { permission: "read", value: e.value }, {
          cwd: opts.cwd,
          home: opts.home,
        });
        const d = decide(opts.policy, call, { permissions: grants });
        if (d.verdict !== "allow") {
          needs.read.splice(needs.read.indexOf(e), 1);
          opts.note(`The runtime's "${e.value}" is not shown: ${d.reason}`);
        }
      }
    }
    const own = (value: string, why: string): ProfileEntry => ({ value, ruleId: "sandbox/agentperms", why });
    const extraHide = [
      ...findMasks(opts.policy, profile, needs, opts),
      ...(opts.protect?.hide ?? []).filter((p) => {
        // A trace folder that holds the server's own folder (--trace-dir .) cannot be hidden without it.
        if (!isWithin(opts.cwd, p)) return true;
        opts.note(`"${p}" holds the server's folder, so the server can see the traces written there`);
        return false;
      }).map((p) => own(p, "AgentPerms' own traces, state and launcher")),
    ];
    let plan = planOsLaunch(profile, needs, {
      extraHide,
      readOnly: (opts.protect?.readOnly ?? []).map((p) => own(p, "the rules the server runs under")),
      bwrap: opts.support.bwrap!,
      socat: opts.support.socat,
      home: opts.home,
      cwd: opts.cwd,
      env: opts.env,
      egress: egress.socket ? { socket: egress.socket } : { url: egress.url! },
      fileTrace: strace && log ? { strace, log } : undefined,
    });
    // A large policy's file view goes to bwrap through a file (--args), never the command line.
    const { start, end } = plan.bwrapOptions;
    let optionBytes = 0;
    for (let i = start; i < end; i++) optionBytes += plan.args[i]!.length + 1;
    if (optionBytes > ARGS_FILE_THRESHOLD) {
      const packed = withArgsFile(plan, `${opts.runDir}/bwrap.args`);
      await Deno.writeFile(`${opts.runDir}/bwrap.args`, packed.data, { mode: 0o600 });
      plan = packed.plan;
    }
    const ignore = [...needs.read.map((e) => e.value), opts.runDir, needs.npmCache ?? "/nonexistent"];
    return {
      plan,
      profile,
      close: () => egress.proxy.close(),
      fileEvents: async (base) => {
        if (!log) return [];
        const text = await Deno.readTextFile(log).catch(() => "");
        return fileTraceToEvents(text, { cwd: opts.cwd, ignore, base, time: new Date().toISOString() });
      },
    };
  } catch (e) {
    await egress.proxy.close();
    throw e;
  }
}

async function startEgress(
  opts: OsContainmentOptions,
  profile: SandboxProfile,
  who: "server" | "install",
): Promise<{ proxy: EgressProxy; socket?: string; url?: string }> {
  const grants = profileGrants(profile);
  const record = opts.mode === "record" && who === "server";
  const judge = (t: { host: string; port: number; addresses?: string[] }) => {
    const call = permissionCall(opts.server, { permission: "net", value: hostPort(t.host, t.port) }, {
      cwd: opts.cwd,
      home: opts.home,
    });
    // Without addresses: the name and port only (before any DNS lookup); with them: the dialled address too.
    const d = opts.policy
      ? decide(opts.policy, call, { permissions: grants, addresses: t.addresses })
      : { verdict: "allow" as const, ruleIds: ["sandbox/record"], reason: "record mode without a policy" };
    // Record mode observes: the verdict is traced, the connection goes through.
    const allow = record || d.verdict === "allow";
    return {
      allow,
      reason: record && d.verdict !== "allow" ? `record mode (enforce would refuse: ${d.reason})` : d.reason,
      ruleIds: d.ruleIds,
    };
  };
  // Every attempt is traced, but a server looping on the same refused target must not flood the trace:
  // after EGRESS_EVENTS_PER_TARGET events for one target and verdict, further ones are only counted, and
  // one event with the count is written when the proxy stops.
  const seen = new Map<string, { n: number; last: EgressEvent }>();
  const onEvent = (e: EgressEvent) => {
    const key = `${e.allowed}\0${e.host}\0${e.port}`;
    const s = seen.get(key) ?? { n: 0, last: e };
    s.n++;
    s.last = e;
    seen.set(key, s);
    if (s.n <= EGRESS_EVENTS_PER_TARGET) write(e);
  };
  const flush = () => {
    for (const { n, last } of seen.values()) {
      if (n > EGRESS_EVENTS_PER_TARGET) write(last, n - EGRESS_EVENTS_PER_TARGET);
    }
    seen.clear();
  };
  const write = (e: EgressEvent, more?: number) =>
    opts.onEvent({
      v: 1,
      kind: "containment",
      time: e.time,
      source: "egress",
      permission: "net",
      value: hostPort(e.host, e.port),
      ...(e.dialled ? { resolved: e.dialled } : {}),
      decision: { verdict: e.allowed ? "allow" : "deny", ruleIds: e.ruleIds, reason: e.reason },
      detail: `${who === "install" ? "before start: " : ""}${e.protocol} ${hostPort(e.host, e.port)} ${
        e.allowed ? "allowed" : "refused"
      } (${e.addresses.join(", ") || "unresolved"})${e.error ? `: ${e.error}` : ""}${
        more ? `; ${more} more such attempt(s) folded into this event` : ""
      }`,
      ...(more ? { count: more } : {}),
    });
  const folding = (proxy: EgressProxy): EgressProxy => ({
    address: proxy.address,
    close: async () => {
      await proxy.close();
      flush();
    },
  });
  // A hosts(5) file the egress proxy reads before DNS (split-horizon setups; tests map names to addresses).
  const hostsFile = opts.env.AGENTPERMS_EGRESS_HOSTS;
  if (record) {
    const proxy = await startEgressProxy({
      listen: { hostname: "127.0.0.1", port: 0 },
      judge,
      admit: judge,
      onEvent,
      hostsFile,
    });
    const a = proxy.address as { hostname: string; port: number };
    return { proxy: folding(proxy), url: `http://127.0.0.1:${a.port}` };
  }
  const socket = `${opts.runDir}/${who}-egress.sock`;
  const proxy = await startEgressProxy({ listen: { path: socket }, judge, admit: judge, onEvent, hostsFile });
  return { proxy: folding(proxy), socket };
}

/**
 * npx's install step, contained too: npm may write its cache and reach the registry, nothing else; the
 * server's code never runs here (install scripts do, under the same limits).
 */
/**
 * A step before the server starts (npx's install, Deno's cache), in a sandbox of its own: it may write
 * `write` and reach `hosts` only, judged by decide() like the server's own connections; no server code runs.
 */
async function runPrepStep(
  opts: OsContainmentOptions,
  step: {
    what: string;
    argv: string[];
    cwd: string;
    write: string[];
    hosts: string[];
    env: Record<string, string>;
  },
): Promise<void> {
  const entry = (value: string, why: string): ProfileEntry => ({ value, ruleId: "sandbox/prepare", why });
  const profile: SandboxProfile = {
    server: opts.server,
    mode: "enforce",
    read: [],
    write: step.write.map((w) => entry(w, `${step.what}: the one folder it writes`)),
    hide: [],
    net: step.hosts.map((h) => entry(h.includes(":") ? h : `${h}:443`, `${step.what}: a package registry`)),
    env: Object.keys(step.env).map((n) => entry(n, `${step.what}: its settings`)),
    run: [],
    hidePatterns: [],
    notes: [],
  };
  const stepPolicy = compilePolicy({ version: 1, servers: { [opts.server]: {} } }, {
    baseDir: opts.home,
    home: opts.home,
  });
  const egress = await startEgress({ ...opts, policy: stepPolicy, mode: "enforce" }, profile, "install");
  try {
    const needs = runtimeNeeds(step.argv, { cwd: step.cwd, home: opts.home, env: opts.env });
    const plan = planOsLaunch(profile, needs, {
      bwrap: opts.support.bwrap!,
      socat: opts.support.socat,
      home: opts.home,
      cwd: step.cwd,
      env: { ...opts.env, ...step.env },
      egress: { socket: egress.socket! },
    });
    Object.assign(plan.env, step.env);
    const info = plan.args.indexOf("--info-fd");
    const out = await new Deno.Command(plan.command, {
      args: plan.args.filter((_, i) => i !== info && i !== info + 1),
      env: plan.env,
      clearEnv: true,
      cwd: plan.cwd,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-6).join("\n");
      throw new Error(`${step.what} failed (exit ${out.code}):\n${err}`);
    }
  } finally {
    await egress.proxy.close();
  }
}

function npmRegistryHost(env: Record<string, string>): string {
  return new URL(env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY ?? "https://registry.npmjs.org/").host;
}

/**
 * npx's install step: npm (and the package's install scripts) write a fresh cache of their own, never the
 * user's: a script with write access to ~/.npm could rewrite other packages' code or plant an install for
 * another spec. The finished `_npx/<hash>` is copied into the user's cache under the name npm itself uses.
 */
async function installNpx(
  opts: OsContainmentOptions,
  install: { spec: string; npmCache: string },
): Promise<void> {
  opts.note(`Installing ${install.spec} into npm's npx cache (registry and a fresh cache only)`);
  const fresh = await Deno.makeTempDir({ prefix: "ap-npx-" });
  try {
    await runPrepStep(opts, {
      what: `npx's install of ${install.spec}`,
      argv: ["npm", "exec", "--yes", `--package=${install.spec}`, "-c", "true"],
      cwd: opts.home, // not the server's folder: a package.json there would change what npm installs
      write: [fresh],
      hosts: [npmRegistryHost(opts.env)],
      env: {
        npm_config_cache: fresh,
        npm_config_update_notifier: "false",
        npm_config_fund: "false",
        npm_config_audit: "false",
        ...(opts.env.npm_config_registry ? { npm_config_registry: opts.env.npm_config_registry } : {}),
      },
    });
    const { name } = splitPackageSpec(install.spec);
    const made = npxHashes(install.spec, name).find((h) => existsSync(`${fresh}/_npx/${h}`));
    if (made === undefined) throw new Error(`npm left no npx install for ${install.spec}`);
    const target = `${install.npmCache}/_npx/${made}`;
    if (!existsSync(target)) {
      await Deno.mkdir(`${install.npmCache}/_npx`, { recursive: true });
      const staging = `${target}.ap-${crypto.randomUUID().slice(0, 8)}`;
      const cp = await new Deno.Command("cp", { args: ["-a", `${fresh}/_npx/${made}`, staging] }).output();
      if (!cp.success) throw new Error(`cannot copy the install into ${install.npmCache}`);
      await Deno.rename(staging, target).catch(async () => {
        await Deno.remove(staging, { recursive: true }); // another proxy was first
      });
    }
  } finally {
    await Deno.remove(fresh, { recursive: true }).catch(() => {});
  }
}

/**
 * A Deno server's module graph is fetched with `deno cache` before it starts (Deno's cache writable, the
 * registries reachable), so the server itself only reads the cache: it cannot rewrite code other Deno
 * programs load from there. `deno cache` runs no package code.
 */
async function prefetchDeno(
  opts: OsContainmentOptions,
  prefetch: { argv: string[]; denoDir: string },
): Promise<void> {
  await Deno.mkdir(prefetch.denoDir, { recursive: true });
  await runPrepStep(opts, {
    what: "deno cache",
    argv: prefetch.argv,
    cwd: opts.cwd,
    write: [prefetch.denoDir],
    hosts: [npmRegistryHost(opts.env), "jsr.io", "npm.jsr.io", "deno.land"],
    env: {
      DENO_DIR: prefetch.denoDir,
      DENO_NO_UPDATE_CHECK: "1",
      ...(opts.env.NPM_CONFIG_REGISTRY ? { NPM_CONFIG_REGISTRY: opts.env.NPM_CONFIG_REGISTRY } : {}),
    },
  });
}

function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Egress events written per target and verdict before further ones are only counted. */
const EGRESS_EVENTS_PER_TARGET = 20;

/** How far the start-up walk looks for files to hide: levels below each shown folder, and entries per folder. */
const MASK_WALK_DEPTH = 8;
const MASK_WALK_ENTRIES = 20_000;
/** Folders the walk does not enter: package trees and VCS data (no secrets of the user's own). */
const WALK_SKIP = new Set(["node_modules", ".git", ".hg", ".svn", "__pycache__", ".venv", "site-packages"]);
/** In the home, folders of caches and tool installs (and the secret places, hidden whole already). */
const HOME_WALK_SKIP = [
  ".cache",
  ".npm",
  ".nvm",
  ".pyenv",
  ".cargo",
  ".rustup",
  ".deno",
  ".bun",
  ".local/share",
  ".local/state",
  ".volta",
  ".asdf",
  "go",
  "snap",
  "Library",
];

/**
 * Walks every folder the server will see (the profile's, the runtime's and, when readable, the home;
 * breadth first, links not followed, a budget per folder) for files that must stay hidden though their
 * folder is visible: `.env` files at any depth, and, when the policy has `denied_patterns` or glob
 * `denied_paths`, every file `decide()` refuses to let the server read. Where a budget runs out and
 * patterns are set, the folders not reached are hidden whole (fail closed: a server must not make the next
 * walk give up by filling a folder it can write). Files made after the start are not seen (the JSON-RPC
 * layer still judges calls that name them).
 */
function findMasks(
  policy: CompiledPolicy | undefined,
  profile: SandboxProfile,
  needs: RuntimeNeeds,
  opts: OsContainmentOptions,
): ProfileEntry[] {
  const home = opts.home;
  const granted = [...profile.read.map((e) => e.value), ...profile.write.map((e) => e.value)];
  // The runtime's package caches (Deno's module cache) are not walked: downloaded code, no files of the
  // user's. Not when one holds the home, the server's folder or a granted folder (DENO_DIR=~/work): that
  // one is walked like any other.
  const caches = new Set(
    (needs.caches ?? []).filter((c) =>
      c !== "/" && !isWithin(home, c) && !isWithin(opts.cwd, c) &&
      !granted.some((g) => g !== c && isWithin(g, c))
    ),
  );
  const roots = [
    ...granted,
    ...needs.read.filter((e) =>
      !caches.has(e.value) &&
      !/\/\.(?:pyenv|nvm|volta|asdf|rbenv|cargo|rustup|deno|bun)(?:\/|$)/.test(e.value)
    )
      .map((e) => e.value),
  ].filter((v) => v !== "/" && !caches.has(v));
  const judge = policy !== undefined && profile.hidePatterns.length > 0;
  const grants = profileGrants(profile);
  const hidden = new PathSet(profile.hide.map((e) => e.value));
  const out: ProfileEntry[] = [];
  const seenDirs = new Set<string>();
  const rootSet = new Set(roots);
  for (const root of [...rootSet].sort((a, b) => a.length - b.length)) {
    let parentListed = false; // walked with its parent
    for (let c = root.indexOf("/", 1); c > 0 && !parentListed; c = root.indexOf("/", c + 1)) {
      parentListed = rootSet.has(root.slice(0, c));
    }
    if (parentListed) continue;
    let budget = MASK_WALK_ENTRIES;
    const queue: Array<[string, number]> = [[root, 0]];
    while (queue.length > 0) {
      const [dir, level] = queue.shift()!;
      if (seenDirs.has(dir)) continue;
      seenDirs.add(dir);
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(dir)];
      } catch {
        continue;
      }
      for (const e of entries) {
        const p = `${dir}/${e.name}`;
        if (e.isFile && (e.name === ".env" || e.name.startsWith(".env."))) {
          out.push({
            value: p,
            ruleId: "sandbox/secret-place",
            why: "a .env file: secrets, hidden unless granted",
          });
          continue;
        }
        if (judge && (e.isFile || e.isDirectory)) {
          const call = permissionCall(opts.server, { permission: "read", value: p }, {
            cwd: opts.cwd,
            home: opts.home,
          });
          const d = decide(policy!, call, { permissions: grants });
          if (d.verdict !== "allow" && !d.ruleIds.includes("sandbox/read")) {
            out.push({ value: p, ruleId: d.ruleIds[0] ?? "sandbox/denied", why: d.reason });
            continue;
          }
        }
        if (!e.isDirectory || level >= MASK_WALK_DEPTH || WALK_SKIP.has(e.name)) continue;
        if (hidden.holds(p) || caches.has(p)) continue;
        if (
          dir === home &&
          HOME_WALK_SKIP.some((x) => p === `${home}/${x}` || `${home}/${x}`.startsWith(`${p}/`))
        ) {
          continue;
        }
        queue.push([p, level + 1]);
      }
      budget -= entries.length;
      if (budget > 0) continue;
      if (judge) {
        for (const [left] of queue) {
          out.push({
            value: left,
            ruleId: "sandbox/walk-budget",
            why: "not walked for denied_patterns within the budget, so hidden whole",
          });
        }
        opts.note(
          `"${root}" holds more than ${MASK_WALK_ENTRIES} entries: ${queue.length} folder(s) the walk for denied_patterns did not reach are hidden whole`,
        );
      } else if (queue.length > 0) {
        opts.note(
          `"${root}" holds more than ${MASK_WALK_ENTRIES} entries: .env files in ${queue.length} folder(s) past them are not masked`,
        );
      }
      break;
    }
  }
  return out;
}
