import { z } from "zod";
import { AgentPermsError } from "../errors.ts";

// In a module of its own (no zod) so the built-in packs in plugins/ can use it without loading the validator.
export { REDACTED } from "./redacted.ts";
import { REDACTED } from "./redacted.ts";

/** Redactor plugin API versions this AgentPerms understands. */
export const REDACTOR_API_VERSIONS: readonly number[] = [1];

/** Which policy switch (`redaction.secrets|api_keys|emails`) turns a pack on or off. */
export type RedactorCategory = "secrets" | "api_keys" | "emails";

/** One rule: a pattern whose every match is replaced. */
export interface RedactionRule {
  /** kebab-case, unique in its pack; reported as `<pack>/<rule>`. */
  id: string;
  /** Must run in linear time (no nested quantifiers, starts gated by a lookbehind or literal). `g` is added. */
  pattern: RegExp;
  /** A `String.prototype.replace` replacement (`$<name>` keeps a group); default {@link REDACTED}. */
  replacement?: string;
  /** One line for `agentperms redact --list`. */
  description?: string;
  /**
   * Object keys whose whole string value `redactValue` replaces (for structured arguments such as
   * `{"password": "x"}`, where the text pattern never sees the key). Tested against the key alone.
   */
  field?: RegExp;
  /**
   * Fast pre-check: the rule only runs on text that contains at least one of these strings (compared
   * case-insensitively when the pattern has the `i` flag). Every match must contain one; the samples are
   * checked with the pre-check on, so a needle that misses a redact sample fails the load.
   */
  needles?: string[];
  /** Per-rule samples: each `redact` string must be changed by this rule, each `keep` string must not. */
  samples?: { redact: string[]; keep: string[] };
}

/** A redaction pack: the default export of a plugin module (see docs/redaction-plugins.md). */
export interface RedactorDescriptor {
  /** Plugin API version; only 1 exists. */
  apiVersion: 1;
  /** kebab-case pack id. */
  id: string;
  /** The pack's own version (semver). */
  version: string;
  /** One line for `agentperms redact --list` and reports. */
  description?: string;
  /** The policy switch that controls the pack; without one the pack is always on. */
  category?: RedactorCategory;
  rules: RedactionRule[];
  /** Pack samples: each `redact` string must be changed by the pack, each `keep` string must not. */
  samples: { redact: string[]; keep: string[] };
}

const ID_REGEXP = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const idSchema = z.string().regex(ID_REGEXP, {
  error: "ids are kebab-case: lower-case letters, digits and -",
});
const samplesSchema = z.strictObject({ redact: z.array(z.string()), keep: z.array(z.string()) });

/** zod schema of one rule. */
export const RedactionRuleSchema = z.strictObject({
  id: idSchema,
  pattern: z.instanceof(RegExp, { error: "pattern must be a RegExp literal such as /AKIA[0-9A-Z]{16}/g" }),
  replacement: z.string().optional(),
  description: z.string().optional(),
  field: z.instanceof(RegExp, { error: "field must be a RegExp" }).optional(),
  needles: z.array(z.string().min(1)).min(1).optional(),
  samples: samplesSchema.optional(),
});

/** zod schema of a redactor descriptor (apiVersion is checked separately for a clearer message). */
export const RedactorDescriptorSchema = z.strictObject({
  apiVersion: z.literal(1),
  id: idSchema,
  version: z.string().min(1),
  description: z.string().optional(),
  category: z.enum(["secrets", "api_keys", "emails"]).optional(),
  rules: z.array(RedactionRuleSchema).min(1, { error: "a pack needs at least one rule" }),
  samples: samplesSchema,
}).superRefine((d, ctx) => {
  const seen = new Set<string>();
  d.rules.forEach((r, i) => {
    if (seen.has(r.id)) {
      ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `duplicate rule id "${r.id}"` });
    }
    seen.add(r.id);
  });
});

/**
 * Validates a descriptor's shape (zod) and API version without checking samples.
 * @param value anything (a plugin's default export)
 * @param source where it came from, for messages
 * @returns the descriptor
 * @throws {AgentPermsError} plugin_invalid naming the field
 */
