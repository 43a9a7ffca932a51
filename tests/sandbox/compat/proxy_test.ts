/**
 * The compatibility set BEHIND the AgentPerms proxy: every server that starts directly (`direct_test.ts`,
 * `startsWithoutNetwork`) must start inside the OS sandbox (bubblewrap) and answer initialize + tools/list,
 * in `record` and `enforce` mode, started both as `npx -y pkg@version args` and as `node <installed entry>
 * args`. The real CLI is driven exactly as `agentperms record/enforce` wiring writes a client config's entry:
 *
 *   deno run -A --config <repo>/deno.json <repo>/cli.ts proxy --mode <m> --server <name> [--policy P]
 *     --trace-dir <tmp> --no-tty [--server-env A,B] -- <argv>
 *
 * Record mode runs without a policy (first use: learn one). Enforce mode uses a policy that lists the server
 * with no rules (`servers: { <name>: {} }`), plus `allowed_paths: [<WORK>]` for filesystem, so only the
 * sandbox's derived defaults decide. Each case gets a fresh HOME, work folder and trace folder; npm's cache
 * and Deno's cache stay the real ones so nothing is downloaded. The npx form runs the package from npm's npx
 * cache (the proxy's runtime derivation replaces npx by the package's bin there); `warmNpxCache` fills it once,
 * outside the timed part, as a first `npx -y` would (browser downloads skipped, as in `installCompatServers`).
 *
 * Every case is checked to have really run in the OS sandbox (the trace's "is contained (OS sandbox, <mode>)"
 * event): record mode falls back to running uncontained when bubblewrap is missing, and a pass there would
 * prove nothing.
 *
 * All 14 startable servers × 2 forms × 2 modes run (56 proxies, 2 at a time: 30-60 s here after the
 * install, well under the 4-minute budget, so no subset is needed). Known failures sit in `EXPECT_FAIL` with
 * their root cause and the generic fix; such a case must still fail, with a message matching `match`, so a
 * fix (or a different breakage) makes this test fail until the table is updated. supabase is not in the
 * matrix: it cannot answer tools/list offline even directly (`startsWithoutNetwork: false`: it fetches a
 * GraphQL schema from supabase.com), and a test below pins that exclusion so it never widens silently.
 *
 * Each case's HOME is NOT under /tmp (record mode makes /tmp writable, which would hide every write-to-home
 * failure), and the workspace is a folder inside it (~/project), as for most users.
 *
 * Debug one server: AGENTPERMS_COMPAT_ONLY=desktop-commander deno test -A tests/sandbox/compat/proxy_test.ts
 * (the known-failure table is then checked for the selected servers only).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { COMPAT_SERVERS, type CompatServer, installCompatServers, substituteWork } from "./install.ts";
import { type ProbeResult, probeServer } from "./probe.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PARALLEL = 2;
const TIMEOUT_MS = 30_000;

type Form = "npx" | "node";
type Mode = "record" | "enforce";

/** A case's key: `<server>/<form>/<mode>`. */
type CaseKey = `${string}/${Form}/${Mode}`;

/** A known failure: why (root cause and the generic fix), and what its error or stderr must match. */
interface ExpectedFailure {
  reason: string;
  match: RegExp;
}

/**
 * Known failures behind the proxy, each reproduced and explained where its reason is defined. A case listed
 * here must fail with `match`; one not listed must pass.
 */
// desktop-commander used to fail here: it creates ~/.claude-server-commander at import time, and the
// sandbox's home was read-only. The home is now private and writable with the real entries read-only in it.
const EXPECT_FAIL: Partial<Record<CaseKey, ExpectedFailure>> = {};

/** Servers left out of the matrix, and why (pinned by a test so the list never grows silently). */
const NOT_STARTABLE_DIRECTLY = ["supabase"];

interface Outcome {
  key: CaseKey;
  ok: boolean;
  contained: boolean;
  ms: number;
  probe: ProbeResult;
  /** The bwrap command line from the trace's "proxy started" event. */
  launch?: string;
  traceHead: string;
}

/** Runs `jobs` with at most `n` at a time, keeping their order in the result. */
async function pool<T>(jobs: Array<() => Promise<T>>, n: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

async function tempDir(prefix: string, dir: string): Promise<{ path: string } & AsyncDisposable> {
  await Deno.mkdir(dir, { recursive: true });
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix, dir }));
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}) };
}

