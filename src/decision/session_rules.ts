import type { CanonicalCall } from "../canonical/mod.ts";
import {
  classifyTool,
  type ExtractedScopes,
  extractScopes,
  globToRegExp,
  profileTool,
  type ServerProfileDescriptor,
  type ToolClassName,
} from "../profiles/mod.ts";
// The schema file, not policy/mod.ts: the policy folder's mod.ts does not export it yet (see the report of #18).
import type { SessionRule } from "../policy/session_rules_schema.ts";
import type { Decision } from "./types.ts";

/** The scopes a session rule compares, by kind (lowercase values, as `extractScopes` reads them). */
export interface SessionScopes {
  /** `owner/name` (or `host/path`). */
  repos?: readonly string[];
  /** Domains of mail and message recipients. */
  recipientDomains?: readonly string[];
  /** Chat channels. */
  channels?: readonly string[];
  /** SQL tables. */
  tables?: readonly string[];
  /** Kubernetes namespaces. */
  namespaces?: readonly string[];
}

/** What session rules read from one call: plain data, computed once per call by {@link sessionCallOf}. */
export interface SessionCall {
  /** Server name in the policy. */
  server: string;
  /** Tool name (for `tools/call`) or the method (`resources/read`). */
  tool: string;
  /** The tool's classes (profile, name and annotations: they only ever add). */
  classes: readonly ToolClassName[];
  /** Hosts the call reaches (lowercase). */
  hosts: readonly string[];
  /** Its scopes; undefined when they cannot be read (no profile, a tool it does not know, an unreadable value). */
  scopes?: SessionScopes;
  /** The server profile says the tool's result is content from outside the user's control. */
  untrusted?: boolean;
  /** The tool's annotations say `openWorldHint: true`. */
  openWorld?: boolean;
}

/** Why a rule armed: the call that brought untrusted content in, and what the session knew at that moment. */
export interface ArmedRule {
  /** `server.tool` of the call that armed it. */
  source: string;
  /** What matched (`untrusted`, `open world`, `class network`, `listed tool`). */
  because: string;
  /** Scope values (`repos:acme/app`) the session had seen up to and including that call, sorted. */
  scopes: string[];
  /** Hosts the session had seen up to and including that call, sorted. */
  hosts: string[];
}

/** A session's state: plain data (JSON-safe), changed only by {@link advanceSession}. */
export interface SessionState {
  /** Format version of this object. */
  v: 1;
  /** Armed rules by rule id (`session_rules[0]/untrusted-then-send`). */
  armed: Record<string, ArmedRule>;
  /** Scope values seen in answered calls (`repos:acme/app`), sorted, at most {@link MAX_SESSION_VALUES}. */
  scopes: string[];
  /** Hosts seen in answered calls, sorted, at most {@link MAX_SESSION_VALUES}. */
  hosts: string[];
  /** Answered calls so far. */
  calls: number;
}

/** Scope values and hosts a session remembers; beyond that, new ones count as unseen (stricter, never looser). */
export const MAX_SESSION_VALUES = 10_000;

/**
 * A new session: nothing seen, nothing armed.
 * @returns the empty state
 */
export function newSessionState(): SessionState {
  return { v: 1, armed: {}, scopes: [], hosts: [], calls: 0 };
}

/** How a call ended, for {@link advanceSession}: only an answered call can have brought content in. */
export type SessionOutcome = "answered" | "blocked";

interface CompiledRule {
  id: string;
  rule: SessionRule;
  afterTools: RegExp[];
  thenTools: RegExp[];
}

const COMPILED = new WeakMap<readonly SessionRule[], CompiledRule[]>();

function compiled(rules: readonly SessionRule[]): CompiledRule[] {
  let c = COMPILED.get(rules);
  if (c === undefined) {
    c = rules.map((rule, i) => ({
      id: `session_rules[${i}]/${rule.id}`,
      rule,
      afterTools: (rule.after.tools ?? []).map((t) => globToRegExp(t.toLowerCase())),
      thenTools: (rule.then.tools ?? []).map((t) => globToRegExp(t.toLowerCase())),
    }));
    COMPILED.set(rules, c);
  }
  return c;
}

const SCOPE_KINDS = ["repos", "recipientDomains", "channels", "tables", "namespaces"] as const;
const SCOPE_WORDS: Record<typeof SCOPE_KINDS[number], string> = {
  repos: "repository",
  recipientDomains: "recipient domain",
  channels: "channel",
  tables: "table",
  namespaces: "namespace",
};

function scopeValues(s: SessionScopes): string[] {
  const out: string[] = [];
  for (const k of SCOPE_KINDS) for (const v of s[k] ?? []) out.push(`${k}:${v.toLowerCase()}`);
  return out;
}

