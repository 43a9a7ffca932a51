/**
 * Installs the compatibility set (15 popular npm MCP servers, `servers.json`) once into a cache folder and
 * returns where each server's JS entry is.
 *
 * Run as a script to install and print name → entry:
 *   deno run -A tests/sandbox/compat/install.ts [dir]
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import SERVERS_JSON from "./servers.json" with { type: "json" };
import { npmInstallOnce, readJson } from "../../_install_cache.ts";

/** One row of `servers.json`. */
export interface CompatServer {
  /** Short name used in tests and traces. */
  name: string;
  /** npm package name. */
  pkg: string;
  /** Exact version (pinned: a new release is a deliberate change). */
  version: string;
  /** The key of `bin` in the package's package.json that starts the stdio server. */
  bin: string;
  /** Arguments after the bin; `${WORK}` stands for a temp folder the test makes. */
  args: string[];
  /** Dummy values a server needs to START (never real secrets); `${WORK}` is substituted too. */
  env: Record<string, string>;
  /** Starts and answers initialize + tools/list here (only npm and loopback reachable) in node form. */
  startsWithoutNetwork: boolean;
  /** The same, started as `npx -y pkg@version` (npm registry reachable, real npm cache, fresh HOME). */
  startsWithNpx: boolean;
  /** Why a server does not start, or what it does at start that matters for the sandbox. */
  note: string;
}

/** The compatibility set, as listed in `servers.json` (shape checked at load, so a typo fails loudly). */
export const COMPAT_SERVERS: readonly CompatServer[] = checkServers(SERVERS_JSON as unknown);

function checkServers(rows: unknown): CompatServer[] {
  if (!Array.isArray(rows)) throw new Error("servers.json must be an array");
  const names = new Set<string>();
  for (const [i, r] of rows.entries()) {
    const bad = (what: string) => new Error(`servers.json[${i}]: ${what}`);
    for (const k of ["name", "pkg", "version", "bin", "note"]) {
      if (typeof r?.[k] !== "string") throw bad(`"${k}" must be a string`);
    }
    if (!/^\d+\.\d+\.\d+$/.test(r.version)) throw bad(`version "${r.version}" is not exact`);
    if (!Array.isArray(r.args) || !r.args.every((a: unknown) => typeof a === "string")) {
      throw bad(`"args" must be strings`);
    }
    if (typeof r.env !== "object" || !Object.values(r.env).every((v) => typeof v === "string")) {
      throw bad(`"env" must map names to strings`);
    }
    for (const k of ["startsWithoutNetwork", "startsWithNpx"]) {
      if (typeof r[k] !== "boolean") throw bad(`"${k}" must be a boolean`);
    }
    if (names.has(r.name)) throw bad(`duplicate name "${r.name}"`);
    names.add(r.name);
  }
  return rows as CompatServer[];
}

/** Repository root. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The default cache folder: `$AGENTPERMS_COMPAT_DIR`, else `<repo>/.cache/compat-servers` (git must ignore
 * `.cache/`: the install is about 750 MB).
 *
 * @returns an absolute path
 */
export function defaultCompatDir(): string {
  return Deno.env.get("AGENTPERMS_COMPAT_DIR") ?? join(ROOT, ".cache", "compat-servers");
}

const STAMP = ".agentperms-compat-stamp.json";

/**
 * Replaces `${WORK}` in an argument or env value.
 *
 * @param value an entry of `args` or a value of `env`
 * @param work the test's temp folder
 * @returns the value with every `${WORK}` replaced
 */
export function substituteWork(value: string, work: string): string {
  return value.replaceAll("${WORK}", work);
}

/**
 * Installs every server of `servers.json` with one `npm install --prefix <dir>`, unless the stamp file
 * says the same versions are already there. Browsers are never downloaded (Playwright, Puppeteer).
 * Concurrent callers (parallel tests) serialize on a lock folder next to `dir`.
 *
 * @param dir the cache folder (created if missing)
 * @returns name → absolute path of the installed bin's JS entry (`node_modules/<pkg>/<bin path>`)
 * @throws Error when npm fails or a package lacks the expected bin
 */
export async function installCompatServers(
  dir: string = defaultCompatDir(),
): Promise<Record<string, string>> {
  dir = resolve(dir);
  const want = COMPAT_SERVERS.map((s) => `${s.pkg}@${s.version}`).sort();
  await npmInstallOnce(dir, want, {
    what: "the compatibility set",
    stamp: STAMP,
    present: () => allPresent(dir),
    npmArgs: ["--ignore-scripts=false"],
    env: { PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1", PUPPETEER_SKIP_DOWNLOAD: "1" },
  });
  const entries: Record<string, string> = {};
  for (const s of COMPAT_SERVERS) entries[s.name] = await binEntry(dir, s);
  return entries;
}

/** Whether every package's installed version is the pinned one. */
async function allPresent(dir: string): Promise<boolean> {
  for (const s of COMPAT_SERVERS) {
    const pj = await readJson(join(dir, "node_modules", s.pkg, "package.json")) as
      | { version?: string }
      | null;
    if (pj?.version !== s.version) return false;
  }
  return true;
}

/** The absolute path of `s.bin` inside the installed package. */
async function binEntry(dir: string, s: CompatServer): Promise<string> {
  const pkgDir = join(dir, "node_modules", s.pkg);
  const pj = await readJson(join(pkgDir, "package.json")) as
    | { name?: string; bin?: string | Record<string, string> }
    | null;
  if (!pj) throw new Error(`Package "${s.pkg}" is not installed in "${dir}"`);
  // A string `bin` is named after the package (without scope).
  const bins = typeof pj.bin === "string" ? { [s.pkg.replace(/^@[^/]+\//, "")]: pj.bin } : pj.bin ?? {};
  const rel = bins[s.bin];
  if (!rel) throw new Error(`Package "${s.pkg}" has no bin "${s.bin}": has ${Object.keys(bins).join(", ")}`);
  return resolve(pkgDir, rel);
}

if (import.meta.main) {
  const t0 = performance.now();
  const entries = await installCompatServers(Deno.args[0] ?? defaultCompatDir());
  await Deno.stdout.write(new TextEncoder().encode(JSON.stringify(entries, null, 2) + "\n"));
  await Deno.stderr.write(
    new TextEncoder().encode(`installed in ${Math.round(performance.now() - t0)} ms\n`),
  );
}
