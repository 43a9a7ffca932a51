import { isWithin, normalizeAbsolute, resolvePath } from "../canonical/mod.ts";
import type { PermissionGrant, PermissionGrants } from "../decision/mod.ts";
import type { CompiledPolicy } from "../policy/mod.ts";
import { DENO_RUNTIME_ENV } from "./deno_runtime_env.ts";
import { parseServerCommand, type ServerEntry } from "./parse_server_command.ts";
import { deriveProfile, hostGrant } from "./sandbox_profile.ts";
import { PathSet } from "./_path_set.ts";

/** How a server will be started: the exact command, its environment and what containment applies. */
export interface LaunchPlan {
  /** Executable to spawn (the deno binary for contained servers, else the original command). */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Environment to give the child. With `clearEnv`, this is the whole environment. */
  env: Record<string, string>;
  /** True: start the child with an empty environment plus `env` (never inherit secrets). */
  clearEnv: boolean;
  /** Working directory for the child. */
  cwd?: string;
  /** True when the Deno permission layer restricts the server (mode flags or broker). */
  contained: boolean;
  /** `off`: run as written (or under `-A` to audit in record mode); `flags`: Deno flags; `broker`: AgentPerms answers every check. */
  mode: "off" | "flags" | "broker";
  /** Things the user should know (not contained, unpinned, narrowed roots, `--allow-run`...), one sentence each. */
  notes: string[];
  /** Broker mode: the Unix socket AgentPerms must serve (`startBroker`) before spawning. */
  brokerSocket?: string;
  /** Record mode: the `DENO_AUDIT_PERMISSIONS` file the server writes (read it with `readAuditFile`). */
  auditFile?: string;
  /** Every permission flag with the rule that put it there and why (for `sandbox explain`). */
  flags: FlagReason[];
  /** The grants the flags were built from; pass them to `startBroker` so both layers agree. */
  grants?: PermissionGrants;
  /** How the original command line was understood. */
  entry: ServerEntry;
}

/** One value of one Deno permission flag and where it came from. */
export interface FlagReason {
  /** Flag name without dashes: `allow-read`, `deny-write`, `allow-env`... */
  flag: string;
  /** The value (`*` for an unscoped flag). */
  value: string;
  /** Policy rule id, or `sandbox/<reason>` for derived minimums. */
  ruleId: string;
  /** Why, in words. */
  why: string;
}

/** Options for {@link planLaunch}. */
export interface PlanLaunchOptions {
  /** The deno executable (see `findDeno`). */
  denoPath: string;
  /** The user's home, for `~`. */
  home: string;
  /** The server's working directory. */
  cwd: string;
  /** The proxy's environment (source of allowlisted values; never passed whole). */
  env: Record<string, string>;
  /** Proxy mode. */
  mode: "record" | "enforce";
  /** Trace directory: the audit file (record mode) and default broker socket go here. */
  traceDir?: string;
  /** Symlink resolution for the realpath forms of paths; omit for a pure plan. */
  realpath?: (p: string) => string | undefined;
  /** Package versions pinned in `mcp.lock` (`@scope/pkg` → `1.2.3`); they win over the spec's version. */
  lockVersions?: Record<string, string>;
  /** Env names the client config sets for this server: forwarded and allowed (the user chose them). */
  serverEnv?: string[];
  /** Broker socket path; default `<traceDir>/ap-<server>[-<sessionId>].sock` (or under /tmp when too long). */
  brokerSocket?: string;
  /**
   * The proxy's session id: makes the default broker socket and audit file unique, so two proxies for the
   * same server name (two clients) never share or delete each other's.
   */
  sessionId?: string;
}

interface KnownServer {
  env: string[];
  rootsAreArgs?: boolean;
  readsOwnPackage?: boolean;
  memoryFileEnv?: string;
}

// Minimum permissions measured per npm server (DENO_NOTES §1.1).
const KNOWN_SERVERS: Record<string, KnownServer> = {
  "@modelcontextprotocol/server-filesystem": { env: ["__MINIMATCH_TESTING_PLATFORM__"], rootsAreArgs: true },
  "@modelcontextprotocol/server-everything": {
    env: ["GZIP_MAX_FETCH_SIZE", "GZIP_MAX_FETCH_TIME_MILLIS", "GZIP_ALLOWED_DOMAINS"],
    readsOwnPackage: true,
  },
  "@modelcontextprotocol/server-memory": { env: ["MEMORY_FILE_PATH"], memoryFileEnv: "MEMORY_FILE_PATH" },
};