/** The real caches, so a fresh HOME re-downloads nothing. */
function realCaches(): Record<string, string> {
  const home = Deno.env.get("HOME") ?? "/root";
  return {
    npm_config_cache: Deno.env.get("npm_config_cache") ?? Deno.env.get("NPM_CONFIG_CACHE") ?? `${home}/.npm`,
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("XDG_CACHE_HOME") ?? `${home}/.cache`}/deno`,
  };
}

/** Whether npm's npx cache holds an install of exactly `spec` (how npx, and the proxy, find it). */
async function inNpxCache(cache: string, spec: string): Promise<boolean> {
  try {
    for await (const d of Deno.readDir(join(cache, "_npx"))) {
      const pj = await Deno.readTextFile(join(cache, "_npx", d.name, "package.json")).catch(() => "");
      const pkgs = (JSON.parse(pj || "{}") as { _npx?: { packages?: unknown } })._npx?.packages;
      if (Array.isArray(pkgs) && pkgs.length === 1 && pkgs[0] === spec) return true;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return false;
}

/**
 * Installs every npx-form package into npm's npx cache that is not there yet, as a first `npx -y` does, so
 * the timed cases never wait for the registry (desktop-commander's postinstall alone waits about 50 s).
 */
async function warmNpxCache(servers: readonly CompatServer[]): Promise<void> {
  const { npm_config_cache } = realCaches();
  for (const s of servers) {
    const spec = `${s.pkg}@${s.version}`;
    if (await inNpxCache(npm_config_cache!, spec)) continue;
    const out = await new Deno.Command("npm", {
      args: ["exec", "--yes", `--package=${spec}`, "-c", "true"],
      env: {
        npm_config_cache: npm_config_cache!,
        PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1",
        PUPPETEER_SKIP_DOWNLOAD: "1",
      },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(`npx install of ${spec} failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
    }
  }
}

/** The enforce-mode policy: the server listed with no rules (filesystem: its work folder allowed). */
function enforcePolicy(s: CompatServer, work: string): string {
  const rules = s.name === "filesystem" ? `{ allowed_paths: [${JSON.stringify(work)}] }` : "{}";
  return `version: 1\nservers:\n  ${JSON.stringify(s.name)}: ${rules}\n`;
}

/** Starts one server behind the proxy and probes it. */
async function probeBehindProxy(s: CompatServer, entry: string, form: Form, mode: Mode): Promise<Outcome> {
  const key: CaseKey = `${s.name}/${form}/${mode}`;
  // Not under /tmp: record mode makes /tmp writable, so a HOME there would hide every write-to-home failure.
  await using base = await tempDir(`${s.name}-`, join(ROOT, ".cache", "compat-proxy"));
  const home = { path: join(base.path, "home") };
  // The workspace inside the home, as most projects are (~/project).
  const work = { path: join(home.path, "project") };
  const traces = { path: join(base.path, "traces") };
  for (const d of [work.path, traces.path]) await Deno.mkdir(d, { recursive: true });
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home.path,
    ...realCaches(),
  };
  for (const [k, v] of Object.entries(s.env)) env[k] = substituteWork(v, work.path);
  const args = s.args.map((a) => substituteWork(a, work.path));
  const server = form === "npx" ? ["npx", "-y", `${s.pkg}@${s.version}`, ...args] : ["node", entry, ...args];
  const proxy = [
    Deno.execPath(),
    "run",
    "-A",
    "--config",
    join(ROOT, "deno.json"),
    join(ROOT, "cli.ts"),
    "proxy",
    "--mode",
    mode,
    "--server",
    s.name,
  ];
  if (mode === "enforce") {
    const policy = join(base.path, "mcp.policy.yaml");
    await Deno.writeTextFile(policy, enforcePolicy(s, work.path));
    proxy.push("--policy", policy);
  }
  proxy.push("--trace-dir", traces.path, "--no-tty");
  const names = Object.keys(s.env).sort();
  if (names.length > 0) proxy.push("--server-env", names.join(","));
  proxy.push("--", ...server);

  const t0 = performance.now();
  const probe = await probeServer(proxy, { env, cwd: work.path, timeoutMs: TIMEOUT_MS });
  const ms = Math.round(performance.now() - t0);
  let trace = "";
  for await (const f of Deno.readDir(traces.path)) {
    if (f.name.endsWith(".jsonl")) trace += await Deno.readTextFile(join(traces.path, f.name));
  }
  const details = trace.split("\n").flatMap((l) => {
    try {
      const ev = JSON.parse(l) as { kind?: string; detail?: string };
      return ev.kind === "lifecycle" && ev.detail ? [ev.detail] : [];
    } catch {
      return [];
    }
  });
  const contained = details.some((d) => d.includes(`is contained (OS sandbox, ${mode})`));
  const launch = details.find((d) => d.startsWith("proxy started") && d.includes("bwrap"));
  return {
    key,
    ok: probe.ok && probe.tools.length >= 1,
    contained,
    ms,
    probe,
    launch,
    traceHead: details.slice(0, 12).join("\n"),
  };
}

