import { REDACTED } from "./define_redactor.ts";
import type { Redactor } from "./compile_redactor.ts";

/** Where a rule fired: the rule id and the RFC 6901 JSON pointer of the string it changed. Never the value. */
export interface RedactionHit {
  ruleId: string;
  pointer: string;
}

/** Rule id reported when a value is nested deeper than {@link MAX_REDACT_DEPTH} and is dropped whole. */
export const DEPTH_LIMIT_RULE_ID = "redact/depth-limit";
/** Nesting beyond this is replaced by the marker: fail closed instead of overflowing the stack. */
export const MAX_REDACT_DEPTH = 256;

const escapePointer = (k: string) => k.replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * Redacts every string inside a JSON value. Keys, numbers, booleans and null are kept; the input is not
 * changed: arrays and objects are copied. A string under a key that a rule's `field` matches (such as
 * `password` or `apiKey`) is replaced whole; every other string runs through the text rules.
 * @param value any JSON value (for example a tools/call `arguments` object)
 * @param redactor from `compileRedactor`
 * @returns the redacted value and, for each string changed, the rule ids with its JSON pointer
 * @example
 * ```ts
 * import { BUILTIN_REDACTORS, compileRedactor, redactValue } from "./mod.ts";
 * const r = compileRedactor(BUILTIN_REDACTORS);
 * const { value, fired } = redactValue({ env: { TOKEN: "ghp_abcdefghijklmnopqrstuvwxyz0123456789" } }, r);
 * if (JSON.stringify(value).includes("ghp_")) throw new Error("leak");
 * if (fired[0]?.pointer !== "/env/TOKEN") throw new Error(JSON.stringify(fired));
 * ```
 */
export function redactValue(
  value: unknown,
  redactor: Redactor,
): { value: unknown; fired: RedactionHit[] } {
  const fired: RedactionHit[] = [];
  if (typeof value === "string") {
    // The proxy redacts many single texts (names, reasons, summaries): no walk, no closures.
    const r = redactor.redactText(value);
    for (const ruleId of r.fired) fired.push({ ruleId, pointer: "" });
    return { value: r.text, fired };
  }
  const fieldRuleFor = fieldRuleLookup(redactor.rules);
  const walk = (v: unknown, pointer: string, depth: number): unknown => {
    if (typeof v === "string") {
      const r = redactor.redactText(v);
      for (const ruleId of r.fired) fired.push({ ruleId, pointer });
      return r.text;
    }
    if (v === null || typeof v !== "object") return v;
    if (depth >= MAX_REDACT_DEPTH) {
      fired.push({ ruleId: DEPTH_LIMIT_RULE_ID, pointer });
      return REDACTED;
    }
    if (Array.isArray(v)) return v.map((child, i) => walk(child, `${pointer}/${i}`, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
      const p = `${pointer}/${escapePointer(k)}`;
      let n: unknown;
      const fr = typeof child === "string" && child !== "" && child !== REDACTED
        ? fieldRuleFor(k)
        : undefined;
      if (fr) {
        fired.push({ ruleId: fr.id, pointer: p });
        n = REDACTED;
      } else n = walk(child, p, depth + 1);
      // A JSON "__proto__" key is an own property; plain assignment would set the prototype instead.
      if (k === "__proto__") {
        Object.defineProperty(out, k, { value: n, enumerable: true, writable: true, configurable: true });
      } else out[k] = n;
    }
    return out;
  };
  return { value: walk(value, "", 0), fired };
}

type Rule = Redactor["rules"][number];
const FIELD_RULE_LOOKUPS = new WeakMap<Redactor["rules"], (key: string) => Rule | undefined>();
/** Keys remembered per rule list before the memory starts over (keys come from clients: no bound otherwise). */
const FIELD_MEMO_KEYS = 1024;

/**
 * The first rule whose `field` matches a key, remembered per rule list and key: arguments repeat their keys,
 * and each lookup otherwise tests every field rule's pattern.
 */
function fieldRuleLookup(rules: Redactor["rules"]): (key: string) => Rule | undefined {
  let lookup = FIELD_RULE_LOOKUPS.get(rules);
  if (lookup) return lookup;
  const fieldRules = rules.filter((r) => r.field !== undefined);
  const memo = new Map<string, Rule | null>();
  lookup = (key) => {
    let r = memo.get(key);
    if (r === undefined) {
      r = fieldRules.find((f) => f.field!.test(key)) ?? null;
      if (memo.size >= FIELD_MEMO_KEYS) memo.clear();
      memo.set(key, r);
    }
    return r ?? undefined;
  };
  FIELD_RULE_LOOKUPS.set(rules, lookup);
  return lookup;
}
