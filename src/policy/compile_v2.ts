// @ts-types="@types/picomatch"
import picomatch from "picomatch";
import { foldToolName } from "../canonical/mod.ts";
import { compileSafeRegex, type SafeRegex } from "../regex/mod.ts";
import {
  type GuardPackDescriptor,
  matchServerProfile,
  type ServerProfileDescriptor,
  TOOL_CLASS_NAMES,
  type ToolClassName,
} from "../profiles/mod.ts";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";
import { BUILTIN_GUARD_PACKS } from "../../guards/mod.ts";
import { AgentPermsError } from "../errors.ts";
import { editDistance } from "../edit_distance.ts";
import { GUARD_IDS } from "./schema.ts";
import {
  type ArgumentConditionV2,
  type PolicyV2,
  SCOPE_KEYS,
  type ScopeKey,
  type ScopesV2,
  type ServerPolicyV2,
} from "./schema_v2.ts";
// The v1 compiler, reused for path and host conditions so they mean exactly what allowed_paths and
// allowed_hosts mean (same resolution, same index, same guards).
import { type CompiledServer, compilePolicy } from "./compile_policy.ts";

/** A problem in the v2 part of a policy, with the YAML path it points at (for `file:line:col`). */
export interface PolicyV2Issue {
  /** What is wrong. */
  message: string;
  /** Path into the policy document. */
  path: (string | number)[];
}

/** A compiled reach condition (`path` or `host` of an argument): a one-server v1 policy. */
export interface CompiledReach {
  /** The mini server whose allowed/denied paths or hosts are the condition's lists. */
  server: CompiledServer;
  /** True when an `allowed` list was given (else only `denied` judges). */
  hasAllowed: boolean;
}

/** One compiled argument condition. */
export interface CompiledCondition {
  /** The condition as written. */
  source: ArgumentConditionV2;
  /** `glob` matchers. */
  globs?: ((s: string) => boolean)[];
  /** `regex`, compiled with RE2. */
  regex?: SafeRegex;
  /** `prefix` list. */
  prefixes?: string[];
  /** `enum` as strings (values are compared as text, the way a server coerces them). */
  enumSet?: Set<string>;
  /** `path` condition. */
  path?: CompiledReach;
  /** `host` condition. */
  host?: CompiledReach;
  /** `any` item condition. */
  any?: CompiledCondition;
  /** `all` item condition. */
  all?: CompiledCondition;
}

/** One argument's rule: where the argument is and what it must meet. */
export interface CompiledArgumentRule {
  /** Rule id, e.g. `servers.db.tools.query.arguments.sql`; the failed condition is appended. */
  id: string;
  /** The key as written (`sql`, `/options/*`). */
  key: string;
  /** JSON pointer of the argument (`/sql`). */
  pointer: string;
  /** The condition. */
  condition: CompiledCondition;
}

/** Compiled scope lists: one case-insensitive glob set per key. */
export interface CompiledScopes {
  /** Rule id prefix, e.g. `servers.github.scopes` or `servers.github.tools.create_issue.scopes`. */
  id: string;
  /** Matchers per scope key (only the keys written). */
  lists: Partial<Record<ScopeKey, { entries: string[]; match: (v: string) => boolean }>>;
  /** `hosts`, compiled as v1 allowed_hosts (port, IPv4 readings, embedded addresses). */
  hosts?: CompiledServer;
}

/** The rules of one `tools:` entry. */
export interface CompiledToolEntry {
  /** The key as written (`query`, `class:send`, `*`). */
  key: string;
  /** Rule id prefix, `servers.<s>.tools.<key>`. */
  id: string;
  /** How the key matches: a folded tool name, a class, or every tool. */
  match: { kind: "tool"; folded: string } | { kind: "class"; cls: ToolClassName } | { kind: "all" };
  /** Argument rules, in file order. */
  arguments: CompiledArgumentRule[];
  /** Tool scopes. */
  scopes?: CompiledScopes;
  /** SQL mode. */
  sql?: "read_only" | "any";
  /** Classes the policy adds. */
  classes: ToolClassName[];
}

