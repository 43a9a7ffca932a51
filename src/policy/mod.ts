/**
 * Policy formats 1 and 2: schemas, parsing with file:line:col errors, lint, compilation, upgrade and the
 * published JSON Schema.
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
  ArgumentConditionSchema,
  type ArgumentConditionV2,
  KNOWN_KEYS_V2,
  type PolicyV2,
  PolicyV2Schema,
  SCOPE_KEYS,
  type ScopeKey,
  ScopesSchema,
  type ScopesV2,
  type ServerPolicyV2,
  ServerPolicyV2Schema,
  ToolPolicySchema,
  type ToolPolicyV2,
} from "./schema_v2.ts";
export {
  type ClassRule,
  type CompiledArgumentRule,
  type CompiledCondition,
  type CompiledReach,
  type CompiledScopes,
  type CompiledServerV2,
  type CompiledToolEntry,
  type CompiledV2,
  compileV2,
  type CompileV2Options,
  type PolicyV2Issue,
  resolveServerProfile,
  validateV2,
} from "./compile_v2.ts";
export { lintPolicyV2 } from "./lint_policy_v2.ts";
export { type PolicyUpgrade, upgradePolicy } from "./upgrade_policy.ts";
export { POLICY_SCHEMA_ID, policyJsonSchema } from "./policy_json_schema.ts";

/** A validated policy file of either format. */
export type Policy = import("./schema.ts").PolicyV1 | import("./schema_v2.ts").PolicyV2;
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
