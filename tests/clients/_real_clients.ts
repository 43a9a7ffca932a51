/**
 * Helpers for the real-client tests: a throwaway HOME per client, running the clients and the AgentPerms CLI
 * with a timeout, and reading what the proxy wrote.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The environment variables Codex 0.171 passes to a stdio MCP server on Linux when its entry sets none
 * (codex-rs `rmcp-client`, `DEFAULT_ENV_VARS`): everything else, `DENO_DIR` and the CA bundle included, is dropped.
 */
export const CODEX_ENV_ALLOWLIST: readonly string[] = [
  "HOME",
  "LOGNAME",
  "PATH",
  "SHELL",
  "USER",
  "LANG",
  "LC_ALL",
  "TERM",
  "TMPDIR",
  "TZ",
];

/** Variables a client and npm need to reach the registry from this machine (proxy, CA bundle). */
const PASS_THROUGH = [
  "PATH",
  "LANG",
  "LC_ALL",
  "TZ",
  "USER",
  "LOGNAME",
  "SHELL",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "NODE_EXTRA_CA_CERTS",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "DENO_CERT",
  "npm_config_registry",
  "NPM_CONFIG_REGISTRY",
];

/** A throwaway HOME with a project folder, a data folder, and the test's own state and trace folders. */
export interface Sandbox extends AsyncDisposable {
  /** The temp root (removed at dispose). */
  root: string;
  /** The throwaway HOME. */
  home: string;
  /** The project folder the client runs in (cwd). */
  project: string;
  /** The folder server-filesystem is given. */
  data: string;
  /** `XDG_STATE_HOME` for everything started here. */
  state: string;
  /** Where the wired proxies write traces (`--trace-dir`). */
  traces: string;
  /** The environment the clients and the CLI run with. */
  env: Record<string, string>;
}

/**
 * Makes a throwaway HOME and the environment to run clients in: the real npm cache (so npx need not
 * download), the real Deno cache (so the wired proxy starts without downloading), no auto-updaters or
 * telemetry, and XDG folders inside the temp root.
 *
 * @param label a short name for the temp folder
 * @returns the folders and env; `await using` removes them
 */
export async function makeSandbox(label: string): Promise<Sandbox> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: `agentperms-real-${label}-` }));
  const home = join(root, "home");
  const project = join(root, "project");
  const data = join(root, "data");
  const state = join(root, "state");
  const traces = join(root, "traces");
  for (const d of [home, project, data, state]) await Deno.mkdir(d, { recursive: true });
  await Deno.writeTextFile(join(data, "hello.txt"), "hello from the data folder\n");
  const env: Record<string, string> = {};
  for (const k of PASS_THROUGH) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  Object.assign(env, {
    HOME: home,
    // TMPDIR stays the system's (/tmp): the proxy puts Unix sockets there, and long paths are their own test.
    XDG_STATE_HOME: state,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_CACHE_HOME: join(home, ".cache"),
    npm_config_cache: await realNpmCache(),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    DENO_DIR: await realDenoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    GEMINI_TELEMETRY_ENABLED: "false",
    NO_BROWSER: "true",
    NO_COLOR: "1",
    TERM: "dumb",
  });
  return {
    root,
    home,
    project,
    data,
    state,
    traces,
    env,
    // A client's own children (gemini's, npx's) may still be writing for a moment: retry once.
    [Symbol.asyncDispose]: () =>
      Deno.remove(root, { recursive: true }).catch(async () => {
        await new Promise((r) => setTimeout(r, 1000));
        await Deno.remove(root, { recursive: true }).catch(() => {});
      }),
  };
}

let npmCache: Promise<string> | undefined;
let denoDir: Promise<string> | undefined;

/** `npm config get cache` of the real user (asked once). */
export function realNpmCache(): Promise<string> {
  npmCache ??= (async () => {
    const fromEnv = Deno.env.get("npm_config_cache");
    if (fromEnv) return fromEnv;
    const r = await runTool("npm", ["config", "get", "cache"], { timeoutMs: 30_000 });
    if (r.code !== 0 || !r.stdout.trim()) throw new Error(`npm config get cache failed: ${r.stderr}`);
    return r.stdout.trim();
  })();
  return npmCache;
}

