import type { Command } from "commander";
import { dirname, resolve } from "node:path";
import {
  discover,
  type DiscoveredConfig,
  selfCommand,
  wireFile,
  type WireFileResult,
  writeLauncher,
} from "../../clients/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import { loadPolicy } from "../../policy/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import { EXIT } from "../exit_codes.ts";
import { printPolicyWarnings } from "../shared.ts";

interface WireOptions {
  client?: string;
  path?: string;
  policy?: string;
  traceDir?: string;
  traceResults?: boolean;
  otel?: boolean;
  lock?: string;
  stop?: boolean;
  format: string;
}

/** Hooks for tests: how AgentPerms starts itself and the final rename of each write. */
export interface WireHooks {
  /** Overrides `selfCommand()`. */
  self?: string[];
  /** Overrides the atomic write's rename. */
  rename?: (from: string, to: string) => Promise<void>;
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await Deno.stat(p)).isFile;
  } catch {
    return false;
  }
}

/**
 * `agentperms record` and `agentperms enforce`: rewrite client configs so every stdio server starts through the
 * proxy (and `--stop` to restore them).
 * @param program the commander program
 * @param env io and exit-code setter
 * @param hooks test hooks
 */
export function registerWire(program: Command, env: CommandEnv, hooks: WireHooks = {}): void {
  for (const mode of ["record", "enforce"] as const) {
    program.command(mode)
      .description(
        mode === "record"
          ? "Wire client configs so every stdio MCP server runs behind the recording proxy (--stop to undo)"
          : "Wire client configs so every stdio MCP server runs behind the enforcing proxy (--stop to undo)",
      )
      .option(
        "--client <name>",
        "which client's configs to rewrite (an id from `agentperms clients`, or all)",
      )
      .option("--path <file>", "rewrite this config file instead")
      .option(
        "-p, --policy <file>",
        mode === "enforce" ? "policy the proxy enforces" : "policy to pass along (optional in record mode)",
        mode === "enforce" ? "mcp.policy.yaml" : undefined,
      )
      .option("--trace-dir <dir>", "where the proxy writes traces (default: the proxy's own default)")
      .option(
        "--trace-results",
        "traces keep a redacted 200-character summary of each result (default: size, types, hash)",
      )
      .option(
        "--otel",
        "each proxy exports its decisions to OpenTelemetry (OTEL_* variables; docs/telemetry.md)",
      )
      .option(
        "--lock <file>",
        "mcp.lock the proxy checks tools against (default: mcp.lock next to the policy)",
      )
      .option("--stop", "restore every wrapped entry to its original command")
      .option("--format <format>", "text or json", "text")
      .addHelpText(
        "after",
        `
Examples:
  $ agentperms ${mode} --client cursor${
          mode === "enforce" ? " --policy mcp.policy.yaml" : " --trace-dir traces"
        }
  $ agentperms ${mode} --path .vscode/mcp.json
  $ agentperms ${mode} --client cursor --stop

Each stdio entry becomes \`<agentperms> proxy --mode ${mode} --server <name> … -- <original command and args>\`
with absolute paths; other keys, comments and formatting stay. The first change writes <file>.agentperms.bak.
Running enforce after record (or record after enforce) switches the mode; running the same command twice
changes nothing. --stop puts the original command back from the entry itself, so later edits survive.
Remote (HTTP/SSE) entries are reported and not wired.

Exit: 0 done, 2 usage (no --client or --path), 3 invalid policy or config, 4 a file could not be written.`,
      )
      .action(async (opts: WireOptions) => {
        await runWire(env, mode, opts, hooks);
      });
  }
}

