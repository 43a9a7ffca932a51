/**
 * A new user's machine for the install tests: an empty HOME (so an empty Deno cache, no `~/.deno/bin`, no state
 * folder) holding one client config, and a working folder outside the clone. Only what reaching the npm registry
 * needs (CA bundle, proxy variables) is carried over from the test's environment.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { DENO_RUNTIME_ENV } from "../../src/sandbox/mod.ts";

/** The clone under test. */
export const ROOT: string = resolve(import.meta.dirname!, "../..");

/** What a command printed and how it exited. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh HOME and a folder outside the clone; removed on dispose. */
export interface FreshUser extends AsyncDisposable {
  /** The user's home (empty but for `.claude.json`). */
  home: string;
  /** A working folder outside the clone. */
  work: string;
  /** Runs a command as this user (default cwd: `work`), with `extraPath` folders first on PATH. */
  run(command: string, args: string[], opts?: { cwd?: string; extraPath?: string[] }): Promise<RunResult>;
}

// Carried over: how to reach the npm registry. Not HOME, DENO_DIR or XDG_CACHE_HOME: a new user has an empty cache.
const CARRIED = DENO_RUNTIME_ENV.filter((k) => !["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"].includes(k));

/**
 * Creates the user. Claude Code's config lists one stdio server, so `agentperms doctor` has something to check.
 * @returns the user, disposed with `await using`
 */
export async function freshUser(): Promise<FreshUser> {
  const base = await Deno.makeTempDir({ prefix: "agentperms-user-" });
  const home = join(base, "home");
  const work = join(base, "work");
  await Deno.mkdir(home);
  await Deno.mkdir(work);
  assert.ok(relative(ROOT, work).startsWith(".."), `${work} is outside the clone`);
  await Deno.writeTextFile(
    join(home, ".claude.json"),
    JSON.stringify({
      // The Deno form (deno is on every install path's PATH), so the check does not depend on Node being there.
      mcpServers: {
        memory: { command: "deno", args: ["run", "-A", "npm:@modelcontextprotocol/server-memory@2026.8.31"] },
      },
    }),
  );
  const env: Record<string, string> = {
    HOME: home,
    NO_COLOR: "1",
    RUST_BACKTRACE: "0",
    DENO_NO_UPDATE_CHECK: "1",
  };
  for (const k of CARRIED) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  // Deno as the user installed it (its folder on PATH), and the system's tools; nothing from the test's HOME.
  const systemPath = (Deno.env.get("PATH") ?? "").split(":").filter((p) =>
    p && !p.startsWith(Deno.env.get("HOME") ?? "\0")
  );
  return {
    home,
    work,
    async run(command, args, opts = {}) {
      const out = await new Deno.Command(command, {
        args,
        cwd: opts.cwd ?? work,
        clearEnv: true,
        env: { ...env, PATH: [...(opts.extraPath ?? []), dirname(Deno.execPath()), ...systemPath].join(":") },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(180_000),
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    },
    [Symbol.asyncDispose]: () => Deno.remove(base, { recursive: true }),
  };
}

/**
 * The last two steps of every install path in docs/install.md: `agentperms --version`, then
 * `agentperms doctor`, which must find the user's one server and fail nothing.
 * @param user the fresh user
 * @param agentperms how this install path starts AgentPerms (command and leading args)
 * @param version the version deno.json declares
 * @param opts extra PATH folders (the install's bin folder)
 */
export async function assertVersionAndDoctor(
  user: FreshUser,
  agentperms: [string, ...string[]],
  version: string,
  opts: { extraPath?: string[] } = {},
): Promise<void> {
  const [command, ...lead] = agentperms;
  const v = await user.run(command, [...lead, "--version"], opts);
  assert.equal(v.code, 0, v.stderr);
  assert.equal(v.stdout.trim(), version);
  const d = await user.run(command, [...lead, "doctor", "--format", "json"], opts);
  assert.equal(d.code, 0, `doctor failed a check:\n${d.stdout}\n${d.stderr}`);
  const report = JSON.parse(d.stdout) as { status: string; servers: { client: string; server: string }[] };
  assert.notEqual(report.status, "fail");
  assert.deepEqual(report.servers.map((s) => [s.client, s.server]), [["claude-code", "memory"]]);
}
