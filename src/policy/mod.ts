/**
 * Policy format v1: schema, parsing with file:line:col errors, lint and compilation.
 * @module
 */
export {
  GUARD_IDS,
  type GuardId,
  PolicySchema,
  type PolicyV1,
  type SandboxV1,
  ServerPolicySchema,
  type ServerPolicyV1,
} from "./schema.ts";
export { didYouMean, type ParsedPolicy, parsePolicy, type PolicyDiagnostic } from "./parse_policy.ts";
export { lintPolicy, type PolicyLint } from "./lint_policy.ts";
export {
  type ApprovalRule,
  type CompiledPolicy,
  type CompiledServer,
  type CompileOptions,
  compilePolicy,
  type HostRule,
  type PathRule,
  pathRuleCovers,
  type PatternRule,
  type ToolRule,
} from "./compile_policy.ts";
export { type LoadedPolicy, loadPolicy } from "./load_policy.ts";
export { openPolicyCache, type PolicyCache, policyCacheDir } from "./_policy_cache.ts";
export type { ApprovalIndex, ServerIndex } from "./_server_index.ts";
