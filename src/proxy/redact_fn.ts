import { BUILTIN_REDACTORS, compileRedactor, loadRedactorPlugin, redactValue } from "../redact/mod.ts";
import type { Policy } from "../policy/mod.ts";
import type { RedactFn } from "./trace_recorder.ts";

/**
 * Builds the function the proxy uses to redact arguments, URLs and result summaries before they reach a
 * trace: the built-in packs plus the policy's `redaction.plugins`, switched by its `redaction` flags.
 * @param policy the policy as written (its `redaction` section)
 * @param opts `baseDir`: where plugin paths resolve (the policy's directory)
 * @returns the redaction function
 * @throws {AgentPermsError} plugin_invalid when a plugin cannot be loaded
 */
export async function buildRedactFn(
  policy: Policy,
  opts: { baseDir: string },
): Promise<RedactFn> {
  const r = policy.redaction ?? {};
  const plugins = [];
  for (const p of r.plugins ?? []) plugins.push(await loadRedactorPlugin(p, { cwd: opts.baseDir }));
  const redactor = compileRedactor([...BUILTIN_REDACTORS, ...plugins], {
    secrets: r.secrets,
    emails: r.emails,
    api_keys: r.api_keys,
  });
  // Traced texts repeat (tool names, methods, the decision's reasons, the same arguments and answers), and
  // the rules are pure functions of the text: remember the redactions of short ones.
  const cache = new Map<string, { text: string; fired: string[] }>();
  const memo = {
    rules: redactor.rules,
    redactText(s: string) {
      if (s.length > MEMO_MAX_CHARS) return redactor.redactText(s);
      let hit = cache.get(s);
      if (!hit) {
        hit = redactor.redactText(s);
        if (cache.size >= MEMO_ENTRIES) cache.clear();
        cache.set(s, hit);
      }
      return hit;
    },
  };
  return (value) => redactValue(value, memo);
}

/** Texts up to this long are remembered, up to this many (then the memory starts over). */
const MEMO_MAX_CHARS = 512;
const MEMO_ENTRIES = 4096;
