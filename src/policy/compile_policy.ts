// @ts-types="@types/picomatch"
import picomatch from "picomatch";
import { foldToolName, isWindowsRoot, isWithin, resolvePath } from "../canonical/mod.ts";
import { GUARD_IDS, type GuardId, type PolicyV1, type SandboxV1 } from "./schema.ts";
import type { PolicyV2 } from "./schema_v2.ts";
import { type SessionRule, sessionRulesOf } from "./session_rules_schema.ts";
import { type CompiledV2, compileV2, type CompileV2Options } from "./compile_v2.ts";
import type { GuardPackDescriptor, ServerProfileDescriptor } from "../profiles/mod.ts";
import {
  type ApprovalIndex,
  buildApprovalIndex,
  buildServerIndex,
  type ServerIndex,
} from "./_server_index.ts";

/** A compiled path rule (allowed_paths / denied_paths entry). */
export interface PathRule {
  /** Rule id, e.g. `servers.filesystem.denied_paths[0]`. */
  id: string;
  /** The entry as written. */
  entry: string;
  /** Absolute forms (literal and realpath). Lowercased for deny rules. */
  roots: string[];
  /** True for `denied_paths`: a value holding glob characters is covered when any expansion could land inside. */
  deny?: boolean;
  /** Glob matcher over absolute paths, when the entry is a glob. */
  glob?: (p: string) => boolean;
  /** For a glob: each base folder form, the glob it is matched with and that glob's matcher (for the index). */
  globs?: Array<{ base: string; source: string; match: (p: string) => boolean }>;
}

/** A compiled basename/path pattern (denied_patterns). */
export interface PatternRule {
  /** Rule id. */
  id: string;
  /** The entry as written. */
  entry: string;
  /** Matches an absolute, lowercased path. */
  test: (absLower: string) => boolean;
  /**
   * How the index finds it: `name` (the glob is matched against the file name), `path` (against the whole
   * path), `never` (it cannot match).
   */
  mode: "name" | "path" | "never";
  /** The glob the matcher was compiled from. */
  glob: string;
}

/** A compiled host rule (allowed_hosts / denied_hosts). */
export interface HostRule {
  /** Rule id. */
  id: string;
  /** The entry as written. */
  entry: string;
  /** Host glob matcher (lowercase). */
  host: (h: string) => boolean;
  /** Port to match, or undefined for any. */
  port?: string;
  /** The host glob, lowercased. */
  pattern: string;
}

/** A tool-name rule (allowed/denied tools, approvals). */
export interface ToolRule {
  /** Rule id. */
  id: string;
  /** The name as written. */
  entry: string;
  /** `foldToolName(entry)`. */
  folded: string;
}

/** One server's rules, ready for `decide()`. */
export interface CompiledServer {
  /** Server name. */
  name: string;
  /** Exact allowlist, or undefined when the server does not restrict tools. */
  allowedTools?: Map<string, ToolRule>;
  /** Denied tools, matched on folded names. */
  deniedTools: ToolRule[];
  /** Allowed paths, or undefined when unrestricted. */
  allowedPaths?: PathRule[];
  /** Denied paths (case-insensitive). */
  deniedPaths: PathRule[];
  /** Denied patterns (case-insensitive). */
  deniedPatterns: PatternRule[];
  /** Allowed hosts, or undefined when unrestricted. */
  allowedHosts?: HostRule[];
  /** Denied hosts. */
  deniedHosts: HostRule[];
  /** Extra client methods allowed in enforce mode. */
  allowedMethods: Set<string>;
  /** Deny `sampling/createMessage` from this server. */
  denySampling: boolean;
  /** Deny `elicitation/create` from this server. */
  denyElicitation: boolean;
  /** The sandbox block as written. */
  sandbox?: SandboxV1;
  /** The rules compiled together: look-ups whose cost does not grow with the number of entries. */
  index: ServerIndex;
}

