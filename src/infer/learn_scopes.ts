import {
  classifyTool,
  extractScopes,
  matchServerProfile,
  profileTool,
  type ServerProfileDescriptor,
  type ToolClassName,
} from "../profiles/mod.ts";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";
import { type SessionCall, sessionScopesOf } from "../decision/session_rules.ts";
import type { ToolAnnotations } from "../profiles/mod.ts";

/** The scope kinds `infer` writes (format 2 `scopes:` keys); hosts are learned as allowed_hosts. */
export const LEARNED_SCOPE_KINDS = [
  "repos",
  "recipient_domains",
  "channels",
  "tables",
  "namespaces",
] as const;
/** One learned scope kind. */
export type LearnedScopeKind = typeof LEARNED_SCOPE_KINDS[number];

/** What the traces showed about one server's scopes, SQL and classes. */
export interface LearnedScopes {
  /** The server profile matched by the server's name (scopes are read through it), if any. */
  profile?: string;
  /** Scope values used by learned calls, with call counts. */
  values: Record<LearnedScopeKind, Map<string, number>>;
  /**
   * Why a server-wide `scopes:` block cannot be written (a learned call to a tool the profile does not know,
   * or a value it could not read): such a block would deny that call. The first reason, with its call.
   */
  blocked?: string;
  /** Kinds whose values cannot be written as they are (glob characters, or `*` = "every table"). */
  unsafe: Map<LearnedScopeKind, string>;
  /** Per tool that ran SQL: statements that only read, and those that did not (with one example problem). */
  sql: Map<string, { reads: number; other: number; example?: string }>;
  /** Per class, the tools of that class that were used (profile, name and annotations). */
  classes: Map<ToolClassName, Set<string>>;
}

const GLOB_CHARS_REGEXP = /[*?[\]{}()!+@|\\]/;

/**
 * Learns, from the calls `infer` learned, the format 2 facts of each server: the repositories, recipients'
 * domains, channels, tables and namespaces they touched (read with the server profile matched by the server's
 * name), whether each SQL tool only ever read, and which tool classes were used. It also describes each call for
 * session rules. Pure: nothing but the values given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ScopeLearner } from "./learn_scopes.ts";
 * const l = new ScopeLearner();
 * l.observe("github", "get_issue", { owner: "Acme", repo: "App", issue_number: 1 });
 * assert.deepEqual([...l.servers.get("github")!.values.repos.keys()], ["acme/app"]);
 * ```
 */
export class ScopeLearner {
  /** Observations per server. */
  readonly servers: Map<string, LearnedScopes> = new Map();
  readonly #profiles: readonly ServerProfileDescriptor[];
  readonly #profileOf = new Map<string, ServerProfileDescriptor | undefined>();

  /** @param opts server profiles (default: the built-in ones) */
  constructor(opts: { profiles?: readonly ServerProfileDescriptor[] } = {}) {
    this.#profiles = opts.profiles ?? BUILTIN_PROFILES;
  }

  /**
   * The profile a server name matches (what `decide()` uses when the policy names none).
   * @param server the server's name
   * @returns the profile, or undefined
   */
  profileOf(server: string): ServerProfileDescriptor | undefined {
    if (!this.#profileOf.has(server)) {
      this.#profileOf.set(server, matchServerProfile(this.#profiles, { name: server })?.profile);
    }
    return this.#profileOf.get(server);
  }

  /**
   * Adds one learned `tools/call` and describes it for session rules.
   * @param server server name
   * @param tool tool name
   * @param args its arguments
   * @param more the tool's annotations (from a recorded tools/list) and the hosts the call reached
   * @returns the call as session rules see it
   */
  observe(
    server: string,
    tool: string,
    args: unknown,
    more: { annotations?: ToolAnnotations; hosts?: readonly string[] } = {},
  ): SessionCall {
    const s = this.#server(server);
    const profile = this.profileOf(server);
    const found = profile ? profileTool(profile, tool) : undefined;
    const classes = classifyTool({
      name: tool,
      annotations: more.annotations,
      profileClasses: found?.entry.classes,
    });
    for (const c of classes) {
      let set = s.classes.get(c);
      if (!set) s.classes.set(c, set = new Set());
      set.add(tool);
    }
    const hosts = new Set((more.hosts ?? []).map((h) => h.toLowerCase()));
    let scopes: SessionCall["scopes"];
    if (!profile) {
      s.blocked ??= "no server profile matches the server's name";
    } else if (!found) {
      s.blocked ??= `profile "${profile.server}" does not know tool "${tool}"`;
    } else {
      const x = extractScopes(profile, tool, args ?? {});
      x.hosts.forEach((h) => hosts.add(h));
      scopes = sessionScopesOf(x);
      if (!scopes) s.blocked ??= `${tool}: ${x.unreadable[0]}`;
      const lists: Record<LearnedScopeKind, string[]> = {
        repos: x.repos,
        recipient_domains: x.recipientDomains,
        channels: x.channels,
        tables: x.tables,
        namespaces: x.namespaces,
      };
      for (const k of LEARNED_SCOPE_KINDS) {
        for (const v of lists[k]) {
          if (GLOB_CHARS_REGEXP.test(v) && !s.unsafe.has(k)) {
            s.unsafe.set(k, `${tool} used ${JSON.stringify(v)}, which a scope entry would read as a glob`);
          }
          s.values[k].set(v, (s.values[k].get(v) ?? 0) + 1);
        }
      }
      for (const f of x.sql) {
        let q = s.sql.get(tool);
        if (!q) s.sql.set(tool, q = { reads: 0, other: 0 });
        if (f.readOnly) q.reads++;
        else {
          q.other++;
          q.example ??= f.problems[0] ?? "not one read-only statement";
        }
      }
    }
    return {
      server,
      tool,
      classes: [...classes].sort(),
      hosts: [...hosts].sort(),
      ...(scopes ? { scopes } : {}),
      ...(found?.entry.untrusted ? { untrusted: true } : {}),
      ...(more.annotations?.openWorldHint === true ? { openWorld: true } : {}),
    };
  }

  #server(name: string): LearnedScopes {
    let s = this.servers.get(name);
    if (!s) {
      s = {
        values: {
          repos: new Map(),
          recipient_domains: new Map(),
          channels: new Map(),
          tables: new Map(),
          namespaces: new Map(),
        },
        unsafe: new Map(),
        sql: new Map(),
        classes: new Map(),
      };
      const p = this.profileOf(name);
      if (p) s.profile = p.server;
      this.servers.set(name, s);
    }
    return s;
  }
}
