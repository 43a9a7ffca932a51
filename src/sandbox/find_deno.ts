import { AgentPermsError } from "../errors.ts";

/** What {@link findDeno} may look at. */
export interface FindDenoIo {
  /** Reads an environment variable. */
  env(name: string): string | undefined;
}

/** Host facts for {@link findDeno}; tests replace them. */
export interface FindDenoHost {
  /** The running executable (`Deno.execPath()`). */
  execPath(): string;
  /** True when the path is an executable file. */
  isExecutable(path: string): boolean;
  /** Platform. */
  os: string;
}

const realHost: FindDenoHost = {
  execPath: () => Deno.execPath(),
  isExecutable: (p) => {
    try {
      const st = Deno.statSync(p);
      return st.isFile && (Deno.build.os === "windows" || ((st.mode ?? 0o111) & 0o111) !== 0);
    } catch {
      return false;
    }
  },
  os: Deno.build.os,
};

/**
 * Finds the `deno` executable used to launch contained servers. A compiled AgentPerms cannot give per-server
 * flags to itself (its permissions are baked in), so it needs a separate deno: `AGENTPERMS_DENO`, then the
 * running executable when it is deno, then `deno` on `PATH`.
 *
 * @param io environment access
 * @param host host facts (default: the real process)
 * @returns the absolute path of a deno executable
 * @throws {AgentPermsError} `upstream_failed` when none is found
 */
export function findDeno(io: FindDenoIo, host: FindDenoHost = realHost): string {
  const fromEnv = io.env("AGENTPERMS_DENO");
  if (fromEnv) {
    if (host.isExecutable(fromEnv)) return fromEnv;
    throw new AgentPermsError(
      "upstream_failed",
      `AGENTPERMS_DENO points to "${fromEnv}", which is not an executable`,
      {
        hint: "Set AGENTPERMS_DENO to the path of a deno binary (2.9 or newer), or unset it",
      },
    );
  }
  const exe = host.execPath();
  const base = exe.replaceAll("\\", "/").split("/").pop() ?? "";
  if (/^deno(?:\.exe)?$/i.test(base)) return exe;
  const sep = host.os === "windows" ? ";" : ":";
  const name = host.os === "windows" ? "deno.exe" : "deno";
  for (const dir of (io.env("PATH") ?? "").split(sep)) {
    if (dir === "") continue;
    const cand = `${dir.replace(/[\\/]+$/, "")}/${name}`;
    if (host.isExecutable(cand)) return cand;
  }
  throw new AgentPermsError("upstream_failed", "Cannot find a deno executable to run contained servers", {
    hint:
      "Install deno (npm install deno@2.9.6, or see deno.com) and put it on PATH, or set AGENTPERMS_DENO; a compiled agentperms cannot contain servers by itself",
  });
}
