/** Launch commands for the lock tests' fixture server and the real npm servers. */
import { fileURLToPath } from "node:url";
import type { ServerLaunch } from "../../src/lock/mod.ts";

/** Absolute path of the rug-pull fixture server. */
export const RUG_PULL_SERVER: string = fileURLToPath(
  new URL("../fixtures/servers/rug_pull_server.ts", import.meta.url),
);

/** Environment the servers inherit PATH/HOME/DENO_DIR from. */
export function inheritEnv(): Record<string, string> {
  return Deno.env.toObject();
}

/** `deno run` of `entry` with these permission flags and no config or prompt. */
function denoRun(flags: string[], entry: string, ...rest: string[]): string[] {
  return ["run", "--no-config", "--no-prompt", ...flags, entry, ...rest];
}

/**
 * The rug-pull server started with `deno run`, allowed to touch only `dir`.
 * @param dir temp dir holding the state file
 * @param env extra RUG_* knobs
 * @returns a launch entry
 */
export function rugPullEntry(dir: string, env: Record<string, string> = {}): ServerLaunch {
  return {
    command: Deno.execPath(),
    args: denoRun(["--allow-env", `--allow-read=${dir}`, `--allow-write=${dir}`], RUG_PULL_SERVER),
    env: { RUG_STATE_FILE: `${dir}/starts`, ...env },
  };
}

const PKG = "2026.8.31";

/** server-everything with the minimal flags from DENO_NOTES §1.1. */
export function everythingEntry(): ServerLaunch {
  return {
    command: Deno.execPath(),
    args: denoRun(
      ["--allow-env=GZIP_MAX_FETCH_SIZE,GZIP_MAX_FETCH_TIME_MILLIS,GZIP_ALLOWED_DOMAINS"],
      `npm:@modelcontextprotocol/server-everything@${PKG}`,
    ),
  };
}

/** server-filesystem confined to `dir`. */
export function filesystemEntry(dir: string): ServerLaunch {
  return {
    command: Deno.execPath(),
    args: denoRun(
      ["--allow-env=__MINIMATCH_TESTING_PLATFORM__", `--allow-read=${dir}`],
      `npm:@modelcontextprotocol/server-filesystem@${PKG}`,
      dir,
    ),
  };
}

/** server-memory with its memory file in `dir`. */
export function memoryEntry(dir: string): ServerLaunch {
  return {
    command: Deno.execPath(),
    args: denoRun(
      ["--allow-env=MEMORY_FILE_PATH", `--allow-read=${dir}`, `--allow-write=${dir}`],
      `npm:@modelcontextprotocol/server-memory@${PKG}`,
    ),
    env: { MEMORY_FILE_PATH: `${dir}/memory.jsonl` },
  };
}
