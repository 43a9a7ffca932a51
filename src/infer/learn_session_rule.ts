import {
  advanceSession,
  newSessionState,
  type SessionCall,
  type SessionState,
  sessionVerdict,
} from "../decision/session_rules.ts";
import type { SessionRule } from "../policy/session_rules_schema.ts";

/**
 * The session rule `infer` writes (and docs/policy.md ships first): after untrusted content (a tool its profile
 * marks untrusted, an open-world tool, a network read), sending, writing to a scope the session had not touched,
 * or reaching a new host needs a human.
 */
export const UNTRUSTED_THEN_SEND: SessionRule = Object.freeze({
  id: "untrusted-then-send",
  description: "after untrusted content, sending, writing elsewhere or reaching a new host needs a human",
  after: { untrusted: true, open_world: true, classes: ["network"] },
  then: { classes: ["send"], other_scope: ["write", "delete"], new_host: ["network"] },
  verdict: "approve",
}) as SessionRule;

/** What {@link SessionRuleLearner} found. */
export interface SessionRuleEvidence {
  /** The rule considered. */
  rule: SessionRule;
  /** Sessions in which the rule armed (untrusted content came in). */
  armedSessions: number;
  /** The first call that brought untrusted content in (`server.tool`), for the evidence comment. */
  source?: string;
  /** The first learned call the rule would have held (so the rule is not learned), with its session. */
  outbound?: { session: string; call: string; reason: string };
  /** Sessions followed (at most {@link MAX_SESSIONS}; later ones are not followed, which can only lose a rule). */
  sessions: number;
}

/** Sessions followed at once; beyond that the rule is not learned (an unfollowed session might have sent). */
const MAX_SESSIONS = 100_000;

/**
 * Follows each recorded session's learned calls through a session rule (by default
 * {@link UNTRUSTED_THEN_SEND}) to see whether the traces support it: it is worth writing when untrusted content
 * came in and no learned call after it would have been held. Pure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SessionRuleLearner } from "./learn_session_rule.ts";
 * const l = new SessionRuleLearner();
 * l.observe("s1", { server: "github", tool: "get_issue", classes: ["read"], hosts: [], untrusted: true });
 * l.observe("s1", { server: "github", tool: "list_commits", classes: ["read"], hosts: [], scopes: {} });
 * assert.equal(l.learned(), true);
 * ```
 */
export class SessionRuleLearner {
  readonly #rule: SessionRule;
  readonly #rules: SessionRule[];
  readonly #states = new Map<string, SessionState>();
  #overflow = false;
  readonly evidence: SessionRuleEvidence;

  /** @param rule the rule to test (default {@link UNTRUSTED_THEN_SEND}) */
  constructor(rule: SessionRule = UNTRUSTED_THEN_SEND) {
    this.#rule = rule;
    this.#rules = [rule];
    this.evidence = { rule, armedSessions: 0, sessions: 0 };
  }

  /**
   * Adds one learned (answered) call of a session, in trace order.
   * @param session the session id
   * @param call the call as session rules see it
   */
  observe(session: string, call: SessionCall): void {
    let s = this.#states.get(session);
    if (s === undefined) {
      if (this.#states.size >= MAX_SESSIONS) {
        this.#overflow = true;
        return;
      }
      s = newSessionState();
      this.evidence.sessions++;
    }
    const base = { verdict: "allow" as const, ruleIds: [], reason: "", errors: [] };
    const d = sessionVerdict(this.#rules, s, call, base);
    if (d.verdict !== "allow" && this.evidence.outbound === undefined) {
      this.evidence.outbound = { session, call: `${call.server}.${call.tool}`, reason: d.reason };
    }
    const was = Object.keys(s.armed).length;
    s = advanceSession(this.#rules, s, call, "answered");
    if (Object.keys(s.armed).length > was) {
      this.evidence.armedSessions++;
      this.evidence.source ??= Object.values(s.armed)[0]?.source;
    }
    this.#states.set(session, s);
  }

  /**
   * Whether the traces support the rule: untrusted content came in, and nothing learned after it would be held.
   * @returns true when the rule should be written
   */
  learned(): boolean {
    return this.evidence.armedSessions > 0 && this.evidence.outbound === undefined && !this.#overflow;
  }

  /** The rule. */
  get rule(): SessionRule {
    return this.#rule;
  }
}