const named = (call: SessionCall) => `${call.server}.${call.tool}`;

function armedBy(c: CompiledRule, call: SessionCall): string | undefined {
  const a = c.rule.after;
  if (a.untrusted && call.untrusted) return "its server profile marks its result untrusted";
  if (a.open_world && call.openWorld) return "its annotations say openWorldHint";
  const cls = a.classes?.find((x) => call.classes.includes(x));
  if (cls !== undefined) return `it is of class "${cls}"`;
  const name = named(call).toLowerCase();
  if (c.afterTools.some((re) => re.test(name))) return "the rule lists it";
  return undefined;
}

/** Which part of `then` caught the call, as a phrase for the reason ("sending mail or messages with …"). */
function caught(c: CompiledRule, armed: ArmedRule, call: SessionCall): string | undefined {
  const t = c.rule.then;
  const cls = t.classes?.find((x) => call.classes.includes(x));
  if (cls !== undefined) return `${ACTION[cls]} with ${named(call)} (class ${cls})`;
  const name = named(call).toLowerCase();
  if (c.thenTools.some((re) => re.test(name))) return `calling ${named(call)} (the rule lists it)`;
  const os = t.other_scope?.find((x) => call.classes.includes(x));
  if (os !== undefined) {
    if (call.scopes === undefined) return `${ACTION[os]} with ${named(call)} (its scopes cannot be read)`;
    const known = setOf(armed.scopes);
    for (const k of SCOPE_KINDS) {
      const v = (call.scopes[k] ?? []).find((x) => !known.has(`${k}:${x.toLowerCase()}`));
      if (v !== undefined) {
        return `${ACTION[os]} with ${named(call)} on ${
          SCOPE_WORDS[k]
        } "${v}" (not touched before in this session)`;
      }
    }
  }
  const nh = t.new_host?.find((x) => call.classes.includes(x));
  if (nh !== undefined) {
    const known = setOf(armed.hosts);
    const h = call.hosts.find((x) => !known.has(x.toLowerCase()));
    if (h !== undefined) {
      return `${ACTION[nh]} with ${named(call)} to host "${h}" (not reached before in this session)`;
    }
  }
  return undefined;
}

const ACTION: Record<ToolClassName, string> = {
  read: "reading",
  write: "writing",
  delete: "deleting",
  exec: "running commands",
  send: "sending mail or messages",
  network: "reaching the network",
  admin: "changing settings or access",
};

/**
 * Judges a call against the session rules armed so far. Pure. Session rules only tighten: a deny stays a deny,
 * an allow becomes approve or deny when an armed rule catches the call, and an approve becomes deny only for a
 * `deny` rule. The strictest armed rule wins (deny over approve, then file order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { advanceSession, newSessionState, sessionVerdict } from "./session_rules.ts";
 * const rules = [{ id: "untrusted-then-send", after: { untrusted: true }, then: { classes: ["send" as const] }, verdict: "approve" as const }];
 * const issue = { server: "github", tool: "get_issue", classes: ["read" as const], hosts: [], untrusted: true };
 * const mail = { server: "gmail", tool: "send_email", classes: ["send" as const], hosts: [] };
 * const allow = { verdict: "allow" as const, ruleIds: ["servers.gmail"], reason: "ok", errors: [] };
 * const s = advanceSession(rules, newSessionState(), issue, "answered");
 * assert.equal(sessionVerdict(rules, s, mail, allow).verdict, "approve");
 * ```
 * @param rules the policy's session rules (validated)
 * @param state the session's state
 * @param call the call, as {@link sessionCallOf} describes it
 * @param base the decision of `decide()`
 * @returns `base`, or a stricter decision naming the session rule
 */
export function sessionVerdict(
  rules: readonly SessionRule[],
  state: SessionState,
  call: SessionCall,
  base: Decision,
): Decision {
  if (base.verdict === "deny" || rules.length === 0) return base;
  let hit: { c: CompiledRule; armed: ArmedRule; what: string } | undefined;
  for (const c of compiled(rules)) {
    const armed = state.armed[c.id];
    if (armed === undefined) continue;
    if (c.rule.verdict === "approve" && base.verdict === "approve") continue; // nothing to tighten
    if (hit !== undefined && (hit.c.rule.verdict === "deny" || c.rule.verdict !== "deny")) continue;
    const what = caught(c, armed, call);
    if (what !== undefined) hit = { c, armed, what };
  }
  if (hit === undefined) return base;
  const { c, armed, what } = hit;
  const verdict = c.rule.verdict;
  const now = verdict === "deny" ? "is denied" : "needs approval";
  return {
    verdict,
    ruleIds: [c.id, ...base.ruleIds],
    reason:
      `${armed.source} returned untrusted content earlier in this session (${armed.because}); ${what} now ${now} (session rule "${c.rule.id}")`,
    errors: base.errors,
  };
}