/** A `class:<name>` entry of a tool list (allowed_tools, denied_tools, approvals). */
export interface ClassRule {
  /** Rule id, e.g. `servers.github.denied_tools[2]`. */
  id: string;
  /** The entry as written. */
  entry: string;
  /** The class. */
  cls: ToolClassName;
  /** For approvals: the server part of `server.class:x`; undefined for every server. */
  server?: string;
}

/** One server's v2 rules. */
export interface CompiledServerV2 {
  /** Server name. */
  name: string;
  /** Its profile, from `profile:` or found by the server's name; the proxy may pass a better one. */
  profile?: ServerProfileDescriptor;
  /** How the profile was chosen: pinned by the policy, found from the server's command or URL, or its name. */
  profileBy?: "policy" | "identity" | "name";
  /** Server scopes. */
  scopes?: CompiledScopes;
  /** `tools:` entries in file order. */
  tools: CompiledToolEntry[];
  /** Entries by folded tool name. */
  toolsByName: Map<string, CompiledToolEntry[]>;
  /** `class:` and `*` entries. */
  toolsByClass: CompiledToolEntry[];
  /** `class:` entries of allowed_tools. */
  allowedClasses: ClassRule[];
  /** `class:` entries of denied_tools. */
  deniedClasses: ClassRule[];
  /** True when anything here needs the tool's classes. */
  needsClasses: boolean;
}

/** The v2 part of a compiled policy. Absent for a v1 policy. */
export interface CompiledV2 {
  /** Per server (every server of the policy has an entry). */
  servers: Map<string, CompiledServerV2>;
  /** `class:` entries of the approval list. */
  approvalClasses: ClassRule[];
  /** Guard packs that are on, each with the guard ids switched off. */
  guardPacks: { pack: GuardPackDescriptor; off: Set<string> }[];
  /** Every profile known to the policy: its own (`profiles:`) first, then the built-ins. */
  profiles: readonly ServerProfileDescriptor[];
}

/** Options for {@link compileV2}. */
export interface CompileV2Options {
  /** Directory relative entries resolve against. */
  baseDir: string;
  /** Home directory for `~`. */
  home: string;
  /** Symlink resolution for policy paths. */
  realpath?: (abs: string) => string | undefined;
  /** Profiles loaded from the policy's `profiles:` list and `--profile` (checked before the built-ins). */
  profiles?: readonly ServerProfileDescriptor[];
  /** Guard packs (default: the built-in packs). */
  guardPacks?: readonly GuardPackDescriptor[];
  /**
   * What is known about each server beyond its name (the proxy knows its command and arguments, or its URL):
   * its profile is found by package, command or URL before the name. A `profile:` in the policy still wins.
   */
  identities?: Readonly<Record<string, { command?: string; args?: readonly string[]; url?: string }>>;
}

const CLASS_PREFIX = "class:";

/**
 * Checks what the zod schema cannot: regexes compile in linear time, `class:` names exist, a named profile
 * is known, guard switches name real guards, and numeric ranges are ordered. Every issue carries its YAML path
 * so the parser can point at `file:line:col`.
 * @param policy a v2 policy that passed the schema
 * @param opts profiles and guard packs the policy may name
 * @returns the issues, in file order
 */
