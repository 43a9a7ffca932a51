/**
 * `decide()`: the only place a verdict is made.
 * @module
 */
export {
  decide,
  JUDGED_METHODS,
  PASSTHROUGH_METHODS,
  PERMISSION_METHOD,
  SERVER_REQUEST_METHODS,
} from "./decide.ts";
export { type Guard, GUARDS } from "./guards.ts";
export type { Decision, DecisionContext, PermissionGrant, PermissionGrants, Verdict } from "./types.ts";
export { attachCallFacts, type CallFactsV2, type CallV2, type ToolAnnotations } from "./_policy_v2.ts";
