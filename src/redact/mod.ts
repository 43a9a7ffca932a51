/**
 * Redaction: rules as plugins (`defineRedactor`), the built-in packs, and the functions the proxy, trace
 * writer and report use to scrub secrets, API keys and emails from any JSON value.
 *
 * @example
 * ```ts
 * import { BUILTIN_REDACTORS, compileRedactor, redactValue } from "./mod.ts";
 * const redactor = compileRedactor(BUILTIN_REDACTORS, { emails: true });
 * const { value, fired } = redactValue({ cmd: "curl -H 'Authorization: Bearer abc123'", to: "bob@example.com" }, redactor);
 * if (JSON.stringify(value).includes("abc123")) throw new Error("leak");
 * if (fired.length !== 2) throw new Error(JSON.stringify(fired));
 * ```
 * @module
 */
export {
  checkSamples,
  defineRedactor,
  REDACTED,
  type RedactionRule,
  RedactionRuleSchema,
  REDACTOR_API_VERSIONS,
  type RedactorCategory,
  type RedactorDescriptor,
  RedactorDescriptorSchema,
  validateRedactor,
} from "./define_redactor.ts";
export {
  type CompiledRedactionRule,
  compileRedactor,
  type RedactionSwitches,
  type Redactor,
} from "./compile_redactor.ts";
export { DEPTH_LIMIT_RULE_ID, MAX_REDACT_DEPTH, type RedactionHit, redactValue } from "./redact_value.ts";
export { loadRedactorPlugin } from "./load_redactor_plugin.ts";
export { BUILTIN_REDACTORS } from "../../plugins/mod.ts";
export { RedactLineStream } from "./redact_lines.ts";
export { findNestedQuantifier, probeLinearTime, type ProbeOptions } from "./check_linear_time.ts";
