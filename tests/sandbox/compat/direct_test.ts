/**
 * Baseline for the compatibility set: every server `servers.json` marks `startsWithoutNetwork` starts
 * DIRECTLY (node + its installed entry, no AgentPerms) and answers initialize + tools/list with at least
 * one tool. The proxy test compares against this.
 */
import assert from "node:assert/strict";
import { COMPAT_SERVERS, type CompatServer, installCompatServers, substituteWork } from "./install.ts";
import { type ProbeResult, probeServer } from "./probe.ts";

const PARALLEL = 3;

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

/** Probes one server in node form with its own HOME and work folder (both removed afterwards). */
async function probeDirect(s: CompatServer, entry: string): Promise<ProbeResult> {
  await using home = await tempDir(`ap-compat-home-${s.name}-`);
  await using work = await tempDir(`ap-compat-work-${s.name}-`);
  const env: Record<string, string> = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: home.path };
  for (const [k, v] of Object.entries(s.env)) env[k] = substituteWork(v, work.path);
  const args = s.args.map((a) => substituteWork(a, work.path));
  return await probeServer(["node", entry, ...args], { env, cwd: work.path, timeoutMs: 30_000 });
}

async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  return { path, [Symbol.asyncDispose]: () => removeSettled(path) };
}

/**
 * Removes a folder a server's stray children may still be writing into (chrome-devtools' browser profile):
 * a few tries, a short wait between them, instead of failing the probe on "Directory not empty".
 */
async function removeSettled(path: string): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      return await Deno.remove(path, { recursive: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      if (attempt >= 10) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

Deno.test({
  name: "probeServer() gets initialize and tools/list from every offline-capable compat server run by node",
  // npm install runs once (about a minute, then cached); servers may leave timers we do not own.
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const entries = await installCompatServers();
    const servers = COMPAT_SERVERS.filter((s) => s.startsWithoutNetwork);
    assert.ok(servers.length >= 10, `only ${servers.length} servers are marked startsWithoutNetwork`);
    const results = await pool(servers.map((s) => () => probeDirect(s, entries[s.name]!)), PARALLEL);
    const failures = servers.flatMap((s, i) => {
      const r = results[i]!;
      return r.ok && r.tools.length >= 1
        ? []
        : [`${s.name}: ${r.error ?? `${r.tools.length} tools`}\n  stderr: ${r.stderrTail.slice(-500)}`];
    });
    assert.deepEqual(failures, [], `servers that did not start directly:\n${failures.join("\n")}`);
  },
});
