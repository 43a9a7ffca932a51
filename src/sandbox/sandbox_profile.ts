// @ts-types="@types/picomatch"
import picomatch from "picomatch";
import { isWithin, normalizeAbsolute, resolvePath } from "../canonical/mod.ts";
import { decide, type PermissionGrants } from "../decision/mod.ts";
import type { CompiledPolicy, CompiledServer } from "../policy/mod.ts";
import { permissionCall } from "./permission_call.ts";

/** One thing a contained server may (or may never) reach, with the rule behind it. */
export interface ProfileEntry {
  /** An absolute path, a `host[:port]` (or `*`), or an environment variable name. */
  value: string;
  /** The policy rule id, or `sandbox/<reason>` for what is derived. */
  ruleId: string;
  /** Why, in words. */
  why: string;
}

/**
 * What one server may read, write, dial and see in its environment, derived from the policy alone: plain
 * data that every backend (OS sandbox, Deno flags, broker) applies its own way, and that `sandbox explain`
 * prints. What the server's runtime needs to start (its interpreter, package folder) is added by the
 * launcher, not here.
 */
export interface SandboxProfile {
  /** The server's policy name. */
  server: string;
  /** `enforce`: only what is listed; `record`: observe, hide the secret places and nothing else. */
  mode: "record" | "enforce";
  /** Readable paths (absolute; literal and realpath forms). */
  read: ProfileEntry[];
  /** Writable paths (also readable). */
  write: ProfileEntry[];
  /** Paths never visible, even inside a readable folder: denied_paths and the home's secret places. */
  hide: ProfileEntry[];
  /** Hosts the egress proxy lets the server reach (`host`, `host:port`, `*.domain`, `*`). */
  net: ProfileEntry[];
  /** Environment variable names the server is given (the rest of the environment is scrubbed). */
  env: ProfileEntry[];
  /** Programs a Deno-flags server may spawn (the OS sandbox contains children, so it ignores this). */
  run: ProfileEntry[];
  /** `denied_patterns` globs (the OS launcher masks the files that match them at start). */
  hidePatterns: ProfileEntry[];
  /** Things the user should know, one sentence each. */
  notes: string[];
}

/** Options for {@link deriveProfile}. */
export interface DeriveProfileOptions {
  /** Proxy mode. */
  mode: "record" | "enforce";
  /** The user's home, for `~` and the secret places. */
  home: string;
  /** The server's working directory (its workspace). */
  cwd: string;
  /** Env names the client config sets for this server (the user chose them). */
  serverEnv?: string[];
  /** Their values, where known: path-like values (`*_PATH`, `*_FILE`, `*_DIR`) grant their folder. */
  serverEnvValues?: Record<string, string>;
  /** Filesystem roots given as the server's arguments (server-filesystem style), when known. */
  serverRoots?: string[];
  /** Symlink resolution for realpath forms; omit for a pure profile. */
  realpath?: (p: string) => string | undefined;
  /**
   * What a server may read when the policy restricts no paths: `home` (the OS sandbox: the home and the
   * workspace, secret places hidden) or `roots` (Deno flags: only the folders given as arguments).
   */
  unrestrictedRead?: "home" | "roots";
}

/**
 * The home's secret places: hidden from every contained server unless the policy grants one explicitly
 * (an `allowed_paths` or `sandbox.read` entry at or inside it). A grant of the whole home does not count.
 */
export const SECRET_PLACES: readonly string[] = [
  ".ssh",
  ".aws",
  ".gnupg",
  ".config/gcloud",
  ".kube",
  ".docker",
  ".azure",
  ".netrc",
  ".npmrc",
  ".pypirc",
  ".git-credentials",
  ".config/gh",
  ".config/git/credentials",
  ".password-store",
  ".vault-token",
  ".terraform.d",
  ".env",
  ".mozilla",
  ".config/google-chrome",
  ".config/chromium",
  ".config/BraveSoftware",
  ".config/Code/User",
  ".config/Cursor/User",
  ".cursor",
  ".claude",
  ".claude.json",
  ".gemini",
  ".codex",
  ".codeium",
  ".continue",
  ".config/Claude",
  ".config/zed",
  ".local/state/agentperms",
  ".local/share/agentperms",
  "Library/Application Support/Claude",
  "Library/Keychains",
  "Library/Cookies",
];