export function validateV2(
  policy: PolicyV2,
  opts: Pick<CompileV2Options, "profiles" | "guardPacks"> & { shallow?: boolean } = {},
): PolicyV2Issue[] {
  const out: PolicyV2Issue[] = [];
  const profiles = [...(opts.profiles ?? []), ...BUILTIN_PROFILES];
  const packs = opts.guardPacks ?? BUILTIN_GUARD_PACKS;
  const classOk = (entry: string, path: (string | number)[]) => {
    const at = entry.indexOf(CLASS_PREFIX);
    if (at < 0 || (at > 0 && entry[at - 1] !== ".")) return;
    const name = entry.slice(at + CLASS_PREFIX.length);
    if (!(TOOL_CLASS_NAMES as readonly string[]).includes(name)) {
      const near = nearest(name, TOOL_CLASS_NAMES);
      out.push({
        message: `unknown tool class "${name}" (classes: ${TOOL_CLASS_NAMES.join(", ")})${
          near ? `; did you mean "class:${near}"?` : ""
        }`,
        path,
      });
    }
  };
  const knownGuards = new Set<string>(GUARD_IDS);
  for (const p of packs) {
    knownGuards.add(p.id);
    for (const g of p.guards) knownGuards.add(`${p.id}/${g.id}`);
  }
  for (const k of Object.keys(policy.guards ?? {})) {
    if (!knownGuards.has(k)) {
      const near = nearest(k, [...knownGuards]);
      out.push({
        message: `unknown guard "${k}"${near ? ` (did you mean "${near}"?)` : ""}`,
        path: ["guards", k],
      });
    }
  }
  (policy.approvals?.require_human_approval ?? []).forEach((e, i) =>
    classOk(e, ["approvals", "require_human_approval", i])
  );
  for (const [name, raw] of Object.entries(policy.servers ?? {})) {
    const s = raw ?? {};
    const base = ["servers", name];
    (s.allowed_tools ?? []).forEach((e, i) => classOk(e, [...base, "allowed_tools", i]));
    (s.denied_tools ?? []).forEach((e, i) => classOk(e, [...base, "denied_tools", i]));
    if (s.profile !== undefined && !profiles.some((p) => p.server === s.profile)) {
      const near = nearest(s.profile, profiles.map((p) => p.server));
      out.push({
        message: `unknown server profile "${s.profile}"${near ? ` (did you mean "${near}"?)` : ""}`,
        path: [...base, "profile"],
      });
    }
    for (const [key, t] of Object.entries(s.tools ?? {})) {
      const tp = [...base, "tools", key];
      if (key.startsWith(CLASS_PREFIX)) classOk(key, tp);
      if (opts.shallow) continue;
      for (const [arg, cond] of Object.entries(t.arguments ?? {})) {
        checkCondition(cond, [...tp, "arguments", arg], out);
      }
    }
  }
  return out;
}

// Patterns compiled while validating, reused by the compiler (a policy's patterns are compiled once per load).
const REGEXES = new Map<string, ReturnType<typeof compileSafeRegex>>();
function safeRegex(source: string): ReturnType<typeof compileSafeRegex> {
  let re = REGEXES.get(source);
  if (re === undefined) {
    re = compileSafeRegex(source);
    if (REGEXES.size >= 4096) REGEXES.clear();
    REGEXES.set(source, re);
  }
  return re;
}

function checkCondition(c: ArgumentConditionV2, path: (string | number)[], out: PolicyV2Issue[]): void {
  if (c.regex !== undefined) {
    const re = safeRegex(c.regex);
    if (!re.ok) out.push({ message: `regex ${re.error}`, path: [...path, "regex"] });
  }
  if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
    out.push({ message: `min ${c.min} is above max ${c.max}: no value can pass`, path: [...path, "min"] });
  }
  if (c.required && c.forbidden) {
    out.push({ message: "an argument cannot be both required and forbidden", path: [...path, "forbidden"] });
  }
  for (const g of typeof c.glob === "string" ? [c.glob] : c.glob ?? []) {
    try {
      picomatch.makeRe(g);
    } catch (e) {
      out.push({ message: `glob "${g}" is not valid: ${(e as Error).message}`, path: [...path, "glob"] });
    }
  }
  if (c.any) checkCondition(c.any, [...path, "any"], out);
  if (c.all) checkCondition(c.all, [...path, "all"], out);
}

function nearest(word: string, list: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of list) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Compiles the v2 part of a policy: per-tool argument rules (regexes through RE2, path and host conditions as
 * v1 rules), scopes as case-insensitive glob sets, `class:` entries, profiles and guard packs.
 * @param policy a validated v2 policy
 * @param opts base directory, home, realpath, extra profiles and guard packs
 * @returns the compiled v2 rules
 * @throws {AgentPermsError} `policy_invalid` when {@link validateV2} finds a problem
 */