async function runWire(env: CommandEnv, mode: "record" | "enforce", opts: WireOptions, hooks: WireHooks) {
  const { io } = env;
  if (opts.format !== "text" && opts.format !== "json") {
    throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, { hint: "Use text or json" });
  }
  if (opts.client === undefined && opts.path === undefined) {
    throw new AgentPermsError("usage", "Say which configs to rewrite: --client NAME or --path FILE", {
      hint: "Run `agentperms clients` to see what was found; --client all rewrites every one",
    });
  }
  let policy: string | undefined;
  let lock: string | undefined;
  if (!opts.stop) {
    if (opts.policy !== undefined) {
      const loaded = await loadPolicy(opts.policy, { cwd: io.cwd(), home: homeOf(io) });
      if (opts.format === "text") printPolicyWarnings(io, loaded);
      policy = loaded.file;
    }
    if (mode === "enforce" && policy === undefined) {
      throw new AgentPermsError("usage", "Enforce needs a policy", { hint: "Pass --policy FILE" });
    }
    if (opts.lock !== undefined) {
      lock = resolve(io.cwd(), opts.lock);
      if (!(await exists(lock))) {
        throw new AgentPermsError("usage", `Cannot find lock file "${opts.lock}"`, {
          hint: "Run `agentperms lock` first, or leave out --lock",
        });
      }
    } else if (policy !== undefined && await exists(resolve(dirname(policy), "mcp.lock"))) {
      lock = resolve(dirname(policy), "mcp.lock");
    }
  }
  const traceDir = opts.traceDir !== undefined && !opts.stop ? resolve(io.cwd(), opts.traceDir) : undefined;
  const configs: DiscoveredConfig[] = await discover({ io, client: opts.client, path: opts.path });
  if (configs.length === 0) {
    throw new AgentPermsError("usage", "No MCP client config found to rewrite", {
      hint:
        "Run `agentperms clients --all` to see every place AgentPerms looked and why each was skipped, or pass --path FILE",
    });
  }
  for (const c of configs) {
    if (c.errors.length > 0 && c.servers.length === 0) {
      throw new AgentPermsError("config_invalid", `Cannot read "${c.file}": ${c.errors[0]}`, {
        hint: "Fix the file (nothing was changed)",
      });
    }
  }
  // Wired entries start a launcher written once to the user's data folder: it pins Deno and the CLI entry
  // and carries what the proxy needs (its Deno cache, CA bundle, proxy settings) for clients that pass a
  // short environment (Codex). A compiled binary is used as it is.
  const wiringEnv = io.envAll();
  const self = hooks.self ??
    (opts.stop ? selfCommand() : await writeLauncher(selfCommand(), wiringEnv, io.now()));
  const done: WireFileResult[] = [];
  for (const c of configs) {
    if (opts.format === "text") { for (const e of c.errors) io.stderr(`warning: ${c.file}: ${e}\n`); }
    done.push(
      await wireFile(c, {
        mode: opts.stop ? "stop" : mode,
        self,
        policy,
        traceDir,
        traceResults: opts.traceResults === true,
        otel: opts.otel === true,
        lock,
        now: io.now(),
        rename: hooks.rename,
      }),
    );
  }
  if (opts.format === "json") {
    io.stdout(JSON.stringify({ v: 1, mode: opts.stop ? "stop" : mode, files: done }, null, 2) + "\n");
    env.setExit(EXIT.ok);
    return;
  }
  for (const f of done) {
    const wired = f.results.filter((r) => r.status === "wired" || r.status === "rewired").length;
    const restored = f.results.filter((r) => r.status === "restored").length;
    const unchanged = f.results.filter((r) => r.status === "unchanged").length;
    if (opts.stop) io.stdout(`Restored ${restored} server(s) in ${f.file}\n`);
    else {
      io.stdout(
        `Wired ${wired} server(s) through the ${mode} proxy in ${f.file}${
          unchanged ? ` (${unchanged} already wired)` : ""
        }\n`,
      );
    }
    if (f.backup) io.stdout(`  backup: ${f.backup}\n`);
    for (const r of f.results) {
      const who = r.project ? `${r.server} (project ${r.project})` : r.server;
      if (r.status === "skipped") io.stdout(`  ${who}: ${r.reason}\n`);
      else if (r.status !== "not-wrapped") {
        io.stdout(`  ${who}: ${r.status}${r.note ? ` (${r.note})` : ""}\n`);
      }
    }
  }
  env.setExit(EXIT.ok);
}