const GLOB_CHARS_REGEXP = /[*?[\]{}]/;
const WRITE_TOOL_REGEXP =
  /(?:^|[_.-])(?:write|edit|create|move|delete|remove|rename|mkdir|append|save|upload|update|put|patch|set|insert|add)(?:$|[_.-])/i;
const PATH_ENV_REGEXP = /(?:_PATH|_FILE|_DIR|_HOME|_ROOT)$/;

/**
 * Derives a server's sandbox profile from the policy. Pure (the realpath function is the only way in). Deny
 * wins: every read and write entry is put through `decide()` (a `deno/permission` check), and one the
 * policy denies (inside `denied_paths`, matching `denied_patterns`) is dropped with a note, so the file view
 * never grants what the JSON-RPC layer would refuse.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compilePolicy } from "../policy/mod.ts";
 * import { deriveProfile } from "./mod.ts";
 * const policy = compilePolicy({ version: 1, servers: { fs: { allowed_paths: ["/w/src"] } } }, {
 *   baseDir: "/w", home: "/home/u",
 * });
 * const p = deriveProfile(policy, "fs", { mode: "enforce", home: "/home/u", cwd: "/w" });
 * assert.deepEqual(p.read.map((e) => e.value), ["/w/src"]);
 * assert.ok(p.hide.some((e) => e.value === "/home/u/.ssh"));
 * ```
 * @param policy the compiled policy, or undefined when there is none (record mode)
 * @param server the server's policy name
 * @param opts mode, home, cwd, the client config's env for the server, roots and realpath
 * @returns the profile
 */
