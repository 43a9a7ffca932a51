/**
 * `decide()`: the only place a verdict is made.
 * @module
 */
export { decide, JUDGED_METHODS, PASSTHROUGH_METHODS, SERVER_REQUEST_METHODS } from "./decide.ts";
export { type Guard, GUARDS } from "./guards.ts";
export type { Decision, DecisionContext, Verdict } from "./types.ts";