const EXACT_VERSION_REGEXP = /^\d+\.\d+\.\d+(?:[-+][\w.-]+)?$/;

/**
 * Default Deno cache folder (where `npm:` packages live) when `DENO_DIR` is unset.
 * @param home the user's home
 * @param env the environment (XDG_CACHE_HOME, LOCALAPPDATA)
 * @param os the platform
 * @returns an absolute path
 */
export function defaultDenoDir(home: string, env: Record<string, string>, os: string = "linux"): string {
  if (os === "darwin") return `${home}/Library/Caches/deno`;
  if (os === "windows") return `${env.LOCALAPPDATA ?? `${home}/AppData/Local`}/deno`;
  return `${env.XDG_CACHE_HOME ?? `${home}/.cache`}/deno`;
}

/**
 * Plans how to start one MCP server: JS/TS entries (npx, bunx, pnpm dlx, node, tsx, deno run) become
 * `deno run --no-config --no-prompt <flags> npm:pkg@version …` with permissions derived from the policy
 * (or its `sandbox` block), a scrubbed environment and filesystem roots kept inside the read grants. Other
 * servers run unchanged and are marked not contained. Pure: all facts come in through `opts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planLaunch } from "./mod.ts";
 * const plan = planLaunch(undefined, "py", ["uvx", "mcp-server-git"], {
 *   denoPath: "/usr/bin/deno", home: "/home/u", cwd: "/w", env: {}, mode: "enforce",
 * });
 * assert.equal(plan.contained, false);
 * assert.equal(plan.command, "uvx");
 * ```
 * @param policy the compiled policy, or undefined when there is none
 * @param server the server's name in the policy and client config
 * @param argv the server's command line as configured
 * @param opts paths, environment, mode and lock versions
 * @returns the launch plan
 */