export function deriveProfile(
  policy: CompiledPolicy | undefined,
  server: string,
  opts: DeriveProfileOptions,
): SandboxProfile {
  const cs = policy?.servers.get(server);
  const src = policy?.source.servers?.[server] ?? {};
  const sb = cs?.sandbox;
  const base = `servers.${server}`;
  const notes: string[] = [];
  const read: ProfileEntry[] = [];
  const write: ProfileEntry[] = [];
  const hide: ProfileEntry[] = [];
  const net: ProfileEntry[] = [];
  const env: ProfileEntry[] = [];
  const run: ProfileEntry[] = [];
  const hidePatterns: ProfileEntry[] = [];
  const policyOpts = { cwd: policy?.baseDir ?? opts.cwd, home: opts.home, realpath: opts.realpath };
  const serverOpts = { cwd: opts.cwd, home: opts.home, realpath: opts.realpath };
  // Each list's values, so a repeat is found by look-up (a policy may list thousands of paths).
  const values = new Map<ProfileEntry[], Set<string>>();
  const valuesOf = (list: ProfileEntry[]) => {
    let set = values.get(list);
    if (!set) values.set(list, set = new Set(list.map((e) => e.value)));
    return set;
  };
  const push = (list: ProfileEntry[], value: string, ruleId: string, why: string) => {
    const set = valuesOf(list);
    if (set.has(value)) return;
    set.add(value);
    list.push({ value, ruleId, why });
  };
  const drop = (list: ProfileEntry[], gone: Set<ProfileEntry>) => {
    if (gone.size === 0) return;
    const kept = list.filter((e) => !gone.has(e));
    list.length = 0;
    list.push(...kept);
    values.delete(list);
  };
  const pushPaths = (
    list: ProfileEntry[],
    entries: readonly string[] | undefined,
    key: string,
    why: string,
    o = policyOpts,
  ) => {
    (entries ?? []).forEach((e, i) => {
      const b = globBase(e);
      if (b === undefined) {
        notes.push(
          `${base}.${key}[${i}] "${e}" is a glob with no fixed folder; the sandbox cannot express it`,
        );
        return;
      }
      if (b !== e) notes.push(`${base}.${key}[${i}] "${e}" is a glob: the sandbox grants its folder "${b}"`);
      for (const f of resolvePath(b, o).forms) push(list, f, `${base}.${key}[${i}]`, why);
    });
  };

  // Hidden: denied_paths, then the home's secret places (unless granted explicitly below).
  (src.denied_paths ?? []).forEach((e, i) => {
    if (GLOB_CHARS_REGEXP.test(e)) {
      hidePatterns.push({ value: e, ruleId: `${base}.denied_paths[${i}]`, why: "a denied path (glob)" });
      return;
    }
    for (const f of resolvePath(e, policyOpts).forms) {
      push(hide, f, `${base}.denied_paths[${i}]`, "a denied path");
    }
  });
  (src.denied_patterns ?? []).forEach((e, i) =>
    hidePatterns.push({ value: e, ruleId: `${base}.denied_patterns[${i}]`, why: "a denied pattern" })
  );

  // Read.
  const explicitRead = sb?.read ?? src.allowed_paths;
  if (sb?.read) pushPaths(read, sb.read, "sandbox.read", "listed in the sandbox block");
  else if (src.allowed_paths) pushPaths(read, src.allowed_paths, "allowed_paths", "an allowed path");
  else if (opts.mode === "record") {
    push(read, "/", "sandbox/record", "record mode observes: everything but the hidden places is readable");
  } else if ((opts.unrestrictedRead ?? "home") === "home") {
    for (const r of [opts.home, opts.cwd].filter((r) => normalizeAbsolute(r) !== "/")) {
      for (const f of resolvePath(r, serverOpts).forms) {
        push(read, f, "sandbox/paths-unrestricted", "the policy restricts no paths for this server");
      }
    }
  }
  for (const r of opts.serverRoots ?? []) {
    if (explicitRead) break; // the policy's paths decide; roots outside them stay invisible
    for (const f of resolvePath(r, serverOpts).forms) {
      push(read, f, "sandbox/server-roots", "a folder the server is given as an argument");
    }
  }
  // Path-like values the client config gives the server (MEMORY_FILE_PATH=...): their folder.
  for (const [k, v] of Object.entries(opts.serverEnvValues ?? {})) {
    if (!PATH_ENV_REGEXP.test(k) || !(v.startsWith("/") || v.startsWith("~"))) continue;
    const abs = resolvePath(v, serverOpts).forms[0]!;
    // A file (MEMORY_FILE_PATH) is often rewritten atomically next to itself: grant its folder.
    const dir = /(?:_DIR|_HOME|_ROOT)$/.test(k) ? abs : normalizeAbsolute(`${abs}/..`);
    for (const f of resolvePath(dir, serverOpts).forms) {
      push(read, f, "sandbox/client-config-env", `${k} in the client config names it`);
      push(write, f, "sandbox/client-config-env", `${k} in the client config names it`);
    }
  }

  // Write: only where the policy lets the server write.
  if (sb?.write) {
    pushPaths(write, sb.write, "sandbox.write", "listed in the sandbox block");
    const gone = new Set<ProfileEntry>();
    for (const e of write) {
      if (isWithin(normalizeAbsolute(opts.home), e.value)) {
        gone.add(e);
        notes.push(`"${e.value}" (${e.ruleId}) is not writable: a write grant never covers the whole home`);
      }
    }
    drop(write, gone);
  } else if (opts.mode === "record") {
    const ws = normalizeAbsolute(opts.cwd);
    if (ws !== "/" && ws !== normalizeAbsolute(opts.home)) {
      push(write, ws, "sandbox/record-workspace", "record mode: the workspace stays writable");
    } else {notes.push(
        `The server's folder "${ws}" is not a workspace (it is / or the home): nothing is writable`,
      );}
  } else {
    const w = cs ? writeToolsAllowed(cs) : undefined;
    const candidates = read.filter((e) =>
      e.ruleId !== "sandbox/paths-unrestricted" && e.ruleId !== "sandbox/client-config-env"
    );
    const home = normalizeAbsolute(opts.home);
    if (w) {
      for (const e of candidates) {
        // Never the whole home (or an ancestor of it): a write grant there reaches ~/.bashrc and every
        // other file that runs outside the sandbox later. The home stays private and writable instead.
        if (isWithin(home, e.value)) {
          notes.push(
            `"${e.value}" (${e.ruleId}) is readable but not writable: a write grant never covers the home`,
          );
          continue;
        }
        push(write, e.value, e.ruleId, `${e.why}, and ${w}`);
      }
    } else if (candidates.length > 0) {
      notes.push(`Nothing is writable: the policy allows no write tools for "${server}"`);
    }
  }

  // Deny wins: decide() judges every read and write entry against the policy's denies.
  if (policy && cs) {
    const grants: PermissionGrants = {
      read: read.map((e) => ({ value: e.value, ruleId: e.ruleId })),
      write: write.map((e) => ({ value: e.value, ruleId: e.ruleId })),
      net: [],
      env: [],
      run: [],
      sys: [],
    };
    for (const [kind, list] of [["read", read], ["write", write]] as const) {
      const gone = new Set<ProfileEntry>();
      for (const e of list) {
        const call = permissionCall(server, { permission: kind, value: e.value }, serverOpts);
        const d = decide(policy, call, { permissions: grants });
        if (d.verdict !== "allow") {
          gone.add(e);
          notes.push(`Dropped ${kind} "${e.value}" (${e.ruleId}): ${d.reason}`);
        }
      }
      drop(list, gone);
    }
  }

  // Secret places: hidden unless an explicit grant lies at or inside one.
  const granted = [...(explicitRead ? read : []), ...(sb?.write ? write : [])];
  for (const rel of SECRET_PLACES) {
    const abs = normalizeAbsolute(`${opts.home}/${rel}`);
    if (granted.some((g) => isWithin(g.value, abs))) {
      notes.push(`Secret place "~/${rel}" is visible: the policy grants it explicitly`);
      continue;
    }
    for (const f of resolvePath(abs, serverOpts).forms) {
      push(hide, f, "sandbox/secret-place", "a secret place of the home: hidden unless granted explicitly");
    }
  }

  // Net: through the egress proxy only.
  const hosts = sb?.net ?? src.allowed_hosts;
  const hostKey = sb?.net ? "sandbox.net" : "allowed_hosts";
  (hosts ?? []).forEach((h, i) => {
    const v = hostGrant(h);
    if (v) push(net, v, `${base}.${hostKey}[${i}]`, v === "*" ? "any host" : "an allowed host");
  });
  if (hosts === undefined && opts.mode === "record") {
    push(net, "*", "sandbox/record", "record mode observes: connections are traced, not refused");
  } else if (net.length === 0) notes.push(`No network: the policy allows no hosts for "${server}"`);

  // Env: an explicit allowlist.
  (sb?.env ?? []).forEach((n, i) => push(env, n, `${base}.sandbox.env[${i}]`, "listed in the sandbox block"));
  for (const n of opts.serverEnv ?? []) {
    push(env, n, "sandbox/client-config-env", "set for this server in the client config");
  }

  // Run (Deno flags only; the OS sandbox contains whatever the server starts).
  if (sb?.run === true) push(run, "*", `${base}.sandbox.run`, "sandbox.run is true");
  else if (Array.isArray(sb?.run)) {
    sb.run.forEach((p, i) => push(run, p, `${base}.sandbox.run[${i}]`, "listed in sandbox.run"));
  }

  return { server, mode: opts.mode, read, write, hide, net, env, run, hidePatterns, notes };
}