export function validateRedactor(value: unknown, source: string): RedactorDescriptor {
  const v = value as { apiVersion?: unknown } | null;
  if (v === null || typeof v !== "object") {
    throw new AgentPermsError("plugin_invalid", `Redactor "${source}" is not an object`, {
      hint: "The module's default export must be defineRedactor({...})",
    });
  }
  if (!REDACTOR_API_VERSIONS.includes(v.apiVersion as number)) {
    throw new AgentPermsError(
      "plugin_invalid",
      `Redactor "${source}" has unsupported apiVersion ${JSON.stringify(v.apiVersion)}`,
      { hint: `This AgentPerms understands apiVersion ${REDACTOR_API_VERSIONS.join(", ")}` },
    );
  }
  const r = RedactorDescriptorSchema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0]!;
    const where = first.path.length ? first.path.map(String).join(".") : "(root)";
    throw new AgentPermsError(
      "plugin_invalid",
      `Redactor "${source}" is invalid: ${where}: ${first.message}`,
      { hint: "See docs/redaction-plugins.md for the descriptor fields" },
    );
  }
  return value as RedactorDescriptor;
}

/** A copy of a rule's pattern with the `g` flag (and without `y`), so `replace` finds every match. */
export function globalPattern(p: RegExp): RegExp {
  const flags = p.flags.replace(/[gy]/g, "") + "g";
  return new RegExp(p.source, flags);
}

/**
 * Whether a rule's needles allow it to run on a text (true when it has none).
 * @param needles the rule's needles, already lower-cased when `lower` is used
 * @param text the text as is
 * @param lower the text lower-cased, for a case-insensitive rule (undefined: compare as is)
 * @returns false when no needle occurs, so the pattern cannot match
 */
export function needlesAllow(needles: readonly string[] | undefined, text: string, lower?: string): boolean {
  if (!needles) return true;
  const hay = lower ?? text;
  for (const n of needles) if (hay.includes(n)) return true;
  return false;
}

function applyRule(rule: RedactionRule, text: string, re: RegExp): string {
  const ci = re.flags.includes("i");
  const needles = ci ? rule.needles?.map((n) => n.toLowerCase()) : rule.needles;
  if (!needlesAllow(needles, text, ci ? text.toLowerCase() : undefined)) return text;
  return text.replace(re, rule.replacement ?? REDACTED);
}

/**
 * Checks a pack's samples: pack `redact` samples must change under the whole pack, pack `keep` samples must not;
 * a rule's `redact` samples must change under that rule, its `keep` samples must not.
 * @param d the descriptor
 * @returns one message per problem (empty when all samples hold)
 */
export function checkSamples(d: RedactorDescriptor): string[] {
  const problems: string[] = [];
  const compiled = d.rules.map((r) => ({ rule: r, re: globalPattern(r.pattern) }));
  const all = (s: string) => compiled.reduce((t, c) => applyRule(c.rule, t, c.re), s);
  for (const s of d.samples.redact) {
    if (all(s) === s) problems.push(`pack "${d.id}": redact sample ${JSON.stringify(s)} is not changed`);
  }
  for (const s of d.samples.keep) {
    const out = all(s);
    if (out !== s) {
      problems.push(`pack "${d.id}": keep sample ${JSON.stringify(s)} is changed to ${JSON.stringify(out)}`);
    }
  }
  for (const { rule, re } of compiled) {
    for (const s of rule.samples?.redact ?? []) {
      if (applyRule(rule, s, re) === s) {
        problems.push(`rule "${d.id}/${rule.id}": redact sample ${JSON.stringify(s)} is not changed`);
      }
    }
    for (const s of rule.samples?.keep ?? []) {
      const out = applyRule(rule, s, re);
      if (out !== s) {
        problems.push(
          `rule "${d.id}/${rule.id}": keep sample ${JSON.stringify(s)} is changed to ${JSON.stringify(out)}`,
        );
      }
    }
  }
  return problems;
}

/**
 * Declares a redaction pack: typed identity plus validation (zod shape, apiVersion, unique ids, samples).
 * @param d the descriptor
 * @returns the same descriptor
 * @throws {AgentPermsError} plugin_invalid when the shape is wrong or a sample does not hold
 * @example
 * ```ts
 * import { defineRedactor } from "./define_redactor.ts";
 * export default defineRedactor({
 *   apiVersion: 1, id: "cloud-keys", version: "1.0.0",
 *   rules: [{ id: "aws-access-key", pattern: /AKIA[0-9A-Z]{16}/g }],
 *   samples: { redact: ["key=AKIAABCDEFGHIJKLMNOP"], keep: ["AKIA-not-a-key"] },
 * });
 * ```
 */
export function defineRedactor(d: RedactorDescriptor): RedactorDescriptor {
  validateRedactor(d, d?.id ?? "(unnamed)");
  const problems = checkSamples(d);
  if (problems.length) {
    throw new AgentPermsError("plugin_invalid", `Redactor "${d.id}" fails its samples: ${problems[0]}`, {
      hint: problems.length > 1 ? `${problems.length - 1} more problem(s)` : "Fix the pattern or the sample",
    });
  }
  return d;
}