/** An approval-list entry. */
export interface ApprovalRule extends ToolRule {
  /** Server part of a `server.tool` entry; undefined for a bare tool (applies to every server). */
  server?: string;
  /** The full entry folded, to match `server.tool` joins whose server name holds a dot. */
  joined: string;
}

/** A policy compiled once at load: resolved paths, compiled globs, folded names. */
export interface CompiledPolicy {
  /** The policy as written. */
  source: PolicyV1 | PolicyV2;
  /** Directory relative policy entries were resolved against. */
  baseDir: string;
  /** Set when paths are read the Windows way: calls judged under this policy are read so too. */
  windows?: boolean;
  /** False when `servers: {}`: nothing is constrained and every call is allowed. */
  constrained: boolean;
  /** Rules per server. */
  servers: Map<string, CompiledServer>;
  /** Approval list. */
  approvals: ApprovalRule[];
  /** Which built-in guards are on. */
  guards: Record<GuardId, boolean>;
  /** The approval list by server and tool. */
  approvalIndex: ApprovalIndex;
  /** Format 2's rules (argument rules, scopes, SQL, classes, guard packs); absent for a format 1 policy. */
  v2?: CompiledV2;
  /** Format 2's session rules (the proxy keeps their state per session); absent when there are none. */
  sessionRules?: readonly SessionRule[];
}

/** Options for {@link compilePolicy}. */
export interface CompileOptions {
  /** Directory holding the policy file (relative entries resolve here). */
  baseDir: string;
  /** Home directory for `~`. */
  home: string;
  /** Symlink resolution for policy paths (both forms are kept). */
  realpath?: (abs: string) => string | undefined;
  /** Format 2: server profiles loaded from the policy's `profiles:` list and `--profile` (before the built-ins). */
  profiles?: readonly ServerProfileDescriptor[];
  /** Format 2: guard packs (default: the built-in packs). */
  guardPacks?: readonly GuardPackDescriptor[];
  /** Format 2: what is known about each server beyond its name, to find its profile (see `compileV2`). */
  identities?: CompileV2Options["identities"];
  /**
   * Read paths the Windows way (drives, UNC, case-insensitive). Default: true when the policy names a Windows
   * path (`C:\…`, `\\host\share`) or AgentPerms runs on Windows.
   */
  windows?: boolean;
}

const GLOB_CHARS_REGEXP = /[*?[\]{}]/;

/**
 * Realpath answers kept for one compilation: thousands of entries share their folders, and each missing
 * entry is resolved by walking up its folders, so most look-ups repeat. (The file system is read once, at
 * load, as before.) A `userHome` property on the function is kept, as `resolvePath` reads it.
 */
function memoRealpath(
  realpath: ((abs: string) => string | undefined) | undefined,
): ((abs: string) => string | undefined) | undefined {
  if (!realpath) return undefined;
  const seen = new Map<string, string | undefined>();
  const memo = (abs: string) => {
    if (seen.has(abs)) return seen.get(abs);
    const r = realpath(abs);
    seen.set(abs, r);
    return r;
  };
  const userHome = (realpath as { userHome?: unknown }).userHome;
  return userHome === undefined ? memo : Object.assign(memo, { userHome });
}

/**
 * Compiles a validated policy: resolves every path against the policy's directory and home (literal and
 * realpath forms), compiles globs and folds tool names, so `decide()` stays cheap and synchronous.
 * @param policy a validated policy
 * @param opts base directory, home and realpath
 * @returns the compiled policy
 */
