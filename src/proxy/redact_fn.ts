import { BUILTIN_REDACTORS, compileRedactor, loadRedactorPlugin, redactValue } from "../redact/mod.ts";
import type { PolicyV1 } from "../policy/mod.ts";
import type { RedactFn } from "./proxy_session.ts";

/**
 * Builds the function the proxy uses to redact arguments, URLs and result summaries before they reach a
 * trace: the built-in packs plus the policy's `redaction.plugins`, switched by its `redaction` flags.
 * @param policy the policy as written (its `redaction` section)
 * @param opts `baseDir`: where plugin paths resolve (the policy's directory)
 * @returns the redaction function
 * @throws {AgentPermsError} plugin_invalid when a plugin cannot be loaded
 */
export async function buildRedactFn(policy: PolicyV1, opts: { baseDir: string }): Promise<RedactFn> {
  const r = policy.redaction ?? {};
  const plugins = [];
  for (const p of r.plugins ?? []) plugins.push(await loadRedactorPlugin(p, { cwd: opts.baseDir }));
  const redactor = compileRedactor([...BUILTIN_REDACTORS, ...plugins], {
    secrets: r.secrets,
    emails: r.emails,
    api_keys: r.api_keys,
  });
  return (value) => redactValue(value, redactor);
}