export function compileV2(policy: PolicyV2, opts: CompileV2Options): CompiledV2 {
  // parsePolicy has run validateV2 with positions; here only what a hand-built policy could still get wrong
  // is checked again (cheap), and regexes are refused when first compiled.
  const issues = validateV2(policy, { ...opts, shallow: true });
  if (issues.length > 0) {
    throw new AgentPermsError(
      "policy_invalid",
      `Cannot compile policy: ${issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const profiles = [...(opts.profiles ?? []), ...BUILTIN_PROFILES];
  const servers = new Map<string, CompiledServerV2>();
  for (const [name, raw] of Object.entries(policy.servers ?? {})) {
    servers.set(name, compileServer(name, raw ?? {}, profiles, opts));
  }
  const approvalClasses: ClassRule[] = [];
  (policy.approvals?.require_human_approval ?? []).forEach((entry, i) => {
    const at = entry.indexOf(CLASS_PREFIX);
    if (at === 0 || (at > 0 && entry[at - 1] === ".")) {
      approvalClasses.push({
        id: `approvals.require_human_approval[${i}]`,
        entry,
        cls: entry.slice(at + CLASS_PREFIX.length) as ToolClassName,
        server: at > 0 ? entry.slice(0, at - 1) : undefined,
      });
    }
  });
  const switches = policy.guards ?? {};
  const guardPacks = (opts.guardPacks ?? BUILTIN_GUARD_PACKS)
    .filter((pack) => switches[pack.id] !== false)
    .map((pack) => ({
      pack,
      off: new Set(pack.guards.filter((g) => switches[`${pack.id}/${g.id}`] === false).map((g) => g.id)),
    }));
  return { servers, approvalClasses, guardPacks, profiles };
}

function compileServer(
  name: string,
  s: ServerPolicyV2,
  profiles: readonly ServerProfileDescriptor[],
  opts: CompileV2Options,
): CompiledServerV2 {
  const base = `servers.${name}`;
  let profile: ServerProfileDescriptor | undefined;
  let profileBy: CompiledServerV2["profileBy"];
  if (s.profile !== undefined) {
    profile = profiles.find((p) => p.server === s.profile);
    profileBy = "policy";
  } else {
    const found = matchServerProfile(profiles, { name, ...opts.identities?.[name] });
    profile = found?.profile;
    if (found) profileBy = found.by === "name" ? "name" : "identity";
  }
  const classRules = (key: string, list: string[] | undefined): ClassRule[] =>
    (list ?? []).flatMap((entry, i) =>
      entry.startsWith(CLASS_PREFIX)
        ? [{ id: `${base}.${key}[${i}]`, entry, cls: entry.slice(CLASS_PREFIX.length) as ToolClassName }]
        : []
    );
  const tools: CompiledToolEntry[] = Object.entries(s.tools ?? {}).map(([key, t]) => {
    const id = `${base}.tools.${key}`;
    const match: CompiledToolEntry["match"] = key === "*"
      ? { kind: "all" }
      : key.startsWith(CLASS_PREFIX)
      ? { kind: "class", cls: key.slice(CLASS_PREFIX.length) as ToolClassName }
      : { kind: "tool", folded: foldToolName(key) };
    return {
      key,
      id,
      match,
      arguments: Object.entries(t.arguments ?? {}).map(([arg, cond]) => ({
        id: `${id}.arguments.${arg}`,
        key: arg,
        pointer: arg.startsWith("/") ? arg : `/${arg.replaceAll("~", "~0").replaceAll("/", "~1")}`,
        condition: compileCondition(cond, opts),
      })),
      scopes: t.scopes ? compileScopes(`${id}.scopes`, t.scopes) : undefined,
      sql: t.sql,
      classes: t.classes ?? [],
    };
  });
  const toolsByName = new Map<string, CompiledToolEntry[]>();
  for (const t of tools) {
    if (t.match.kind !== "tool") continue;
    const l = toolsByName.get(t.match.folded);
    if (l) l.push(t);
    else toolsByName.set(t.match.folded, [t]);
  }
  const toolsByClass = tools.filter((t) => t.match.kind !== "tool");
  const allowedClasses = classRules("allowed_tools", s.allowed_tools);
  const deniedClasses = classRules("denied_tools", s.denied_tools);
  return {
    name,
    profile,
    profileBy,
    scopes: s.scopes ? compileScopes(`${base}.scopes`, s.scopes) : undefined,
    tools,
    toolsByName,
    toolsByClass,
    allowedClasses,
    deniedClasses,
    needsClasses: allowedClasses.length > 0 || deniedClasses.length > 0 ||
      toolsByClass.some((t) => t.match.kind === "class"),
  };
}

function compileCondition(c: ArgumentConditionV2, opts: CompileV2Options): CompiledCondition {
  const out: CompiledCondition = { source: c };
  const list = (
    v: string | string[] | undefined,
  ) => (v === undefined ? undefined : typeof v === "string" ? [v] : v);
  const globs = list(c.glob);
  if (globs) out.globs = globs.map((g) => lazy(() => picomatch(g, { dot: true })));
  if (c.regex !== undefined) {
    const re = safeRegex(c.regex);
    if (!re.ok) throw new AgentPermsError("policy_invalid", `regex ${re.error}`);
    out.regex = re;
  }
  out.prefixes = list(c.prefix);
  if (c.enum) out.enumSet = new Set(c.enum.map(String));
  if (c.path) out.path = compileReach("path", c.path, opts);
  if (c.host) out.host = compileReach("host", c.host, opts);
  if (c.any) out.any = compileCondition(c.any, opts);
  if (c.all) out.all = compileCondition(c.all, opts);
  return out;
}

function compileReach(
  kind: "path" | "host",
  r: { allowed?: string[]; denied?: string[] },
  opts: CompileV2Options,
): CompiledReach {
  const rules = kind === "path"
    ? { allowed_paths: r.allowed, denied_paths: r.denied }
    : { allowed_hosts: r.allowed, denied_hosts: r.denied };
  // Compiled on first use: a large policy's conditions are mostly never reached by a given run, and resolving
  // their paths (realpath included) is most of the cost of compiling them. Same answer either way.
  let server: CompiledServer | undefined;
  return {
    get server() {
      return server ??= compilePolicy({ version: 1, servers: { c: rules } }, {
        baseDir: opts.baseDir,
        home: opts.home,
        realpath: opts.realpath,
      }).servers.get("c")!;
    },
    hasAllowed: r.allowed !== undefined,
  };
}

/** A matcher compiled on its first call. */
function lazy(make: () => (s: string) => boolean): (s: string) => boolean {
  let m: ((s: string) => boolean) | undefined;
  return (s) => (m ??= make())(s);
}

function compileScopes(id: string, s: ScopesV2): CompiledScopes {
  const lists: CompiledScopes["lists"] = {};
  for (const key of SCOPE_KEYS) {
    const entries = s[key];
    if (entries === undefined) continue;
    if (key === "hosts") continue;
    const ms = entries.map((e) => lazy(() => picomatch(e.toLowerCase(), { dot: true, nocase: true })));
    lists[key] = { entries, match: (v) => ms.some((m) => m(v)) };
  }
  const out: CompiledScopes = { id, lists };
  if (s.hosts) {
    out.hosts = compilePolicy({ version: 1, servers: { c: { allowed_hosts: s.hosts } } }, {
      baseDir: "/",
      home: "/",
    }).servers.get("c")!;
    const hostMatch = s.hosts.map((e) => lazy(() => picomatch(e.toLowerCase(), { dot: true, nocase: true })));
    lists.hosts = { entries: s.hosts, match: (v) => hostMatch.some((m) => m(v)) };
  }
  return out;
}

/**
 * Finds the profile of a configured server as the policy sees it: the server's `profile:` key, then its
 * command, packages or URL, then its name (policy profiles first, then the built-ins).
 * @param v2 the compiled v2 rules
 * @param server the server's policy name
 * @param identity what is known about the server (from the client config or the proxy's command line)
 * @returns the profile, or undefined when none matches
 */
export function resolveServerProfile(
  v2: CompiledV2,
  server: string,
  identity: { command?: string; args?: readonly string[]; url?: string } = {},
): ServerProfileDescriptor | undefined {
  const s = v2.servers.get(server);
  if (s?.profileBy === "policy") return s.profile;
  return matchServerProfile(v2.profiles, { name: server, ...identity })?.profile ?? s?.profile;
}
