import type { ErrorCode } from "../errors.ts";

/** Exit codes (STYLE.md). */
export const EXIT = {
  ok: 0,
  gate: 1,
  usage: 2,
  invalid: 3,
  runtime: 4,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  usage: EXIT.usage,
  policy_invalid: EXIT.invalid,
  config_invalid: EXIT.invalid,
  plugin_invalid: EXIT.invalid,
  trace_invalid: EXIT.invalid,
  lock_invalid: EXIT.invalid,
  upstream_failed: EXIT.runtime,
  io_failed: EXIT.runtime,
};

/**
 * Maps an error code to the process exit code; the only place this mapping lives.
 * @param code the error's code, or undefined for an unexpected error
 * @returns the exit code (4 for anything unknown)
 */
export function exitCodeFor(code: ErrorCode | undefined): number {
  return code === undefined ? EXIT.runtime : BY_CODE[code];
}
