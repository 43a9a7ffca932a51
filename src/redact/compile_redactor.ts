import { AgentPermsError } from "../errors.ts";
import {
  globalPattern,
  needlesAllow,
  REDACTED,
  type RedactionRule,
  type RedactorDescriptor,
} from "./define_redactor.ts";

/** The policy's `redaction` switches; each defaults to true. */
export interface RedactionSwitches {
  /** Private keys, passwords and tokens in assignments, headers and URLs. */
  secrets?: boolean;
  /** Email addresses. */
  emails?: boolean;
  /** Vendor token formats (OpenAI, GitHub, AWS …) and JWTs. */
  api_keys?: boolean;
}

/** A compiled rule as the redactor runs it. */
export interface CompiledRedactionRule extends RedactionRule {
  /** The pack the rule came from. */
  pack: string;
  /** The pack's category (undefined: always on). */
  category?: RedactorDescriptor["category"];
}

/** Rules compiled once; `redactText` runs them in order over a string. */
export interface Redactor {
  /** The active rules, in the order they run; ids are `<pack>/<rule>`. */
  rules: CompiledRedactionRule[];
  /**
   * Redacts one string.
   * @returns the new text and the ids of the rules that changed it (each once, in rule order)
   */
  redactText(s: string): { text: string; fired: string[] };
}

/**
 * Compiles packs into one redactor. Packs run in the order given (put specific token formats before
 * generic assignments), and the policy's switches pick which categories are on.
 * @param packs validated descriptors (built-ins first, then plugins)
 * @param opts the policy's `redaction` section; a missing switch counts as true
 * @returns the redactor
 * @throws {AgentPermsError} plugin_invalid when two packs share an id
 * @example
 * ```ts
 * import { BUILTIN_REDACTORS, compileRedactor } from "./mod.ts";
 * const r = compileRedactor(BUILTIN_REDACTORS, { emails: false });
 * const { text, fired } = r.redactText("key=AKIAABCDEFGHIJKLMNOP mail bob@example.com");
 * if (text.includes("AKIA") || !text.includes("bob@example.com")) throw new Error("unexpected");
 * if (fired[0] !== "api-keys/aws-access-key") throw new Error(fired.join());
 * ```
 */
export function compileRedactor(
  packs: readonly RedactorDescriptor[],
  opts: RedactionSwitches = {},
): Redactor {
  const seen = new Set<string>();
  const rules: CompiledRedactionRule[] = [];
  for (const p of packs) {
    if (seen.has(p.id)) {
      throw new AgentPermsError("plugin_invalid", `Two redactor packs share the id "${p.id}"`, {
        hint: "Give your plugin its own pack id",
      });
    }
    seen.add(p.id);
    if (p.category !== undefined && opts[p.category] === false) continue;
    for (const r of p.rules) {
      rules.push({
        ...r,
        id: `${p.id}/${r.id}`,
        pattern: globalPattern(r.pattern),
        needles: r.pattern.flags.includes("i") ? r.needles?.map((n) => n.toLowerCase()) : r.needles,
        // Without g/y, test() keeps no lastIndex state between keys.
        field: r.field && new RegExp(r.field.source, r.field.flags.replace(/[gy]/g, "")),
        pack: p.id,
        category: p.category,
      });
    }
  }
  const redactText = (s: string) => {
    let text = s;
    const fired: string[] = [];
    let lower: string | undefined; // lower-cased text for case-insensitive needles, reset on change
    for (const r of rules) {
      if (r.needles) {
        const ci = r.pattern.flags.includes("i");
        if (ci) lower ??= text.toLowerCase();
        if (!needlesAllow(r.needles, text, ci ? lower : undefined)) continue;
      }
      const out = text.replace(r.pattern, r.replacement ?? REDACTED);
      if (out !== text) {
        fired.push(r.id);
        text = out;
        lower = undefined;
      }
    }
    return { text, fired };
  };
  return { rules, redactText };
}
