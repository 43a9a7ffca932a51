import { canonicalizeCall, rawCallArguments, rawCallOf } from "../../canonical/mod.ts";
import { decide, type Decision } from "../../decision/mod.ts";
// Session rules are not exported by decision/mod.ts and policy/mod.ts yet (#18 item 7): the files directly.
import {
  advanceSession,
  newSessionState,
  sessionCallOf,
  type SessionState,
  sessionVerdict,
} from "../../decision/session_rules.ts";
import type { SessionRule } from "../../policy/session_rules_schema.ts";
import type { CompiledPolicy } from "../../policy/mod.ts";
import { matchServerProfile, type ServerProfileDescriptor } from "../../profiles/mod.ts";

/**
 * The judge of `check --session`: the calls of one session, in order. Each is canonicalized and judged by
 * `decide()`, then by the session rules armed so far; then the state advances. A call counts as answered
 * unless it was denied (for one that needs approval: as if a human approved it); a line can say otherwise
 * with `"outcome": "blocked"` (or `"answered"`).
 * @param compiled the compiled policy
 * @param rules the policy's session rules
 * @param opts cwd, home, realpath and the server profiles (matched by server name)
 * @returns a stateful function from a parsed JSON value to its decision
 * @throws {Error} (from the returned function) when the value is no call object
 */
export function sessionJudge(
  compiled: CompiledPolicy,
  rules: readonly SessionRule[],
  opts: {
    cwd: string;
    home: string;
    realpath?: (abs: string) => string | undefined;
    profiles: readonly ServerProfileDescriptor[];
  },
): (value: unknown) => Decision {
  let state: SessionState = newSessionState();
  const copts = {
    cwd: opts.cwd,
    home: opts.home,
    realpath: opts.realpath,
    ...(compiled.windows ? { windows: true } : {}),
  };
  return (value: unknown) => {
    const raw = rawCallOf(value);
    const v = value as Record<string, unknown>;
    if (v.outcome !== undefined && v.outcome !== "answered" && v.outcome !== "blocked") {
      throw new Error('"outcome" is "answered" or "blocked"');
    }
    const call = canonicalizeCall(raw, copts);
    // Format 2 rules read the arguments themselves (argument rules, scopes, SQL).
    if (call.method === "tools/call") {
      (call as { arguments?: unknown }).arguments ??= rawCallArguments(raw) ?? {};
    }
    const base = decide(compiled, call);
    if (rules.length === 0) return base;
    const profile = matchServerProfile(opts.profiles, { name: raw.server })?.profile;
    const sc = sessionCallOf(call, { arguments: rawCallArguments(raw) ?? {}, profile });
    const d = sessionVerdict(rules, state, sc, base);
    const outcome = (v.outcome as "answered" | "blocked" | undefined) ??
      (d.verdict === "deny" ? "blocked" : "answered");
    state = advanceSession(rules, state, sc, outcome);
    return d;
  };
}