export function compilePolicy(policy: PolicyV1 | PolicyV2, opts: CompileOptions): CompiledPolicy {
  const servers = new Map<string, CompiledServer>();
  const windows = opts.windows ?? (Deno.build.os === "windows" || namesWindowsPath(policy));
  const resolveOpts = {
    cwd: opts.baseDir,
    home: opts.home,
    realpath: memoRealpath(opts.realpath),
    ...(windows ? { windows } : {}),
  };
  for (const [name, raw] of Object.entries(policy.servers ?? {})) {
    const s = raw ?? {};
    const base = `servers.${name}`;
    const tools = (key: string, list: string[] | undefined) =>
      (list ?? []).map((entry, i) => ({ id: `${base}.${key}[${i}]`, entry, folded: foldToolName(entry) }));
    const paths = (key: string, list: string[], deny: boolean): PathRule[] =>
      list.map((entry, i) => compilePathRule(`${base}.${key}[${i}]`, entry, deny, resolveOpts));
    const hosts = (key: string, list: string[]): HostRule[] =>
      list.map((entry, i) => compileHostRule(`${base}.${key}[${i}]`, entry));
    const server: Omit<CompiledServer, "index"> = {
      name,
      allowedTools: s.allowed_tools
        ? new Map(tools("allowed_tools", s.allowed_tools).map((r) => [r.entry, r]))
        : undefined,
      deniedTools: tools("denied_tools", s.denied_tools),
      allowedPaths: s.allowed_paths ? paths("allowed_paths", s.allowed_paths, false) : undefined,
      deniedPaths: paths("denied_paths", s.denied_paths ?? [], true),
      deniedPatterns: (s.denied_patterns ?? []).map((entry, i) =>
        compilePattern(`${base}.denied_patterns[${i}]`, entry)
      ),
      allowedHosts: s.allowed_hosts ? hosts("allowed_hosts", s.allowed_hosts) : undefined,
      deniedHosts: hosts("denied_hosts", s.denied_hosts ?? []),
      allowedMethods: new Set(s.allowed_methods ?? []),
      denySampling: s.deny_sampling ?? false,
      denyElicitation: s.deny_elicitation ?? false,
      sandbox: s.sandbox,
    };
    servers.set(name, { ...server, index: buildServerIndex(server) });
  }
  const approvals = (policy.approvals?.require_human_approval ?? []).map((entry, i): ApprovalRule => {
    const id = `approvals.require_human_approval[${i}]`;
    const dot = entry.indexOf(".");
    if (dot > 0) {
      return {
        id,
        entry,
        server: entry.slice(0, dot),
        folded: foldToolName(entry.slice(dot + 1)),
        joined: entry,
      };
    }
    return { id, entry, folded: foldToolName(entry), joined: entry };
  });
  const guards = Object.fromEntries(GUARD_IDS.map((g) => [g, policy.guards?.[g] ?? true])) as Record<
    GuardId,
    boolean
  >;
  return {
    source: policy,
    baseDir: opts.baseDir,
    ...(windows ? { windows } : {}),
    constrained: servers.size > 0,
    servers,
    approvals,
    guards,
    approvalIndex: buildApprovalIndex(approvals),
    ...(policy.version === 2 ? { v2: compileV2(policy, opts) } : {}),
    ...(policy.version === 2 && (policy.session_rules?.length ?? 0) > 0
      ? { sessionRules: sessionRulesOf(policy) }
      : {}),
  };
}

function compilePathRule(
  id: string,
  entry: string,
  deny: boolean,
  opts: { cwd: string; home: string; realpath?: (p: string) => string | undefined; windows?: boolean },
): PathRule {
  const fold = (p: string) => (deny ? p.toLowerCase() : p);
  if (GLOB_CHARS_REGEXP.test(entry)) {
    const scan = picomatch.scan(entry.replaceAll("\\", "/"));
    const baseForms = resolvePath(scan.base === "" ? "." : scan.base, opts).forms.map(fold);
    const globs = baseForms.map((base) => {
      const source = `${base === "/" ? "" : base}/${scan.glob}`;
      return { base, source, match: picomatch(source, { dot: true, nocase: deny, posix: true }) };
    });
    // A path is covered when it, or any ancestor, matches the glob.
    const glob = (p: string) => {
      for (let cur = p; cur.length > 0; cur = cur.slice(0, Math.max(0, cur.lastIndexOf("/")))) {
        if (globs.some((g) => g.match(cur))) return true;
      }
      return false;
    };
    return { id, entry, roots: [], glob, globs, ...(deny ? { deny } : {}) };
  }
  return { id, entry, roots: resolvePath(entry, opts).forms.map(fold), ...(deny ? { deny } : {}) };
}

