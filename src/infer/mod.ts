/**
 * Inference: traces → the least-privilege draft policy, explained entry by entry and never over-broad.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inferPolicy, renderPolicy, TraceAccumulator } from "./mod.ts";
 * const acc = new TraceAccumulator({ cwd: "/p", home: "/home/u" });
 * acc.addLine('{"ts":1,"server":"fs","tool":"read_file","args":{"path":"./a.txt"},"decision":"allow"}', { file: "t", line: 1 });
 * const r = inferPolicy(acc, { baseDir: "/p", home: "/home/u" });
 * assert.ok(renderPolicy(r.policy, { comments: r.comments }).includes("./a.txt"));
 * ```
 * @module
 */
export {
  classifyToolName as classifyTool,
  type DangerCategory,
  type ToolAnnotations,
  type ToolClass,
  toolWords,
} from "../profiles/mod.ts";
export { type CoverEntry, type CoverOptions, coverPaths } from "./cover_paths.ts";
export {
  commentKey,
  displayPath,
  type InferOptions,
  inferPolicy,
  type InferredServer,
  type InferResult,
} from "./infer_policy.ts";
export { mergePolicy, type MergeResult } from "./merge_policy.ts";
export { type InferredV2, inferV2 } from "./infer_v2.ts";
export {
  LEARNED_SCOPE_KINDS,
  type LearnedScopeKind,
  type LearnedScopes,
  ScopeLearner,
} from "./learn_scopes.ts";
export { type SessionRuleEvidence, SessionRuleLearner, UNTRUSTED_THEN_SEND } from "./learn_session_rule.ts";
export { readPolicyComments, type RenderOptions, renderPolicy } from "./render_policy.ts";
export {
  isSensitivePath,
  isTooBroadPath,
  SEEDED_DENIED_PATHS,
  SEEDED_DENIED_PATTERNS,
} from "./sensitive_paths.ts";
export { summarizeInference, type SummaryCounts } from "./summarize_inference.ts";
export {
  type AccumulatorOptions,
  hostEntry,
  type LearnedCall,
  type MalformedLine,
  type NotLearned,
  type NotLearnedReason,
  type ServerObservations,
  type ToolUse,
  TraceAccumulator,
} from "./trace_accumulator.ts";
