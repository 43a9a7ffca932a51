/**
 * Installs the real MCP clients (Claude Code, Gemini CLI, Codex) and a locally installed MCP server
 * (`@modelcontextprotocol/server-filesystem`, for the `node <dir>/dist/index.js` form) from the npm registry,
 * once, into `<repo>/.cache/real-clients` (git ignores `.cache/`), with a stamp of the pinned versions.
 *
 * Run as a script to install and print where everything is:
 *   deno run -A tests/clients/_real_clients_install.ts [dir]
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { npmInstallOnce, readJson } from "../_install_cache.ts";

/** Pinned packages: a new release is a deliberate change (check with `npm view <pkg> version`). */
export const REAL_CLIENT_PACKAGES = {
  claude: { pkg: "@anthropic-ai/claude-code", version: "2.1.337", bin: "claude" },
  gemini: { pkg: "@google/gemini-cli", version: "0.61.0", bin: "gemini" },
  codex: { pkg: "@openai/codex", version: "0.171.0", bin: "codex" },
  filesystem: {
    pkg: "@modelcontextprotocol/server-filesystem",
    version: "2026.8.31",
    bin: "mcp-server-filesystem",
  },
} as const;

/** The npx-form server (not installed here: npx fetches it into the real npm cache). */
export const NPX_MEMORY = "@modelcontextprotocol/server-memory@2026.8.31";

/** What `installRealClients` returns: absolute paths. */
export interface RealClients {
  /** The folder everything was installed into. */
  dir: string;
  /** `node_modules/.bin/claude`. */
  claude: string;
  /** `node_modules/.bin/gemini`. */
  gemini: string;
  /** `node_modules/.bin/codex`. */
  codex: string;
  /** The JS entry of server-filesystem (`…/dist/index.js`), started as `node <entry> <folder>`. */
  filesystemEntry: string;
  /** How long the install took (0 when the stamp matched). */
  installMs: number;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STAMP = ".agentperms-real-clients-stamp.json";

/**
 * The cache folder: `$AGENTPERMS_REAL_CLIENTS_DIR`, else `<repo>/.cache/real-clients`.
 *
 * @returns an absolute path
 */
export function defaultRealClientsDir(): string {
  return Deno.env.get("AGENTPERMS_REAL_CLIENTS_DIR") ?? join(ROOT, ".cache", "real-clients");
}

/** The pinned specs, sorted (what the stamp holds). */
function wanted(): string[] {
  return Object.values(REAL_CLIENT_PACKAGES).map((p) => `${p.pkg}@${p.version}`).sort();
}

/**
 * Installs the pinned packages with one `npm install --prefix <dir>` unless the stamp says they are there.
 * Concurrent callers serialize on a lock folder next to `dir`.
 *
 * @param dir the cache folder (created if missing)
 * @returns where each client's bin and the server's entry are
 * @throws Error when npm fails (its stderr's tail in the message) or a package lacks its bin
 */
export async function installRealClients(dir: string = defaultRealClientsDir()): Promise<RealClients> {
  dir = resolve(dir);
  const want = wanted();
  const t0 = performance.now();
  const ran = await npmInstallOnce(dir, want, {
    what: "the real clients",
    stamp: STAMP,
    present: () => allPresent(dir),
  });
  const installMs = ran ? Math.round(performance.now() - t0) : 0;
  const bin = (name: string) => join(dir, "node_modules", ".bin", name);
  const fs = REAL_CLIENT_PACKAGES.filesystem;
  const pj = await readJson(join(dir, "node_modules", fs.pkg, "package.json")) as
    | { bin?: string | Record<string, string> }
    | null;
  const rel = typeof pj?.bin === "string" ? pj.bin : pj?.bin?.[fs.bin];
  if (!rel) throw new Error(`Package "${fs.pkg}" in "${dir}" has no bin "${fs.bin}"`);
  const result: RealClients = {
    dir,
    claude: bin(REAL_CLIENT_PACKAGES.claude.bin),
    gemini: bin(REAL_CLIENT_PACKAGES.gemini.bin),
    codex: bin(REAL_CLIENT_PACKAGES.codex.bin),
    filesystemEntry: resolve(join(dir, "node_modules", fs.pkg), rel),
    installMs,
  };
  for (const p of [result.claude, result.gemini, result.codex, result.filesystemEntry]) {
    await Deno.stat(p).catch(() => {
      throw new Error(`"${p}" is missing after the install into "${dir}"`);
    });
  }
  return result;
}

/**
 * Whether the npm registry answers, asked through npm itself (its configured registry, proxy and CA).
 *
 * @param timeoutMs how long to wait
 * @returns null when reachable, else what went wrong
 */
export async function registryProblem(timeoutMs = 20_000): Promise<string | null> {
  const child = new Deno.Command("npm", {
    args: ["view", `${REAL_CLIENT_PACKAGES.codex.pkg}@${REAL_CLIENT_PACKAGES.codex.version}`, "version"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, timeoutMs);
  const out = await child.output().finally(() => clearTimeout(timer));
  if (out.success) return null;
  const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" ");
  return out.signal ? `npm view timed out after ${timeoutMs} ms` : `npm view failed: ${err}`;
}

async function allPresent(dir: string): Promise<boolean> {
  for (const p of Object.values(REAL_CLIENT_PACKAGES)) {
    const pj = await readJson(join(dir, "node_modules", p.pkg, "package.json")) as
      | { version?: string }
      | null;
    if (pj?.version !== p.version) return false;
  }
  return true;
}

if (import.meta.main) {
  const r = await installRealClients(Deno.args[0] ?? defaultRealClientsDir());
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(r, null, 2) + "\n"));
}