/**
 * The state after a call: an answered call adds its scopes and hosts to what the session has seen, and arms
 * every rule whose `after` it matches (remembering what the session knew at that moment). A blocked call
 * brought nothing in and changes nothing. Pure: returns a new state.
 * @param rules the policy's session rules (validated)
 * @param state the state before the call
 * @param call the call, as {@link sessionCallOf} describes it
 * @param outcome `answered` (the server's answer came back) or `blocked`
 * @returns the new state
 */
export function advanceSession(
  rules: readonly SessionRule[],
  state: SessionState,
  call: SessionCall,
  outcome: SessionOutcome,
): SessionState {
  if (outcome !== "answered") return state;
  const scopes = merged(state.scopes, call.scopes ? scopeValues(call.scopes) : []);
  const hosts = merged(state.hosts, call.hosts.map((h) => h.toLowerCase()));
  let armed = state.armed;
  for (const c of compiled(rules)) {
    if (armed[c.id] !== undefined) continue;
    const because = armedBy(c, call);
    if (because === undefined) continue;
    armed = { ...armed, [c.id]: { source: named(call), because, scopes, hosts } };
  }
  return { v: 1, armed, scopes, hosts, calls: state.calls + 1 };
}

// The state's lists never change once made (advanceSession makes new ones), so their sets can be kept.
const SETS = new WeakMap<readonly string[], ReadonlySet<string>>();
function setOf(list: readonly string[]): ReadonlySet<string> {
  let s = SETS.get(list);
  if (s === undefined) SETS.set(list, s = new Set(list));
  return s;
}

function merged(have: string[], add: readonly string[]): string[] {
  const known = setOf(have);
  if (add.every((x) => known.has(x))) return have;
  const out = new Set(have);
  for (const x of add) if (out.size < MAX_SESSION_VALUES) out.add(x);
  return [...out].sort();
}

/**
 * The scopes session rules compare, from what a profile read of a call; undefined when some could not be read.
 * @param x the extracted scopes
 * @returns the session scopes, or undefined
 */
export function sessionScopesOf(x: ExtractedScopes): SessionScopes | undefined {
  if (x.unreadable.length > 0) return undefined;
  return {
    repos: x.repos,
    recipientDomains: x.recipientDomains,
    channels: x.channels,
    tables: x.tables,
    namespaces: x.namespaces,
  };
}

/** What {@link sessionCallOf} needs besides the canonical call. */
export interface SessionCallFacts {
  /** The call's arguments as sent. */
  arguments?: unknown;
  /** The server's profile (null or undefined: none). */
  profile?: ServerProfileDescriptor | null;
  /** The tool's MCP annotations from `tools/list`. */
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean; openWorldHint?: boolean };
  /** Classes the policy adds to the tool. */
  classes?: readonly ToolClassName[];
}

/**
 * Describes a canonical call for session rules: its classes (profile, name, annotations), hosts (every URL the
 * canonicalizer found and every host the profile reads), scopes (through the profile; undefined when they
 * cannot be read) and whether its result is untrusted. Pure. A method other than `tools/call` counts as a read
 * (and a network read when it names a URL).
 * @param call the canonical call
 * @param facts arguments, profile, annotations
 * @returns the session call
 */
export function sessionCallOf(call: CanonicalCall, facts: SessionCallFacts = {}): SessionCall {
  const hosts = new Set(call.urls.map((u) => u.host.toLowerCase()));
  const profile = facts.profile ?? undefined;
  if (call.method !== "tools/call" || call.tool === undefined) {
    return {
      server: call.server,
      tool: call.tool ?? call.method,
      classes: hosts.size > 0 ? ["read", "network"] : ["read"],
      hosts: [...hosts].sort(),
    };
  }
  const found = profile ? profileTool(profile, call.tool) : undefined;
  const classes = classifyTool({
    name: call.tool,
    annotations: facts.annotations,
    profileClasses: [...(found?.entry.classes ?? []), ...(facts.classes ?? [])],
  });
  let scopes: SessionScopes | undefined;
  if (profile && found) {
    const x: ExtractedScopes = extractScopes(profile, call.tool, facts.arguments ?? {});
    for (const h of x.hosts) hosts.add(h);
    scopes = sessionScopesOf(x);
  }
  return {
    server: call.server,
    tool: call.tool,
    classes: [...classes].sort(),
    hosts: [...hosts].sort(),
    ...(scopes ? { scopes } : {}),
    ...(found?.entry.untrusted ? { untrusted: true } : {}),
    ...(facts.annotations?.openWorldHint === true ? { openWorld: true } : {}),
  };
}
