import { canonicalizeCall, type HostRealpath } from "../canonical/mod.ts";
import { attachCallFacts, type CallV2, decide, type Decision } from "../decision/mod.ts";
import type { CompiledPolicy } from "../policy/mod.ts";
import { REDACTED } from "../redact/mod.ts";
import { resolveServerProfile } from "../policy/mod.ts";
import {
  type ExtractedScopes,
  extractScopes,
  matchServerProfile,
  profileTool,
  type ServerProfileDescriptor,
} from "../profiles/mod.ts";
import type {
  ReportScopeKind,
  ReportScopes,
  ReportScopeValue,
  ReportServerScopes,
  ScopeVerdict,
} from "./report_data.ts";

/** Distinct values kept per server and scope kind; more are counted, not listed (bounded memory). */
export const MAX_REPORTED_SCOPE_VALUES = 500;
/** Rule ids kept per value (the first ones seen). */
const MAX_RULE_IDS = 5;
/** Unreadable reasons kept per server. */
const MAX_UNREADABLE = 3;

/** The scope kinds the report lists, in the order it lists them (the policy's `scopes:` key names). */
export const REPORT_SCOPE_KINDS: readonly ReportScopeKind[] = [
  "repos",
  "recipients",
  "recipient_domains",
  "channels",
  "tables",
  "namespaces",
  "kinds",
  "hosts",
];

/** One traced `tools/call` as `decide()` judged it, with the scopes read for that judgement. */
export interface JudgedScopeCall {
  /** Server name. */
  server: string;
  /** Tool name. */
  tool: string;
  /** The server profile the scopes were read with (the one `decide()` used), if any. */
  profile?: string;
  /** What the profile read (undefined: no profile, or the profile does not know the tool). */
  scopes?: ExtractedScopes;
  /** Hosts of the URLs the canonicalizer found in the arguments (judged by `hosts` scopes with or without a profile). */
  urlHosts: string[];
  /** The decision, when a policy was given. */
  decision?: Decision;
  /** The server has scope rules for this tool that a human approval does not bypass (see {@link judgeScopeCall}). */
  constrained: boolean;
}

/** Options for {@link judgeScopeCall}. */
export interface ScopeJudgeOptions {
  /** The policy in force; without it, scopes are read but not judged. */
  compiled?: CompiledPolicy;
  /** Profiles to match when the policy is format 1 or absent (its own `profiles:` first, then the built-ins). */
  profiles: readonly ServerProfileDescriptor[];
  /** What the client config says about each server (its command and arguments), to find its profile. */
  identities?: Readonly<Record<string, { command?: string; args?: readonly string[]; url?: string }>>;
  /** Home for `~`. */
  home: string;
  /** The working folder relative paths resolve against when the trace line does not say. */
  cwd: string;
  /** Symlink resolution (the host's, as `check` and `replay` use). */
  realpath?: HostRealpath;
}

/**
 * Reads the scopes of one traced call and judges it, the way the proxy does: the server's profile as the policy
 * finds it (its `profile:`, the server's command, then its name), the scopes read once with it and handed to
 * `decide()` with the call (so the verdict and the report read the same values), and the URL hosts the
 * canonicalizer found. Pure apart from `realpath`.
 * @param call server, tool, arguments and the server's working folder from the trace line
 * @param opts policy, profiles, identities, home, cwd and realpath
 * @returns the judged call
 */
