/**
 * AgentPerms library: load a policy, canonicalize a call, decide it.
 *
 * @example
 * ```ts
 * import { canonicalizeCall, compilePolicy, decide, parsePolicy } from "./mod.ts";
 * const { policy } = parsePolicy("version: 1\nservers:\n  fs:\n    denied_paths: [~/.ssh]\n", { file: "p.yaml" });
 * const compiled = compilePolicy(policy, { baseDir: "/proj", home: "/home/me" });
 * const call = canonicalizeCall(
 *   { server: "fs", tool: "read_file", arguments: { path: "~/.ssh/id_rsa" } },
 *   { cwd: "/proj", home: "/home/me" },
 * );
 * const d = decide(compiled, call);
 * if (d.verdict !== "deny") throw new Error("expected deny");
 * ```
 * @module
 */
export * from "./src/policy/mod.ts";
export * from "./src/canonical/mod.ts";
export * from "./src/decision/mod.ts";
export * from "./src/replay/mod.ts";
export {
  inferPolicy,
  mergePolicy,
  renderPolicy,
  summarizeInference,
  TraceAccumulator,
} from "./src/infer/mod.ts";
export {
  classifyTool,
  defineGuardPack,
  defineServerProfile,
  explainToolClasses,
  type ExtractedScopes,
  extractScopes,
  type GuardHit,
  type GuardPackDescriptor,
  loadServerProfiles,
  matchGuards,
  matchServerProfile,
  type ScopeSpec,
  type ServerProfileDescriptor,
  TOOL_CLASS_NAMES,
  type ToolClassName,
  type ToolProfile,
} from "./src/profiles/mod.ts";
export { BUILTIN_PROFILES } from "./profiles/mod.ts";
export { BUILTIN_GUARD_PACKS } from "./guards/mod.ts";
export { classifySql, loadSqlParsers, type SqlClassification, type SqlDialect } from "./src/sql/mod.ts";
export { compileSafeRegex, type SafeRegex } from "./src/regex/mod.ts";
export { AgentPermsError, type ErrorCode } from "./src/errors.ts";
export { run } from "./src/cli/run.ts";
export { fakeIo, type Io } from "./src/cli/io.ts";
export {
  BUILTIN_REDACTORS,
  checkSamples,
  compileRedactor,
  defineRedactor,
  loadRedactorPlugin,
  REDACTED,
  type RedactionHit,
  type RedactionRule,
  type Redactor,
  type RedactorDescriptor,
  redactValue,
} from "./src/redact/mod.ts";