export function planLaunch(
  policy: CompiledPolicy | undefined,
  server: string,
  argv: string[],
  opts: PlanLaunchOptions,
): LaunchPlan {
  const entry = parseServerCommand(argv, opts.cwd);
  const cs = policy?.servers.get(server);
  const sb = cs?.sandbox;
  const notes: string[] = [];
  const unchanged = (why: string): LaunchPlan => ({
    command: argv[0] ?? "",
    args: argv.slice(1),
    env: {},
    clearEnv: false,
    cwd: opts.cwd,
    contained: false,
    mode: "off",
    notes: [...notes, why],
    flags: [],
    entry,
  });
  if (sb?.mode === "off") {
    return unchanged(`Server "${server}" is not contained: its sandbox.mode is "off"`);
  }
  if (entry.kind === "other") {
    return unchanged(
      `Server "${server}" is not contained: "${entry.launcher}" is not a JS/TS entry Deno can run, so only the JSON-RPC policy applies`,
    );
  }
  // Deno finds its cache from the HOME it is given, which is the proxy's, not the policy's `~`.
  const denoDir = opts.env.DENO_DIR ?? defaultDenoDir(opts.env.HOME ?? opts.home, opts.env);
  const module = moduleOf(entry, opts.lockVersions, notes);
  const baseEnv: Record<string, string> = {
    DENO_DIR: denoDir,
    RUST_BACKTRACE: "0",
    DENO_NO_PACKAGE_JSON: "1",
    DENO_NO_UPDATE_CHECK: "1",
  };
  // What Deno itself needs to fetch packages; the server cannot read these without --allow-env.
  for (const k of DENO_RUNTIME_ENV) if (opts.env[k] !== undefined) baseEnv[k] = opts.env[k]!;
  const keptFlags = entry.keptFlags;
  if (entry.droppedFlags.length > 0) {
    notes.push(`Dropped launcher flags ${entry.droppedFlags.join(" ")}: AgentPerms sets the permissions`);
  }
  const auditFile = opts.mode === "record" && opts.traceDir
    ? `${opts.traceDir}/${safeName(server)}${
      opts.sessionId ? `.${safeName(opts.sessionId)}` : ""
    }.permissions.jsonl`
    : undefined;
  if (auditFile) baseEnv.DENO_AUDIT_PERMISSIONS = auditFile;

  const unrestricted = policy === undefined || !policy.constrained ||
    (cs === undefined && opts.mode === "record");
  if (unrestricted) {
    // Record mode without rules for this server: run everything, but audit what it touches so `infer` can
    // propose a sandbox block. Enforce mode without a policy keeps the command as written.
    if (opts.mode === "enforce") {
      return unchanged(`Server "${server}" is not contained: the policy has no rules for it`);
    }
    notes.push(
      `Server "${server}" is not contained (record mode, no rules for it): it runs with all permissions${
        auditFile ? ` and its OS-level accesses are audited to "${auditFile}"` : ""
      }`,
    );
    const env = { ...baseEnv };
    for (const k of Object.keys(opts.env)) env[k] ??= opts.env[k]!;
    return {
      command: opts.denoPath,
      args: ["run", "--no-config", "--no-prompt", ...keptFlags, "--allow-all", module, ...entry.serverArgs],
      env,
      clearEnv: true,
      cwd: opts.cwd,
      contained: false,
      mode: "off",
      notes,
      auditFile,
      flags: [{ flag: "allow-all", value: "*", ruleId: "sandbox/record-unrestricted", why: "record mode" }],
      entry,
    };
  }

  const known = entry.pkg ? KNOWN_SERVERS[entry.pkg] : undefined;
  const flags: FlagReason[] = [];
  const added = new Set<string>();
  const add = (flag: string, value: string, ruleId: string, why: string) => {
    if (value.includes(",")) {
      notes.push(`"${value}" holds a comma, which Deno flags cannot express; it was left out of --${flag}`);
      return;
    }
    const key = `${flag}\u0000${value}`;
    if (added.has(key)) return;
    added.add(key);
    flags.push({ flag, value, ruleId, why });
  };
  const serverPathOpts = { cwd: opts.cwd, home: opts.home, realpath: opts.realpath };
  const formsOf = (p: string) => resolvePath(p, serverPathOpts).forms;
  const src = policy!.source.servers?.[server] ?? {};
  const base = `servers.${server}`;
  const rootArgs = known?.rootsAreArgs
    ? entry.serverArgs.filter((a) => !a.startsWith("-")).map((a) => ({ raw: a, forms: formsOf(a) }))
    : [];

  // What the server may reach: the same profile every backend applies (deny wins through decide()).
  const memFile = known?.memoryFileEnv ? opts.env[known.memoryFileEnv] : undefined;
  const envValues: Record<string, string> = {};
  for (const n of opts.serverEnv ?? []) if (opts.env[n] !== undefined) envValues[n] = opts.env[n]!;
  if (known?.memoryFileEnv && memFile !== undefined) envValues[known.memoryFileEnv] = memFile;
  const profile = deriveProfile(policy, server, {
    mode: "enforce",
    home: opts.home,
    cwd: opts.cwd,
    serverEnv: opts.serverEnv,
    serverEnvValues: envValues,
    serverRoots: rootArgs.map((r) => r.raw),
    realpath: opts.realpath,
    unrestrictedRead: "roots",
  });
  notes.push(...profile.notes);
  for (const e of profile.read) add("allow-read", e.value, e.ruleId, e.why);
  for (const e of profile.write) add("allow-write", e.value, e.ruleId, e.why);
  if (known?.memoryFileEnv && memFile === undefined) {
    notes.push(
      `Set ${known.memoryFileEnv} for "${server}": its default file is inside its own package in DENO_DIR, which stays read-only`,
    );
  }
  if (known?.readsOwnPackage && entry.pkg) {
    const v = module.match(/@([^@/]+)$/)?.[1];
    if (v) {
      add(
        "allow-read",
        `${denoDir}/npm/registry.npmjs.org/${entry.pkg}/${v}`,
        "sandbox/own-package",
        "the server reads its own bundled documents",
      );
    }
  }
  // Deny flags: denied_paths always; the home's secret places where a read grant would reach them.
  const reads = new PathSet(profile.read.map((e) => e.value));
  for (const e of profile.hide) {
    if (e.ruleId === "sandbox/secret-place" && !reads.holds(e.value)) continue;
    add("deny-read", e.value, e.ruleId, e.why);
    add("deny-write", e.value, e.ruleId, e.why);
  }
  for (const e of profile.hidePatterns) {
    notes.push(`${e.ruleId} "${e.value}" is a glob: no flag can express it (broker mode enforces it)`);
  }

  // Net.
  for (const e of profile.net) add("allow-net", e.value, e.ruleId, e.why);
  (src.denied_hosts ?? []).forEach((h, i) => {
    const v = hostGrant(h);
    if (v && v !== "*" && !v.includes("*")) add("deny-net", v, `${base}.denied_hosts[${i}]`, "a denied host");
  });

  // Env: an explicit allowlist (the profile's names and the known servers' start-up minimums).
  const envNames = [...profile.env];
  for (const n of known?.env ?? []) {
    envNames.push({ value: n, ruleId: "sandbox/minimum-env", why: `${entry.pkg} reads it at start-up` });
  }
  for (const e of envNames) add("allow-env", e.value, e.ruleId, e.why);
  const env: Record<string, string> = { ...baseEnv };
  for (const e of envNames) {
    if (e.value.includes("*")) continue;
    const v = opts.env[e.value];
    if (v !== undefined) env[e.value] = v;
  }

  // Run: never, unless the sandbox block says so.
  for (const e of profile.run) add("allow-run", e.value, e.ruleId, e.why);
  if (profile.run.length > 0) {
    notes.push(
      `WARNING: "${server}" may start ${
        profile.run.some((e) => e.value === "*")
          ? "any program (sandbox.run: true)"
          : profile.run.map((e) => e.value).join(", ")
      }; children are NOT contained and run with your full rights`,
    );
  }
  const pathGrants = profile.read;

  // Keep filesystem roots inside the read grants: a root outside them would make the server refuse to start.
  let serverArgs = entry.serverArgs;
  if (rootArgs.length > 0) {
    const readFlags = flags.filter((f) => f.flag === "allow-read").map((f) => f.value);
    const any = readFlags.includes("*");
    const readSet = new PathSet(readFlags.filter((r) => r !== "*"));
    const covered = (p: string) => any || readSet.holds(p);
    const out: string[] = [];
    for (const a of entry.serverArgs) {
      const r = rootArgs.find((x) => x.raw === a);
      if (!r) {
        out.push(a);
        continue;
      }
      if (r.forms.every(covered)) {
        out.push(a);
        continue;
      }
      const inside = [...new Set(pathGrants.map((g) => g.value))].filter((g) =>
        r.forms.some((f) => isWithin(g, f)) && covered(g)
      );
      // Prefer literal forms: a realpath duplicate of the same grant would list the folder twice. The
      // outermost grants are kept (each checked against the shallower ones kept so far).
      const outer = new PathSet();
      const narrowed: string[] = [];
      for (const g of [...inside].sort((a, b) => a.length - b.length)) {
        if (outer.holds(g)) continue;
        outer.add(g);
        narrowed.push(g);
      }
      const order = new Map(inside.map((g, i) => [g, i]));
      narrowed.sort((a, b) => order.get(a)! - order.get(b)!);
      if (narrowed.length > 0) {
        out.push(...dedupeRealpaths(narrowed, opts.realpath));
        notes.push(
          `Root "${a}" is wider than the read grants; narrowed to ${
            narrowed.map((n) => `"${n}"`).join(", ")
          }`,
        );
      } else {
        notes.push(`Root "${a}" is outside the read grants and was removed; the server cannot see it`);
      }
    }
    if (!out.some((a) => !a.startsWith("-"))) {
      notes.push(`No root is left inside the read grants: the filesystem server will refuse to start`);
    }
    serverArgs = out;
  }

  const mode = sb?.mode === "broker" ? "broker" : "flags";
  const brokerSocket = mode === "broker" ? opts.brokerSocket ?? defaultBrokerSocket(server, opts) : undefined;
  if (brokerSocket) env.DENO_PERMISSION_BROKER_PATH = brokerSocket;

  const grants = grantsOf(flags, denoDir);
  // Never launch with an empty permission set: Deno's node:child_process (which starts the server) adds
  // -A to a deno command line that has no permission flag at all (checked on 2.9.6). Denying what is never
  // granted anyway (ffi; run unless granted) states the limits explicitly.
  const explicit = flags.some((f) => f.flag === "allow-run") ? ["--deny-ffi"] : ["--deny-run", "--deny-ffi"];
  return {
    command: opts.denoPath,
    args: [
      "run",
      "--no-config",
      "--no-prompt",
      ...keptFlags,
      ...renderFlags(flags),
      ...explicit,
      module,
      ...serverArgs,
    ],
    env,
    clearEnv: true,
    cwd: opts.cwd,
    contained: true,
    mode,
    notes,
    brokerSocket,
    auditFile,
    flags,
    grants,
    entry,
  };
}