export function judgeScopeCall(
  call: { server: string; tool: string; arguments: unknown; cwd?: string },
  opts: ScopeJudgeOptions,
): JudgedScopeCall {
  const identity = opts.identities?.[call.server] ?? {};
  const v2 = opts.compiled?.v2;
  const profile = v2
    ? resolveServerProfile(v2, call.server, identity)
    : matchServerProfile(opts.profiles, { name: call.server, ...identity })?.profile;
  const args = call.arguments ?? {};
  const scopes = profile && profileTool(profile, call.tool)
    ? extractScopes(profile, call.tool, args)
    : undefined;
  const canonical: CallV2 = canonicalizeCall(
    {
      server: call.server,
      method: "tools/call",
      tool: call.tool,
      arguments: args as Record<string, unknown>,
    },
    {
      cwd: call.cwd ?? opts.cwd,
      home: opts.home,
      ...(opts.realpath ? { realpath: opts.realpath } : {}),
      ...(opts.compiled?.windows ? { windows: true } : {}),
    },
  );
  attachCallFacts(canonical, { arguments: args });
  // The same profile and the same reading for the verdict: decide() reuses what is attached.
  canonical.profile = profile ?? null;
  if (scopes) canonical.scopes = scopes;
  const urlHosts = [...new Set(canonical.urls.map((u) => u.host.toLowerCase()).filter((h) => h !== ""))]
    .sort();
  const s = v2?.servers.get(call.server);
  const constrained = s !== undefined &&
    (s.scopes !== undefined ||
      s.tools.some((t) => t.scopes !== undefined && (t.key === call.tool || t.key === "*")));
  return {
    server: call.server,
    tool: call.tool,
    ...(profile ? { profile: profile.server } : {}),
    ...(scopes ? { scopes } : {}),
    urlHosts,
    ...(opts.compiled ? { decision: decide(opts.compiled, canonical) } : {}),
    constrained,
  };
}

const SCOPE_RULE_REGEXP = /\.scopes(?:\.([a-z_]+))?$/;

interface ValueAcc {
  calls: number;
  counts: Record<ScopeVerdict, number>;
  ruleIds: string[];
}

interface ServerAcc {
  profile?: string;
  calls: number;
  unreadable: number;
  unreadableExamples: string[];
  kinds: Map<ReportScopeKind, { values: Map<string, ValueAcc>; more: number }>;
}

/**
 * Collects, per server, the repositories, recipients and their domains, channels, tables, namespaces, kinds
 * and hosts the traced calls touched, how many calls named each, and what `decide()` said about them:
 * `allowed` (a scope rule held, or the call needed a human after the scope rules held), `denied` (a scope rule
 * denied the call and named this value), `unconstrained` (no scope rule applies to the call), `undecided`
 * (another rule decided first, or the scope rule denied another value of the same call), `unjudged` (no
 * policy). Nothing is compared here: every verdict is the call's decision. Bounded memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ScopeUseSummarizer } from "./report_scopes.ts";
 * const s = new ScopeUseSummarizer();
 * s.add({
 *   server: "github", tool: "get_issue", profile: "github", urlHosts: [], constrained: true,
 *   scopes: { repos: ["octo/app"], recipients: [], recipientDomains: [], channels: [], tables: [],
 *     namespaces: [], kinds: [], hosts: [], sql: [], unreadable: [] },
 *   decision: { verdict: "allow", ruleIds: ["servers.github.scopes"], reason: "", errors: [] },
 * });
 * assert.equal(s.finish(true).servers[0]!.kinds[0]!.values[0]!.counts.allowed, 1);
 * ```
 */
export class ScopeUseSummarizer {
  #servers = new Map<string, ServerAcc>();

