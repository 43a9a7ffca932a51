import type { Io } from "./io.ts";

/** What every command's action gets: the world (`io`) and a way to set the exit code. */
export interface CommandEnv {
  /** Output, env, cwd, clock. */
  io: Io;
  /** Sets the process exit code (0 ok, 1 gate failed; errors are thrown as AgentPermsError). */
  setExit(code: number): void;
  /** True when `--debug` was given (stack traces on errors). */
  debug(): boolean;
}

/**
 * The user's home directory from the environment (`HOME`, else `USERPROFILE`).
 * @param io the Io
 * @returns the home directory, or "/" when unknown
 */
export function homeOf(io: Io): string {
  return io.env("HOME") ?? io.env("USERPROFILE") ?? "/";
}
