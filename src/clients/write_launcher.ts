import { join } from "node:path";

/**
 * Variables the proxy itself needs that some clients do not pass on (Codex gives a server only a short
 * allowlist): Deno's cache, CA bundles, proxy settings. Captured when a config is wired.
 */
export const CARRIED_ENV = [
  "DENO_DIR",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
  "HTTPS_PROXY",
  "HTTP_PROXY",
  "NO_PROXY",
  "https_proxy",
  "http_proxy",
  "no_proxy",
  "npm_config_cache",
  "npm_config_registry",
  "XDG_STATE_HOME",
] as const;

/**
 * Where the launcher lives: `$XDG_DATA_HOME/agentperms/bin/agentperms` (or `~/.local/share/…`).
 * @param env HOME and XDG_DATA_HOME
 * @returns the path, or undefined without a home
 */
export function launcherPath(env: Record<string, string | undefined>): string | undefined {
  const data = env.XDG_DATA_HOME?.startsWith("/")
    ? env.XDG_DATA_HOME
    : env.HOME
    ? join(env.HOME, ".local/share")
    : undefined;
  return data ? join(data, "agentperms", "bin", "agentperms") : undefined;
}

/** The span queue the launcher gives Deno's exporter for `--otel` (Deno's default drops spans in bursts). */
export const OTEL_QUEUE_SIZE = 65536;

/**
 * The launcher script's text: pins the Deno binary and the CLI entry (a checkout's cli.ts or a bundle),
 * carries the environment the proxy needs when the client passes a short one, and says how to re-point it.
 * A variable the client does pass wins over the captured value.
 * @param self the command that starts AgentPerms now (`selfCommand()`)
 * @param env the environment at wiring time
 * @param now when it is written
 * @returns the script (POSIX sh)
 */
export function launcherScript(self: string[], env: Record<string, string | undefined>, now: Date): string {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const lines = [
    "#!/bin/sh",
    `# AgentPerms launcher, written by \`agentperms record/enforce\` on ${now.toISOString()}.`,
    "# MCP client configs wired by AgentPerms start the proxy through this file, so moving the checkout or",
    "# clearing a package cache breaks only this one file: re-point DENO / the entry below, or run",
    "# `agentperms record` (or `enforce`) again from the new place, which rewrites it. `agentperms doctor`",
    "# checks that what it names still exists.",
  ];
  // Deno's cache: the one in use now, so a client with another HOME or none does not start a cold cache.
  const denoDir = env.DENO_DIR ??
    (env.HOME
      ? Deno.build.os === "darwin"
        ? `${env.HOME}/Library/Caches/deno`
        : `${env.XDG_CACHE_HOME ?? `${env.HOME}/.cache`}/deno`
      : undefined);
  for (const k of CARRIED_ENV) {
    // Proxy credentials are not written into a file that outlives their rotation: host and port only.
    const v = k === "DENO_DIR" ? denoDir : /proxy$/i.test(k) ? withoutUserinfo(env[k]) : env[k];
    if (v === undefined || v === "") continue;
    lines.push(`[ -n "\${${k}:-}" ] || ${k}=${q(v)}; export ${k}`);
  }
  // Deno's OpenTelemetry exporter starts only when OTEL_DENO is set before the process starts: `--otel`
  // (before `--`, the server's own arguments are not ours) sets it here, with a batch queue large enough that
  // no decision is dropped at 20k/s (the default queue dropped 16k of 20k spans in a burst here).
  lines.push(
    'for a in "$@"; do',
    '  [ "$a" = "--" ] && break',
    '  if [ "$a" = "--otel" ]; then',
    '    [ -n "${OTEL_DENO:-}" ] || OTEL_DENO=true; export OTEL_DENO',
    `    [ -n "\${OTEL_BSP_MAX_QUEUE_SIZE:-}" ] || OTEL_BSP_MAX_QUEUE_SIZE=${OTEL_QUEUE_SIZE}; export OTEL_BSP_MAX_QUEUE_SIZE`,
    "  fi",
    "done",
  );
  lines.push(`exec ${self.map(q).join(" ")} "$@"`, "");
  return lines.join("\n");
}

/**
 * Writes the launcher (folder 0700, file 0700) when AgentPerms runs from Deno (a checkout or a bundle);
 * a compiled binary is already one stable file and is used as it is.
 * @param self `selfCommand()`
 * @param env the environment at wiring time (HOME, XDG_DATA_HOME and the carried variables)
 * @param now the time written into the script
 * @returns the command a wired entry should start (`[launcher]`, or `self` for a binary or without a home)
 */
export async function writeLauncher(
  self: string[],
  env: Record<string, string | undefined>,
  now: Date,
): Promise<string[]> {
  if (self.length === 1) return self; // a compiled binary
  const path = launcherPath(env);
  if (path === undefined) return self;
  const dir = path.slice(0, path.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
  const text = launcherScript(self, env, now);
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, text, { mode: 0o700 });
  await Deno.chmod(tmp, 0o700);
  await Deno.rename(tmp, path);
  return [path];
}

function withoutUserinfo(v: string | undefined): string | undefined {
  return v?.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1");
}