/**
 * The profile as the grants `decide()` judges `deno/permission` checks against (broker, egress proxy).
 * @param profile a derived profile
 * @returns per-kind grants
 */
export function profileGrants(profile: SandboxProfile): PermissionGrants {
  const g = (l: ProfileEntry[]) => l.map((e) => ({ value: e.value, ruleId: e.ruleId }));
  return {
    read: g(profile.read),
    write: g(profile.write),
    net: g(profile.net),
    env: g(profile.env),
    run: g(profile.run),
    sys: [],
  };
}

function globBase(entry: string): string | undefined {
  if (!GLOB_CHARS_REGEXP.test(entry)) return entry;
  const b = picomatch.scan(entry.replaceAll("\\", "/")).base;
  return b === "" ? undefined : b;
}

function writeToolsAllowed(cs: CompiledServer): string | undefined {
  if (!cs.allowedTools) return "the policy does not restrict tools, so write tools are allowed";
  const w = [...cs.allowedTools.keys()].filter((t) => WRITE_TOOL_REGEXP.test(t));
  return w.length > 0 ? `allowed_tools has write tools (${w.join(", ")})` : undefined;
}

/**
 * A host entry as a grant: scheme and path dropped, lowercased, `:*` dropped; `*` for any host.
 * @param entry an `allowed_hosts`, `denied_hosts` or `sandbox.net` entry
 * @returns the grant, or undefined for an empty entry
 */
export function hostGrant(entry: string): string | undefined {
  const e = entry.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, "").replace(/\/.*$/, "");
  if (e === "*" || e === "*:*") return "*";
  if (e === "") return undefined;
  return e.replace(/:\*$/, "");
}
