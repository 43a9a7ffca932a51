/** allow, deny, or approve (= require human approval). */
export type Verdict = "allow" | "deny" | "approve";

/** The result of `decide()`. */
export interface Decision {
  /** The verdict. */
  verdict: Verdict;
  /** The rules that decided it, e.g. `servers.filesystem.denied_paths[0]`, `guard/metadata-host`. */
  ruleIds: string[];
  /** One sentence a user can act on. */
  reason: string;
  /** Rules that threw while deciding (each forces a deny). */
  errors: string[];
}

/** Facts from outside the policy and the call. Everything `decide()` needs that is not pure data. */
export interface DecisionContext {
  /**
   * Tools whose identity drifted from `mcp.lock` (tool name → what changed). Calls to them are denied
   * in enforce mode.
   */
  drift?: ReadonlyMap<string, string>;
}