function compilePattern(id: string, entry: string): PatternRule {
  const pat = entry.trim().replaceAll("\\", "/");
  const opts = { dot: true, nocase: true, posix: true };
  if (pat === "" || pat.endsWith("/")) return { id, entry, test: () => false, mode: "never", glob: pat };
  if (!pat.includes("/")) {
    const m = lazyGlob(pat, opts);
    return { id, entry, test: (abs) => m(abs.slice(abs.lastIndexOf("/") + 1)), mode: "name", glob: pat };
  }
  // A pattern with a separator matches a whole path (absolute) or any tail of it (relative, "./" ignored).
  const glob = pat.startsWith("/") ? pat : `**/${pat.replace(/^(\.\/)+/, "")}`;
  const m = lazyGlob(glob, opts);
  return { id, entry, test: (abs) => m(abs), mode: "path", glob };
}

function compileHostRule(id: string, entry: string): HostRule {
  let e = entry.trim().toLowerCase();
  e = e.replace(/^[a-z][a-z0-9+.-]*:\/\//, "").replace(/\/.*$/, "");
  let port: string | undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+|\*))?$/.exec(e);
  if (m) {
    e = m[1]!.replace(/^\[|\]$/g, "");
    port = m[2] === "*" ? undefined : m[2];
  }
  const hostMatch = lazyGlob(e, { dot: true, nocase: true });
  return { id, entry, host: (h) => hostMatch(h), port, pattern: e };
}

/**
 * A glob's matcher, compiled on first use: the index verifies only the few globs that could match a call, so
 * most of a large policy's globs are never compiled (compiling is most of the cost of loading one). What
 * picomatch refuses outright (an empty or over-long glob) still fails the load.
 */
function lazyGlob(glob: string, opts: picomatch.PicomatchOptions): (s: string) => boolean {
  if (glob === "" || glob.length > MAX_GLOB_CHARS) return picomatch(glob, opts);
  let m: ((s: string) => boolean) | undefined;
  return (s) => (m ??= picomatch(glob, opts))(s);
}

/** picomatch's own limit on a glob's length (it throws above it). */
const MAX_GLOB_CHARS = 65_536;

/**
 * True when an absolute path is covered by a path rule (separator boundary; globs also cover descendants).
 * @param rule a compiled rule
 * @param abs an absolute path (lowercase for deny rules)
 * @returns whether the rule covers it
 */
export function pathRuleCovers(rule: PathRule, abs: string): boolean {
  if (rule.glob) return rule.glob(abs);
  if (rule.roots.some((r) => isWithin(abs, r))) return true;
  // A path holding glob characters (`~/.ss[h]/id_rsa`) reaches a denied root when a server or shell that
  // expands globs could land inside it: match the path's leading segments, as a glob, against the root. Never
  // for an allowlist: `./s*/x` may also expand outside `./src`, so only a glob below the root (its literal part
  // inside, caught above) is inside it.
  return rule.deny === true && GLOB_CHARS_REGEXP.test(abs) && rule.roots.some((r) => globReaches(abs, r));
}

function globReaches(absGlob: string, root: string): boolean {
  const depth = root === "/" ? 0 : root.split("/").length - 1;
  const segs = absGlob.split("/");
  if (segs.length - 1 < depth) return false;
  const prefix = segs.slice(0, depth + 1).join("/");
  if (!GLOB_CHARS_REGEXP.test(prefix)) return false;
  try {
    return picomatch(prefix, { dot: true, nocase: true, posix: true })(root);
  } catch {
    return true; // an unparseable glob is judged as reaching anything (fail closed)
  }
}

/** True when a policy names a Windows path in any server's path lists. */
function namesWindowsPath(policy: PolicyV1 | PolicyV2): boolean {
  for (const s of Object.values(policy.servers ?? {})) {
    for (const p of [...(s?.allowed_paths ?? []), ...(s?.denied_paths ?? [])]) {
      if (isWindowsRoot(p)) return true;
    }
  }
  return false;
}