function dedupeRealpaths(
  paths: string[],
  realpath: ((p: string) => string | undefined) | undefined,
): string[] {
  if (!realpath) return paths;
  const seen = new Set<string>();
  return paths.filter((p) => {
    const r = realpath(p) ?? p;
    if (seen.has(r)) return false;
    seen.add(r);
    return true;
  });
}

function moduleOf(entry: ServerEntry, lock: Record<string, string> | undefined, notes: string[]): string {
  if (entry.kind !== "npm") return entry.module!;
  const pkg = entry.pkg!;
  let version = entry.version;
  const locked = lock?.[pkg];
  if (locked !== undefined) {
    if (version !== undefined && version !== locked) {
      notes.push(`${pkg}: the spec says "${version}" but mcp.lock pins "${locked}"; using the lock`);
    }
    version = locked;
  }
  if (version === undefined || !EXACT_VERSION_REGEXP.test(version)) {
    notes.push(
      `${pkg} is not pinned to an exact version (${version ?? "none"}): pin it in the config or mcp.lock`,
    );
  }
  return `npm:${pkg}${version ? `@${version}` : ""}${entry.bin ? `/${entry.bin}` : ""}`;
}

function renderFlags(flags: FlagReason[]): string[] {
  const order = [
    "allow-read",
    "deny-read",
    "allow-write",
    "deny-write",
    "allow-net",
    "deny-net",
    "allow-env",
    "allow-run",
  ];
  const out: string[] = [];
  for (const flag of order) {
    let vals = flags.filter((f) => f.flag === flag).map((f) => f.value);
    if (vals.length === 0) continue;
    if (vals.includes("*")) {
      out.push(`--${flag}`);
      continue;
    }
    // A path below another path of the same flag adds nothing (Deno grants a folder and all below it): left
    // out, so the flag holds the outermost folders only. Nothing is widened.
    if (/^(?:allow|deny)-(?:read|write)$/.test(flag)) vals = outermost(vals);
    // One argument may not exceed the kernel's MAX_ARG_STRLEN (128 KiB): Deno merges repeated flags, so a long
    // list is split into several.
    let chunk: string[] = [];
    let size = 0;
    for (const v of vals) {
      const bytes = new TextEncoder().encode(v).length + 1;
      if (chunk.length > 0 && size + bytes > FLAG_CHUNK_BYTES) {
        out.push(`--${flag}=${chunk.join(",")}`);
        chunk = [];
        size = 0;
      }
      chunk.push(v);
      size += bytes;
    }
    if (chunk.length > 0) out.push(`--${flag}=${chunk.join(",")}`);
  }
  return out;
}