  /**
   * Adds one judged call.
   * @param c the call, from {@link judgeScopeCall}
   */
  add(c: JudgedScopeCall): void {
    let s = this.#servers.get(c.server);
    if (!s) {
      s = { calls: 0, unreadable: 0, unreadableExamples: [], kinds: new Map() };
      this.#servers.set(c.server, s);
    }
    if (c.profile !== undefined) s.profile ??= c.profile;
    s.calls++;
    const x = c.scopes;
    if (x && x.unreadable.length > 0) {
      s.unreadable++;
      if (s.unreadableExamples.length < MAX_UNREADABLE) {
        s.unreadableExamples.push(`${c.tool}: ${x.unreadable[0]}`);
      }
    } else if (!x && c.profile !== undefined) {
      s.unreadable++;
      if (s.unreadableExamples.length < MAX_UNREADABLE) {
        s.unreadableExamples.push(`${c.tool}: profile "${c.profile}" does not know this tool`);
      }
    }
    const lists: Record<ReportScopeKind, readonly string[]> = {
      repos: x?.repos ?? [],
      // A trace keeps an address as `‹redacted›@domain`: its domain is known, the address is not.
      recipients: (x?.recipients ?? []).filter((a) => !a.includes(REDACTED)),
      recipient_domains: x?.recipientDomains ?? [],
      channels: x?.channels ?? [],
      tables: x?.tables ?? [],
      namespaces: x?.namespaces ?? [],
      kinds: x?.kinds ?? [],
      hosts: [...new Set([...(x?.hosts ?? []), ...c.urlHosts])],
    };
    const d = c.decision;
    const scopeIds = d ? d.ruleIds.filter((id) => SCOPE_RULE_REGEXP.test(id)) : [];
    for (const kind of REPORT_SCOPE_KINDS) {
      for (const value of lists[kind]) {
        let verdict: ScopeVerdict;
        let ids: string[];
        if (!d) [verdict, ids] = ["unjudged", []];
        else if (d.verdict === "deny") {
          // The scope rule that denied names the first value outside (`repository "x" is outside repos [...]`);
          // every other value of the call was not reached.
          const named = d.reason.includes(`"${value}" is outside`) ||
            d.reason.includes(`host "${value}" in "`);
          verdict = scopeIds.length > 0 && named ? "denied" : "undecided";
          ids = d.ruleIds.slice(0, 1);
        } else if (scopeIds.length > 0) [verdict, ids] = ["allowed", scopeIds];
        else if (d.verdict === "approve" && c.constrained) {
          [verdict, ids] = ["allowed", d.ruleIds.slice(0, 1)];
        } else [verdict, ids] = ["unconstrained", []];
        this.#count(s, kind, value, verdict, ids);
      }
    }
  }

  #count(s: ServerAcc, kind: ReportScopeKind, value: string, verdict: ScopeVerdict, ids: string[]): void {
    let k = s.kinds.get(kind);
    if (!k) s.kinds.set(kind, k = { values: new Map(), more: 0 });
    let v = k.values.get(value);
    if (!v) {
      if (k.values.size >= MAX_REPORTED_SCOPE_VALUES) {
        k.more++;
        return;
      }
      v = {
        calls: 0,
        counts: { allowed: 0, denied: 0, unconstrained: 0, undecided: 0, unjudged: 0 },
        ruleIds: [],
      };
      k.values.set(value, v);
    }
    v.calls++;
    v.counts[verdict]++;
    for (const id of ids) if (v.ruleIds.length < MAX_RULE_IDS && !v.ruleIds.includes(id)) v.ruleIds.push(id);
  }

  /**
   * The scopes section for everything added so far.
   * @param judged whether a policy judged the calls
   * @returns servers with at least one scope value or unreadable call, most calls first
   */
  finish(judged: boolean): ReportScopes {
    const servers: ReportServerScopes[] = [];
    for (const [server, s] of this.#servers) {
      const kinds = REPORT_SCOPE_KINDS.filter((k) => s.kinds.has(k)).map((kind) => {
        const k = s.kinds.get(kind)!;
        const values: ReportScopeValue[] = [...k.values].map(([value, v]) => ({
          value,
          calls: v.calls,
          verdict: summaryVerdict(v.counts),
          counts: v.counts,
          ruleIds: v.ruleIds,
        })).sort((a, b) => b.calls - a.calls || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
        return { kind, values, more: k.more };
      });
      if (kinds.length === 0 && s.unreadable === 0) continue;
      servers.push({
        server,
        ...(s.profile !== undefined ? { profile: s.profile } : {}),
        calls: s.calls,
        unreadable: s.unreadable,
        unreadableExamples: s.unreadableExamples,
        kinds,
      });
    }
    servers.sort((a, b) => b.calls - a.calls || (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
    return { judged, servers };
  }
}

/**
 * The one word shown for a value: denied wins, then unconstrained (some call reached it with no scope rule: a
 * gap worth seeing even when other calls were held), then allowed, then undecided.
 */
function summaryVerdict(c: Record<ScopeVerdict, number>): ScopeVerdict {
  for (const v of ["denied", "unconstrained", "allowed", "undecided"] as const) if (c[v] > 0) return v;
  return "unjudged";
}
