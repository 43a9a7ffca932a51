import { canonicalizeCall, type CanonicalizeOptions, rawCallArguments, rawCallOf } from "../canonical/mod.ts";
import { decide, type Decision, type Verdict } from "../decision/mod.ts";
// Session rules are not exported by decision/mod.ts and policy/mod.ts yet (#18 item 7): the files directly.
import {
  advanceSession,
  newSessionState,
  sessionCallOf,
  type SessionState,
  sessionVerdict,
} from "../decision/session_rules.ts";
import type { SessionRule } from "../policy/session_rules_schema.ts";
import { matchServerProfile, type ServerProfileDescriptor } from "../profiles/mod.ts";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";
import { AgentPermsError } from "../errors.ts";
import type { CompiledPolicy } from "../policy/mod.ts";
import {
  type Attack,
  type AttackCall,
  type AttackPackDescriptor,
  expandWithMutators,
  mutatorsById,
} from "../plugins/mod.ts";

/** Options for {@link replayPack}. */
export interface ReplayOptions {
  /** Directory relative paths in calls resolve against (the server's cwd); also `{{cwd}}`. */
  cwd: string;
  /** Home directory for `~`, `$HOME`, `{{home}}` and `{{user}}`. */
  home: string;
  /** Pack server name → policy server name (`--server-map pack=policy`). */
  serverMap?: Readonly<Record<string, string>>;
  /** Symlink resolution for call paths; omit for a filesystem-free replay. */
  realpath?: (abs: string) => string | undefined;
  /**
   * The policy's session rules: a multi-call attack's earlier calls (`before`) arm them, and its last call is
   * judged with the state they left. Without them each call is judged alone.
   */
  sessionRules?: readonly SessionRule[];
  /** Server profiles for session rules (scopes, untrusted tools), matched by server name (default: built-in). */
  profiles?: readonly ServerProfileDescriptor[];
}

/** The outcome of one attack or control. */
export interface ReplayResult {
  /** `<pack>/<attack>`. */
  id: string;
  /** Pack id. */
  pack: string;
  /** Attack id within the pack. */
  attack: string;
  /** Attack title. */
  title: string;
  /** Attack severity. */
  severity: Attack["severity"];
  /** Evasion class, when the attack is a variant. */
  evasion?: string;
  /** What the pack expects. */
  expect: "block" | "allow";
  /** The server the call was judged for (after `serverMap`). */
  server: string;
  /** The server as the pack names it. */
  packServer: string;
  /** Tool name, for tools/call. */
  tool?: string;
  /** JSON-RPC method. */
  method: string;
  /** The decision's verdict. */
  verdict: Verdict;
  /** Denied or routed to human approval. */
  blocked: boolean;
  /** The verdict met the expectation. */
  passed: boolean;
  /** The decision's rule ids. */
  ruleIds: string[];
  /** The decision's reason. */
  reason: string;
  /** Blocked only because the policy does not list the server (proves nothing about that server). */
  unknownServer: boolean;
  /** Calls judged before this one in the same session (a multi-call attack). */
  before?: number;
}

/**
 * Expands the attacks that name `mutators` (data packs use this) into their evasion variants.
 * @param pack a validated pack
 * @returns the attacks to replay
 * @throws {AgentPermsError} `plugin_invalid` for an unknown mutator or a variant id that collides
 */
export function expandPack(pack: AttackPackDescriptor): Attack[] {
  const out: Attack[] = [];
  for (const a of pack.attacks) {
    if (!a.mutators?.length) {
      out.push(a);
      continue;
    }
    const { mutators, unknown } = mutatorsById(a.mutators);
    if (unknown.length) {
      throw new AgentPermsError(
        "plugin_invalid",
        `Attack "${pack.id}/${a.id}" names unknown mutator(s): ${unknown.map((u) => `"${u}"`).join(", ")}`,
      );
    }
    out.push(...expandWithMutators(a, mutators));
  }
  const seen = new Set<string>();
  for (const a of out) {
    if (seen.has(a.id)) {
      throw new AgentPermsError(
        "plugin_invalid",
        `Attack pack "${pack.id}" has duplicate attack id "${a.id}" after mutator expansion`,
      );
    }
    seen.add(a.id);
  }
  return out;
}

/**
 * Fills `{{home}}`, `{{user}}` (the last segment of home) and `{{cwd}}` into every string of a call (packs
 * cannot know them in advance).
 * @param call the pack's call
 * @param opts home and cwd
 * @returns a copy with the placeholders replaced
 */