/** What went wrong in a case, for the failure message. */
function describe(o: Outcome): string {
  return [
    `${o.key}: ${o.probe.error ?? `${o.probe.tools.length} tools`}${o.contained ? "" : " (NOT contained)"}`,
    `  stderr: ${o.probe.stderrTail.slice(-800).replaceAll("\n", "\n    ")}`,
    `  launch: ${o.launch ?? "(no proxy started event)"}`,
  ].join("\n");
}

function cases(all = false): Array<{ s: CompatServer; form: Form; mode: Mode }> {
  const only = all ? undefined : Deno.env.get("AGENTPERMS_COMPAT_ONLY")?.split(",");
  const out: Array<{ s: CompatServer; form: Form; mode: Mode }> = [];
  for (const s of COMPAT_SERVERS) {
    if (!s.startsWithoutNetwork) continue;
    if (only && !only.includes(s.name)) continue;
    for (const form of ["node", "npx"] as const) {
      if (form === "npx" && !s.startsWithNpx) continue;
      for (const mode of ["enforce", "record"] as const) out.push({ s, form, mode });
    }
  }
  return out;
}

Deno.test("the proxy compatibility matrix leaves out only the servers that cannot start directly, and EXPECT_FAIL names only its cases", () => {
  assert.deepEqual(
    COMPAT_SERVERS.filter((s) => !s.startsWithoutNetwork || !s.startsWithNpx).map((s) => s.name),
    NOT_STARTABLE_DIRECTLY,
  );
  // A known failure naming no case (a typo, a server dropped) would never be checked.
  const keys = new Set(cases(true).map(({ s, form, mode }) => `${s.name}/${form}/${mode}`));
  assert.deepEqual(Object.keys(EXPECT_FAIL).filter((k) => !keys.has(k)), []);
});

Deno.test({
  name: "proxy starts every directly startable compat server in the OS sandbox and relays tools/list",
  // Servers may leave timers we do not own; the probe kills every process group it started.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const entries = await installCompatServers();
    const list = cases();
    assert.ok(list.length >= 1, "no cases selected");
    await warmNpxCache([...new Set(list.filter((c) => c.form === "npx").map((c) => c.s))]);
    const t0 = performance.now();
    const outcomes = await pool(
      list.map(({ s, form, mode }) => () => probeBehindProxy(s, entries[s.name]!, form, mode)),
      PARALLEL,
    );
    const total = Math.round(performance.now() - t0);
    const problems: string[] = [];
    const rows: string[] = [];
    for (const o of outcomes) {
      const want = EXPECT_FAIL[o.key];
      const text = `${o.probe.error ?? ""}\n${o.probe.stderrTail}`;
      rows.push(
        `${o.key.padEnd(36)} ${o.ok ? "pass" : "FAIL"}${want ? " (expected)" : ""} ${o.ms} ms ${
          o.ok ? `${o.probe.tools.length} tools` : (o.probe.error ?? "").slice(0, 120)
        }`,
      );
      if (!o.contained) problems.push(`not contained in the OS sandbox:\n${describe(o)}\n${o.traceHead}`);
      else if (want && o.ok) {
        problems.push(`${o.key} passes now, but EXPECT_FAIL says "${want.reason}": update the table`);
      } else if (want && !want.match.test(text)) {
        problems.push(`${o.key} fails differently than EXPECT_FAIL says (${want.match}):\n${describe(o)}`);
      } else if (!want && !o.ok) problems.push(`fails behind the proxy:\n${describe(o)}`);
    }
    // The table and timings, for the person reading a CI log.
    await Deno.stderr.write(
      new TextEncoder().encode(
        `\n${rows.join("\n")}\n${outcomes.length} cases in ${total} ms (${PARALLEL} at a time)\n`,
      ),
    );
    assert.deepEqual(problems, [], problems.join("\n\n"));
  },
});