/** The Deno cache folder this test process uses (`deno info --json`). */
export function realDenoDir(): Promise<string> {
  denoDir ??= (async () => {
    const fromEnv = Deno.env.get("DENO_DIR");
    if (fromEnv) return fromEnv;
    const r = await runTool(Deno.execPath(), ["info", "--json"], { timeoutMs: 30_000 });
    const dir = (JSON.parse(r.stdout) as { denoDir?: string }).denoDir;
    if (!dir) throw new Error(`deno info --json gave no denoDir: ${r.stderr}`);
    return dir;
  })();
  return denoDir;
}

/** What a finished command gave. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Set when the command was killed for taking too long. */
  timedOut: boolean;
  ms: number;
}

/**
 * Runs a command to its end (stdin closed), killing it after `timeoutMs`.
 *
 * @param cmd the program
 * @param args its arguments
 * @param opts cwd, env (replaces the whole environment when given) and the timeout
 * @returns exit code, output and timing
 */
export async function runTool(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeoutMs: number },
): Promise<ToolResult> {
  const t0 = performance.now();
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: opts.env !== undefined,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, opts.timeoutMs);
  const out = await child.output().finally(() => clearTimeout(timer));
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    timedOut,
    ms: Math.round(performance.now() - t0),
  };
}

/** Formats a result for an assertion message. */
export function show(what: string, r: ToolResult): string {
  return `${what}: exit ${r.code}${
    r.timedOut ? " (timed out)" : ""
  } in ${r.ms} ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

/**
 * Runs the AgentPerms CLI from source as `deno run -A --config <repo>/deno.json <repo>/cli.ts …`.
 *
 * @param args CLI arguments
 * @param sb the sandbox (cwd = its project, env = its env)
 * @returns the result
 */
export function agentperms(args: string[], sb: Sandbox): Promise<ToolResult> {
  return runTool(
    Deno.execPath(),
    ["run", "-A", "--no-prompt", "--config", join(ROOT, "deno.json"), join(ROOT, "cli.ts"), ...args],
    { cwd: sb.project, env: sb.env, timeoutMs: 60_000 },
  );
}

/** One trace file, as far as these tests care. */
export interface TraceSummary {
  file: string;
  server: string;
  mode: string;
  /** Every lifecycle event's detail, in order. */
  lifecycle: string[];
  /** The `kind` of every event. */
  kinds: string[];
}

/**
 * Reads every `.jsonl` trace in a folder.
 *
 * @param dir the trace folder (missing = no traces)
 * @returns one summary per file, sorted by file name
 */
export async function readTraces(dir: string): Promise<TraceSummary[]> {
  const out: TraceSummary[] = [];
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".jsonl")).map((e) => e.name)
      .sort();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  for (const name of names) {
    const file = join(dir, name);
    const events = (await Deno.readTextFile(file)).split("\n").filter((l) => l.trim()).flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
    out.push({
      file,
      server: String(events[0]?.server ?? ""),
      mode: String(events[0]?.mode ?? ""),
      lifecycle: events.filter((e) => e.kind === "lifecycle").map((e) => String(e.detail ?? "")),
      kinds: events.map((e) => String(e.kind)),
    });
  }
  return out;
}

/**
 * The state folders the real user's AgentPerms writes to by default (`$XDG_STATE_HOME/agentperms` and
 * `~/.local/state/agentperms` of this test process).
 *
 * @returns absolute paths (some may not exist)
 */
export function realStateFolders(): string[] {
  const out: string[] = [];
  const xdg = Deno.env.get("XDG_STATE_HOME");
  if (xdg) out.push(join(xdg, "agentperms"));
  const home = Deno.env.get("HOME");
  if (home) out.push(join(home, ".local", "state", "agentperms"));
  return out;
}

/**
 * Every file under the folders whose name holds one of the markers (e.g. `-memory-npx-`): other tests that
 * run in parallel may write there, so only files of this test's servers count.
 *
 * @param folders where to look
 * @param markers substrings of file names
 * @returns matching absolute paths
 */
export function filesNamed(folders: string[], markers: string[]): string[] {
  const hits: string[] = [];
  const walk = (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory) walk(p);
      else if (markers.some((m) => e.name.includes(m))) hits.push(p);
    }
  };
  for (const f of folders) walk(f);
  return hits;
}

/**
 * Sets a key deep in a JSON file (the trust flags), keeping the client's 2-space layout.
 *
 * @param file the JSON file (created when missing)
 * @param edit changes the parsed value in place
 */
export async function editJson(file: string, edit: (v: Record<string, unknown>) => void): Promise<void> {
  let value: Record<string, unknown> = {};
  try {
    value = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  edit(value);
  await Deno.writeTextFile(file, JSON.stringify(value, null, 2));
}
