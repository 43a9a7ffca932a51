import type { Command } from "commander";
import { dirname, resolve } from "node:path";
import { discover, type DiscoveredConfig, findVariables, type ServerEntry } from "../../clients/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import {
  diffLock,
  formatLockDiff,
  formatLockFile,
  listServer,
  type LockDiff,
  type LockedServerV1,
  type LockFileV1,
  lockServer,
  readLockFile,
  type ServerLaunch,
  verifyLaunches,
} from "../../lock/mod.ts";
import type { CommandEnv } from "../command_env.ts";
import { EXIT } from "../exit_codes.ts";
import type { Io } from "../io.ts";
import { writePrivateFile } from "../write_private_file.ts";

interface LockOptions {
  client?: string;
  path?: string;
  out: string;
  timeout: string;
  format: string;
  check?: boolean;
  verifyConfig?: boolean;
}

/** A configured stdio server, unwrapped, ready to start or compare. */
interface Target {
  name: string;
  launch: ServerLaunch;
  /** Where it was configured, for messages. */
  file: string;
}

/** At most this many servers start at once: enough to hide npm start-up latency, few enough for CI boxes. */
const CONCURRENCY = 4;

/** `agentperms lock`: pin every server's identity and tools, or compare with the pin. */
export function registerLock(program: Command, env: CommandEnv): void {
  program.command("lock")
    .description(
      "Pin every stdio MCP server's launch command, identity and tools in mcp.lock; --check shows drift as a diff",
    )
    .option("--client <name>", "only this client's configs (default: all)")
    .option("--path <file>", "a config file or directory to read instead of the clients' usual places")
    .option(
      "-o, --out <file>",
      "the lock file to write, or to compare with --check / --verify-config",
      "mcp.lock",
    )
    .option("--check", "start the servers and compare their live listings with the lock (exit 1 on drift)")
    .option("--verify-config", "start nothing: check each config entry's launch command against the lock")
    .option("--timeout <ms>", "per-server budget to start and list everything", "60000")
    .option("--format <format>", "text or json", "text")
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms lock                                   pin every configured stdio server in ./mcp.lock
  $ agentperms lock --client cursor --out .cursor/mcp.lock
  $ agentperms lock --check --format json             drift as NEW / REMOVED / CHANGED (+ field, word diff)
  $ agentperms lock --verify-config                   CI: a PR that swaps a server's command fails, nothing runs

The lock is YAML: sorted, one tool per block, descriptions as readable text, so a review diff shows
what a server changed. Entries already wired through AgentPerms are pinned by the command they wrap.
Remote (HTTP/SSE) and disabled entries are skipped and listed.

Exit: 0 ok, 1 drift, 2 usage, 3 missing/corrupt lock or unreadable config, 4 a server failed to start or list.`,
    )
    .action(async (opts: LockOptions) => {
      const { io } = env;
      if (opts.format !== "text" && opts.format !== "json") {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, { hint: "Use text or json" });
      }
      if (opts.check && opts.verifyConfig) {
        throw new AgentPermsError("usage", "Give at most one of --check and --verify-config");
      }
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        throw new AgentPermsError(
          "usage",
          `--timeout must be a positive number of milliseconds, got "${opts.timeout}"`,
        );
      }
      const lockPath = resolve(io.cwd(), opts.out);
      // Read the lock before touching configs or servers: a missing lock must fail closed, fast.
      const pinned = opts.check || opts.verifyConfig ? await readLockFile(lockPath) : undefined;
      const targets = await findTargets(io, opts);
      if (pinned && opts.verifyConfig) {
        const diff = verifyLaunches(pinned, new Map(targets.map((t) => [t.name, t.launch])));
        printDiff(io, opts, diff, [], `${opts.out}: ${targets.length} launch command(s) match`);
        env.setExit(diff.clean ? EXIT.ok : EXIT.gate);
        return;
      }
      if (!pinned && targets.length === 0) {
        throw new AgentPermsError(
          "config_invalid",
          "No stdio MCP servers found to lock; nothing was written",
          {
            hint: "Point --path at an MCP config file, or pick a client with --client",
          },
        );
      }
      const { live, failures } = await listAll(io, targets, timeoutMs);
      if (pinned) {
        // A server that could not be listed is reported as a failure, not as REMOVED drift.
        const failed = new Set(failures.map((f) => f.server));
        const known = { v: 1 as const, servers: without(pinned.servers, failed) };
        const diff = diffLock(known, live);
        const tools = Object.values(live.servers).reduce((n, s) => n + Object.keys(s.tools).length, 0);
        printDiff(
          io,
          opts,
          diff,
          failures,
          `${opts.out}: ${Object.keys(live.servers).length} server(s), ${tools} tool(s) match`,
        );
        env.setExit(failures.length ? EXIT.runtime : diff.clean ? EXIT.ok : EXIT.gate);
        return;
      }
      if (failures.length) {
        for (const f of failures) io.stderr(`error: ${f.error}\n`);
        throw new AgentPermsError(
          "upstream_failed",
          `${failures.length} of ${targets.length} server(s) could not be listed; "${opts.out}" was not written`,
          { hint: "Fix or remove those entries (or raise --timeout), then run `agentperms lock` again" },
        );
      }
      // Re-pinning is a review moment: show what the new lock changes, like --check would have.
      const previous = await readLockFile(lockPath).catch(() => undefined);
      const changes = previous ? diffLock(previous, live) : undefined;
      await writeAtomic(lockPath, formatLockFile(live));
      if (opts.format === "json") {
        io.stdout(JSON.stringify({ file: lockPath, servers: summary(live), changes }, null, 2) + "\n");
      } else {
        if (changes && !changes.clean) {
          io.stdout(`changes from the previous ${opts.out}:\n${formatLockDiff(changes)}`);
        }
        for (const s of summary(live)) {
          const who = s.serverInfo ? ` (${s.serverInfo.name} ${s.serverInfo.version})` : "";
          io.stdout(
            `locked "${s.name}"${who}: ${s.tools} tool(s), ${s.prompts} prompt(s), ${s.resources} resource(s)\n`,
          );
        }
        io.stdout(`wrote ${opts.out}\n`);
      }
      env.setExit(EXIT.ok);
    });
}

function without<T>(rec: Record<string, T>, names: Set<string>): Record<string, T> {
  return Object.fromEntries(Object.entries(rec).filter(([k]) => !names.has(k)));
}

function summary(lock: LockFileV1) {
  return Object.entries(lock.servers).map(([name, s]) => ({
    name,
    serverInfo: s.serverInfo,
    tools: Object.keys(s.tools).length,
    prompts: Object.keys(s.prompts ?? {}).length,
    resources: Object.keys(s.resources ?? {}).length,
  }));
}

function printDiff(
  io: Io,
  opts: LockOptions,
  diff: LockDiff,
  failures: { server: string; error: string }[],
  okLine: string,
): void {
  if (opts.format === "json") {
    io.stdout(
      JSON.stringify({ clean: diff.clean && !failures.length, servers: diff.servers, failures }, null, 2) +
        "\n",
    );
    return;
  }
  for (const f of failures) io.stderr(`error: ${f.error}\n`);
  if (diff.clean) {
    if (!failures.length) io.stdout(`${okLine}\n`);
    return;
  }
  io.stdout(formatLockDiff(diff));
  io.stderr(
    opts.verifyConfig
      ? `hint: launch commands differ from ${opts.out}; if intended, run \`agentperms lock\` and review the diff\n`
      : `hint: review the changes; if they are intended, run \`agentperms lock\` to re-pin\n`,
  );
}

