import { z } from "zod";
import { TOOL_CLASS_NAMES } from "../profiles/mod.ts";

const ID_REGEXP = /^[a-z0-9][a-z0-9-]*$/;
/** `server.tool`, either part a glob (`*` any run of characters): `github.get_issue`, `web.*`, `*.fetch`. */
const TOOL_REF_REGEXP = /^[^.\s]+\.[^\s]+$/;

const classList = z.array(z.enum(TOOL_CLASS_NAMES)).min(1);
const toolList = z.array(
  z.string().regex(TOOL_REF_REGEXP, {
    error: 'a tool is written "server.tool" (globs allowed: "github.get_*", "*.fetch")',
  }),
).min(1);

/** What arms a session rule: any one of these, after a call that was answered (its result came back). */
export const SessionTriggerSchema = z.strictObject({
  /** A tool its server profile marks as returning untrusted content (`github.get_issue`, mail, web pages). */
  untrusted: z.boolean().optional(),
  /** A tool whose MCP annotations say `openWorldHint: true`. */
  open_world: z.boolean().optional(),
  /** A tool of any of these classes (`network`: it fetched something from the open world). */
  classes: classList.optional(),
  /** These tools, as `server.tool` globs. */
  tools: toolList.optional(),
}).refine((t) => t.untrusted === true || t.open_world === true || t.classes || t.tools, {
  error: "after: needs at least one of untrusted: true, open_world: true, classes or tools",
});

/** What an armed rule catches: any one of these. */
export const SessionEffectSchema = z.strictObject({
  /** Every call of these classes (`send`: mail, messages, comments, issues). */
  classes: classList.optional(),
  /** Every call of these tools, as `server.tool` globs. */
  tools: toolList.optional(),
  /**
   * Calls of these classes that touch a scope (repository, recipient domain, channel, table, namespace) the
   * session had not seen when the rule armed, or whose scopes cannot be read.
   */
  other_scope: classList.optional(),
  /** Calls of these classes that reach a host the session had not seen when the rule armed. */
  new_host: classList.optional(),
}).refine((t) => t.classes || t.tools || t.other_scope || t.new_host, {
  error: "then: needs at least one of classes, tools, other_scope or new_host",
});

/** One session rule: after a call that matches `after`, every later call that matches `then` gets `verdict`. */
export const SessionRuleSchema = z.strictObject({
  /** Kebab-case id, unique in the policy; the rule id is `session_rules[<i>]/<id>`. */
  id: z.string().regex(ID_REGEXP, { error: "a session rule id is lowercase letters, digits and '-'" }),
  /** One line on what the rule is for (shown in `check` and the docs). */
  description: z.string().optional(),
  /** What arms the rule for the rest of the session. */
  after: SessionTriggerSchema,
  /** What an armed rule catches. */
  then: SessionEffectSchema,
  /** `approve` (a human decides; the default) or `deny`. Never `allow`: session rules only tighten. */
  verdict: z.enum(["approve", "deny"]).default("approve"),
});

/**
 * The `session_rules` list of a format 2 policy (#18 item 7): per-session rules that tighten verdicts once
 * something happened earlier in the session (untrusted content came in). Ids must be unique.
 */
export const SessionRulesSchema = z.array(SessionRuleSchema).superRefine((rules, ctx) => {
  const seen = new Map<string, number>();
  rules.forEach((r, i) => {
    const prev = seen.get(r.id);
    if (prev !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [i, "id"],
        message: `duplicate session rule id "${r.id}" (also session_rules[${prev}])`,
      });
    } else seen.set(r.id, i);
  });
});

/** One session rule as validated (`verdict` filled in). */
export type SessionRule = z.output<typeof SessionRuleSchema>;
/** One session rule as written. */
export type SessionRuleInput = z.input<typeof SessionRuleSchema>;

/** Keys only session rules know, for "did you mean" hints. */
export const SESSION_RULE_KEYS: readonly string[] = [
  "after",
  "then",
  "verdict",
  "untrusted",
  "open_world",
  "other_scope",
  "new_host",
];

/**
 * The session rules of a parsed policy (format 2 `session_rules`; none in format 1), validated.
 * @param policy a parsed policy (`LoadedPolicy.policy`)
 * @returns the rules, empty when there are none
 * @throws {z.ZodError} when the list is not valid (the policy loader reports it first with file:line:col)
 */
export function sessionRulesOf(policy: unknown): SessionRule[] {
  const raw = (policy as { session_rules?: unknown } | null)?.session_rules;
  if (raw === undefined || raw === null) return [];
  return SessionRulesSchema.parse(raw);
}
