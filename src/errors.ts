/** Error codes; each maps to one exit code in `src/cli/exit_codes.ts`. */
export type ErrorCode =
  | "usage"
  | "policy_invalid"
  | "config_invalid"
  | "plugin_invalid"
  | "trace_invalid"
  | "lock_invalid"
  | "upstream_failed"
  | "io_failed";

/**
 * The one error type AgentPerms throws on purpose. The CLI maps `code` to an exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AgentPermsError } from "./errors.ts";
 * const e = new AgentPermsError("usage", 'Unknown client "curser"');
 * assert.equal(e.code, "usage");
 * ```
 */
export class AgentPermsError extends Error {
  /**
   * @param code machine-readable error class
   * @param message sentence case, no final period, quoted values
   * @param options standard `cause`, plus an optional `hint` shown on its own line
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions & { hint?: string },
  ) {
    super(message, options);
    this.name = "AgentPermsError";
    this.hint = options?.hint;
  }
  /** Optional advice printed after the message. */
  readonly hint: string | undefined;
}