export function fillPlaceholders(call: AttackCall, opts: { home: string; cwd: string }): AttackCall {
  const home = opts.home.replace(/\/+$/, "");
  const cwd = opts.cwd.replace(/\/+$/, "");
  const user = home.slice(home.lastIndexOf("/") + 1);
  const text = (s: string) =>
    s.replaceAll("{{home}}", home).replaceAll("{{user}}", user).replaceAll("{{cwd}}", cwd);
  const fill = (v: unknown): unknown => {
    if (typeof v === "string") return text(v);
    if (Array.isArray(v)) return v.map(fill);
    if (v !== null && typeof v === "object") {
      // Keys too: a path can be an object key (`{"files": {"{{home}}/.bashrc": …}}`).
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), fill(x)]));
    }
    return v;
  };
  return fill(call) as AttackCall;
}

/**
 * Replays a pack against a compiled policy, offline: each call is canonicalized and judged by `decide()`,
 * the same function the proxy uses. A call counts as blocked when it is denied or needs approval.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compilePolicy, parsePolicy } from "../policy/mod.ts";
 * import { BUILTIN_PACKS, replayPack } from "./mod.ts";
 * const { policy } = parsePolicy("version: 1\nservers:\n  filesystem:\n    denied_paths: [~/.ssh]\n", { file: "p.yaml" });
 * const compiled = compilePolicy(policy, { baseDir: "/proj", home: "/home/me" });
 * const original = BUILTIN_PACKS.find((p) => p.id === "original")!;
 * const results = replayPack(compiled, original, { cwd: "/proj", home: "/home/me" });
 * assert.equal(results.find((r) => r.attack === "ssh-key-exfil")?.blocked, true);
 * ```
 * @param policy a compiled policy
 * @param pack a validated pack
 * @param opts cwd, home, server map and realpath
 * @returns one result per attack (after mutator expansion), in pack order
 * @throws {AgentPermsError} `plugin_invalid` for an unknown mutator or duplicate expanded ids
 */
export function replayPack(
  policy: CompiledPolicy,
  pack: AttackPackDescriptor,
  opts: ReplayOptions,
): ReplayResult[] {
  const copts = {
    cwd: opts.cwd,
    home: opts.home,
    realpath: opts.realpath,
    ...(policy.windows ? { windows: true } : {}),
  };
  const session = new ReplaySession(policy, opts, copts);
  return expandPack(pack).map((a) => {
    session.reset();
    for (const b of a.before ?? []) session.judge(fillPlaceholders(b, opts));
    const call = fillPlaceholders(a.call, opts);
    const server = opts.serverMap?.[call.server] ?? call.server;
    const d = session.judge(call);
    const blocked = d.verdict !== "allow";
    const result: ReplayResult = {
      id: `${pack.id}/${a.id}`,
      pack: pack.id,
      attack: a.id,
      title: a.title,
      severity: a.severity,
      expect: a.expect,
      server,
      packServer: call.server,
      tool: call.tool,
      method: call.method ?? "tools/call",
      verdict: d.verdict,
      blocked,
      passed: a.expect === "block" ? blocked : !blocked,
      ruleIds: d.ruleIds,
      reason: d.reason,
      unknownServer: d.ruleIds.length === 1 && d.ruleIds[0] === "unknown-server",
    };
    if (a.evasion !== undefined) result.evasion = a.evasion;
    if (a.before?.length) result.before = a.before.length;
    return result;
  });
}

/**
 * One replayed session: each call is canonicalized, judged by `decide()`, then by the armed session rules;
 * a call that is not denied counts as answered (for an attack, a human who approves lets it continue).
 */
class ReplaySession {
  #state: SessionState = newSessionState();
  readonly #rules: readonly SessionRule[];
  readonly #profiles: readonly ServerProfileDescriptor[];

  constructor(
    readonly policy: CompiledPolicy,
    readonly opts: ReplayOptions,
    readonly copts: CanonicalizeOptions,
  ) {
    this.#rules = opts.sessionRules ?? [];
    this.#profiles = opts.profiles ?? BUILTIN_PROFILES;
  }

  reset(): void {
    this.#state = newSessionState();
  }

  judge(call: AttackCall): Decision {
    const server = this.opts.serverMap?.[call.server] ?? call.server;
    // An attack's call is the one raw call shape check reads too.
    const raw = rawCallOf({ ...call, server });
    const canonical = canonicalizeCall(raw, this.copts);
    // Format 2 rules read the arguments themselves (argument rules, scopes, SQL).
    if (canonical.method === "tools/call") {
      (canonical as { arguments?: unknown }).arguments ??= rawCallArguments(raw) ?? {};
    }
    const base = decide(this.policy, canonical);
    if (this.#rules.length === 0) return base;
    const profile = matchServerProfile(this.#profiles, { name: server })?.profile;
    const sc = sessionCallOf(canonical, { arguments: call.arguments ?? {}, profile });
    const d = sessionVerdict(this.#rules, this.#state, sc, base);
    this.#state = advanceSession(this.#rules, this.#state, sc, d.verdict === "deny" ? "blocked" : "answered");
    return d;
  }
}
