import { existsSync } from "node:fs";
import { findOnPath } from "./runtime_needs.ts";

/** Whether the OS sandbox can run here, and what to do when it cannot. */
export interface OsSandboxSupport {
  /** True when bubblewrap started a test sandbox. */
  ok: boolean;
  /** bwrap's path. */
  bwrap?: string;
  /** socat's path (the egress bridge); without it a contained server has no network. */
  socat?: string;
  /** Why it cannot run (one sentence). */
  reason?: string;
  /** The fix, as a command or setting. */
  fix?: string;
}

let cached: OsSandboxSupport | undefined;

/**
 * Checks once per process whether bubblewrap can build a sandbox here (Linux only): bwrap on PATH, user
 * namespaces allowed, and (as root) CAP_SETFCAP in the bounding set. Starts `bwrap … true` once (~10 ms).
 * @param env the environment (PATH, and AGENTPERMS_BWRAP to name another bwrap)
 * @param os the platform
 * @returns support, with the reason and fix when there is none
 */
export function checkOsSandbox(env: Record<string, string>, os: string = Deno.build.os): OsSandboxSupport {
  if (cached) return cached;
  cached = probe(env, os);
  return cached;
}

function probe(env: Record<string, string>, os: string): OsSandboxSupport {
  if (os === "windows") {
    return {
      ok: false,
      reason: "Windows has no OS sandbox AgentPerms can use",
      fix: "run the server under WSL",
    };
  }
  if (os === "darwin") {
    return {
      ok: false,
      reason: "the macOS sandbox (Seatbelt) backend is not built yet",
      fix: "use sandbox.mode: deno for JS/TS servers, or sandbox.fallback: uncontained",
    };
  }
  const path = env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
  const named = env.AGENTPERMS_BWRAP;
  const bwrap = named !== undefined ? (existsSync(named) ? named : undefined) : findOnPath("bwrap", path);
  const socat = findOnPath("socat", path);
  if (!bwrap) {
    return {
      ok: false,
      socat,
      reason: "bubblewrap (bwrap) is not installed",
      fix: "apt-get install bubblewrap",
    };
  }
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command(bwrap, {
      args: ["--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "--", "/bin/true"],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      clearEnv: true,
      env: { PATH: path },
    }).outputSync();
  } catch (e) {
    return {
      ok: false,
      bwrap,
      socat,
      reason: `bwrap cannot be started: ${(e as Error).message}`,
      fix: "reinstall bubblewrap",
    };
  }
  if (out.success) return { ok: true, bwrap, socat };
  const err = new TextDecoder().decode(out.stderr).trim();
  if (/uid map|setting up uid/i.test(err)) {
    return {
      ok: false,
      bwrap,
      socat,
      reason: `bwrap cannot map users (${err}): running as root without CAP_SETFCAP in the bounding set`,
      fix: "run the client as a normal user, or give the container CAP_SETFCAP",
    };
  }
  return {
    ok: false,
    bwrap,
    socat,
    reason: `bwrap cannot create a sandbox: ${err}`,
    fix:
      "allow unprivileged user namespaces (sysctl -w user.max_user_namespaces=15000; on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0)",
  };
}
