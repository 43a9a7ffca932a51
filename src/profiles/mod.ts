/**
 * Server knowledge as data (#18): server profiles (which argument of which tool carries a repository,
 * recipient, channel, table, namespace, kind or host), resource-scope extraction, tool classes, and guard
 * packs for dangerous argument values. Everything here is pure and returns plain data for `decide()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyTool, defineServerProfile, extractScopes } from "./mod.ts";
 * const github = defineServerProfile({
 *   apiVersion: 1, server: "gh", match: { packages: ["gh-mcp"] },
 *   tools: { "*": { scopes: { repos: { owner: "/owner", repo: "/repo" } } } },
 * });
 * assert.deepEqual(extractScopes(github, "create_issue", { owner: "Octo", repo: "Site" }).repos, ["octo/site"]);
 * assert.ok(classifyTool({ name: "delete_repo", annotations: { readOnlyHint: true } }).has("delete"));
 * ```
 * @module
 */
export {
  defineServerProfile,
  matchServerProfile,
  SERVER_PROFILE_API_VERSIONS,
  type ServerIdentity,
  ServerProfileSchema,
  validateServerProfile,
} from "./server_profile.ts";
export { extractScopes, globToRegExp, MAX_SCOPE_VALUES, profileTool } from "./extract_scopes.ts";
export { isPointer, type PointedValue, resolvePointer } from "./_pointer.ts";
export { loadServerProfiles } from "./load_server_profile.ts";
export { classifyTool, explainToolClasses, type ToolClassInput } from "./tool_classes.ts";
export {
  classifyToolName,
  type DangerCategory,
  type ToolAnnotations,
  type ToolClass,
  toolWords,
} from "./classify_tool_name.ts";
export {
  defineGuardPack,
  type Guard,
  GUARD_LIMITS,
  GUARD_PACK_API_VERSIONS,
  type GuardHit,
  type GuardPackDescriptor,
  GuardPackSchema,
  matchGuards,
  prepareGuardPack,
  validateGuardPack,
} from "./guard_pack.ts";
export {
  type ExtractedScopes,
  type ProfileSample,
  type RepoRef,
  type ScopeSpec,
  type ServerProfileDescriptor,
  type SqlFinding,
  TOOL_CLASS_NAMES,
  type ToolClassName,
  type ToolProfile,
  type ValueRef,
} from "./types.ts";
