import type { PolicyV1 } from "../policy/mod.ts";
import type { RedactFn } from "./proxy_session.ts";

/**
 * Builds the function the proxy uses to redact arguments and summaries before they reach a trace.
 * TODO(#3): switch to `compileRedactor(BUILTIN_REDACTORS, policy.redaction)` + `redactValue` once
 * `src/redact/mod.ts` lands.
 * @param policy the policy as written (its `redaction` section)
 * @returns the redaction function
 */
export function buildRedactFn(policy: PolicyV1): Promise<RedactFn> {
  void policy;
  return Promise.resolve((value) => ({ value, fired: [] }));
}