/** Bytes of values per rendered flag, well under the kernel's 128 KiB limit on one argument. */
const FLAG_CHUNK_BYTES = 64 * 1024;

/** The paths no other path of the list holds, in their first order (one of two equal paths). */
function outermost(paths: string[]): string[] {
  const kept = new PathSet();
  const keep = new Set<string>();
  for (const p of [...new Set(paths)].sort((a, b) => a.length - b.length)) {
    if (kept.holds(p)) continue;
    kept.add(p);
    keep.add(p);
  }
  return [...new Set(paths)].filter((p) => keep.has(p));
}

function grantsOf(flags: FlagReason[], denoDir: string): PermissionGrants {
  const pick = (flag: string): PermissionGrant[] =>
    flags.filter((f) => f.flag === flag).map((f) => ({ value: f.value, ruleId: f.ruleId }));
  return {
    // The broker also sees the server's reads of its own package code in the npm cache: public code, no secrets.
    read: [...pick("allow-read"), { value: normalizeAbsolute(`${denoDir}/npm`), ruleId: "sandbox/deno-dir" }],
    write: pick("allow-write"),
    net: pick("allow-net"),
    env: pick("allow-env"),
    run: pick("allow-run"),
    sys: [],
  };
}

function defaultBrokerSocket(server: string, opts: PlanLaunchOptions): string {
  const name = `ap-${safeName(server).slice(0, 24)}${
    opts.sessionId ? `-${safeName(opts.sessionId).slice(0, 16)}` : ""
  }.sock`;
  const inTrace = opts.traceDir ? `${opts.traceDir}/${name}` : undefined;
  // Unix socket paths are limited to about 100 bytes.
  return inTrace && new TextEncoder().encode(inTrace).length <= 100 ? inTrace : `/tmp/${name}`;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 60);
}