/**
 * Stdio servers from the client configs, unwrapped. Unreadable configs fail closed (a config that
 * vanished or broke must not make the check pass); two configs giving one name different commands
 * are ambiguous for a lock keyed by server name.
 */
async function findTargets(io: Io, opts: LockOptions): Promise<Target[]> {
  const configs: DiscoveredConfig[] = await discover({ io, client: opts.client, path: opts.path });
  const broken = configs.filter((c) => c.errors.length);
  if (broken.length) {
    const lines = broken.flatMap((c) => c.errors.map((e) => `${c.file}: ${e}`));
    throw new AgentPermsError("config_invalid", `Cannot read MCP config: ${lines.join("; ")}`, {
      hint: "Fix the config, or narrow the search with --client or --path",
    });
  }
  const byName = new Map<string, Target>();
  for (const c of configs) {
    for (const s of c.servers) {
      // Notes go to stderr in every format: stdout stays parseable JSON.
      if (s.disabled) {
        io.stderr(`note: skipped "${s.name}" in ${c.file}: disabled\n`);
        continue;
      }
      if (s.transport !== "stdio" || !s.command) {
        io.stderr(`note: skipped "${s.name}" in ${c.file}: remote servers are not locked yet\n`);
        continue;
      }
      const t: Target = { name: s.name, launch: launchOf(s, c.file, io), file: c.file };
      const vars = [t.launch.command, ...t.launch.args, ...Object.values(t.launch.env ?? {})].flatMap(
        findVariables,
      );
      if (vars.length && !opts.verifyConfig) {
        // Clients expand these when they start the server; we cannot know their values (inputs are prompts).
        io.stderr(
          `note: "${s.name}" uses client variables (${
            [...new Set(vars)].join(", ")
          }); started with them unexpanded\n`,
        );
      }
      const prev = byName.get(s.name);
      if (prev && JSON.stringify(prev.launch) !== JSON.stringify(t.launch)) {
        throw new AgentPermsError(
          "config_invalid",
          `Server "${s.name}" is configured differently in "${prev.file}" and "${c.file}"`,
          { hint: "Lock one client at a time with --client or --path, each with its own --out" },
        );
      }
      byName.set(s.name, t);
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Wrapped entries are pinned by what they wrap, so wiring AgentPerms in is not a "command changed". */
function launchOf(s: ServerEntry, file: string, io: Io): ServerLaunch {
  const base = s.wrapped?.original ?? { command: s.command!, args: s.args };
  return {
    command: base.command,
    args: [...base.args],
    env: { ...s.env },
    // A relative cwd is read relative to its config file; with none, a project entry runs in its
    // project, anything else in our cwd (the client's own choice is unknowable).
    cwd: s.cwd !== undefined ? resolve(dirname(file), s.cwd) : s.project ?? io.cwd(),
  };
}

async function listAll(io: Io, targets: Target[], timeoutMs: number) {
  // A Map, not an object: a server named "__proto__" must stay an entry.
  const servers = new Map<string, LockedServerV1>();
  const failures: { server: string; error: string }[] = [];
  const inheritEnv = io.envAll();
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const t = targets[next++]!;
      try {
        const listing = await listServer(t.launch, { timeoutMs, inheritEnv });
        servers.set(t.name, lockServer(t.launch, listing));
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        failures.push({ server: t.name, error: `"${t.name}": ${msg}` });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));
  const sorted = Object.fromEntries([...servers.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  failures.sort((a, b) => (a.server < b.server ? -1 : 1));
  return { live: { v: 1 as const, servers: sorted } satisfies LockFileV1, failures };
}

/** Write-then-rename (0600) so an interrupted run never leaves a half-written lock behind. */
async function writeAtomic(path: string, text: string): Promise<void> {
  try {
    await writePrivateFile(path, text);
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot write "${path}": ${(e as Error).message}`, { cause: e });
  }
}
