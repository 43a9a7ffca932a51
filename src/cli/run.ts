import { Command, CommanderError } from "commander";
import denoJson from "../../deno.json" with { type: "json" };
// TODO(#20): through canonical/mod.ts once it exports loadShellParser (canonical/mod.ts is not this change's).
import { loadShellParser } from "../canonical/read_shell.ts";
import { COMMANDS, type RegisterCommand } from "./commands/mod.ts";
import type { CommandEnv } from "./command_env.ts";
import { EXIT } from "./exit_codes.ts";
import type { Io } from "./io.ts";
import { selectCommands } from "./select_commands.ts";
import { reportError } from "./shared.ts";

export { reportError };

/** The AgentPerms version (from deno.json). */
export const VERSION: string = denoJson.version;

/**
 * Builds the commander program with the given commands registered (in `COMMANDS` order).
 * @param env io and exit-code setter
 * @param commands the register functions, e.g. from {@link loadCommands}
 * @returns the program
 */
export function buildProgram(env: CommandEnv, commands: readonly RegisterCommand[]): Command {
  const program = new Command("agentperms")
    .description(
      "Least privilege for AI agents and their MCP tools: scan, lock, record, infer, replay, enforce, report",
    )
    .version(VERSION, "-V, --version", "print the version")
    .option("--debug", "print stack traces for internal errors")
    .enablePositionalOptions()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => env.io.stdout(s),
      writeErr: (s) => env.io.stderr(s),
    })
    .exitOverride()
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms scan                                   find MCP client configs and flag risky servers
  $ agentperms replay --policy mcp.policy.yaml        prove the policy blocks the attack packs
  $ agentperms check --policy mcp.policy.yaml --call '{"server":"filesystem","tool":"read_file","arguments":{"path":"~/.ssh/id_rsa"}}'

Exit codes: 0 ok, 1 gate failed (finding, attack allowed, drift, call denied), 2 usage, 3 invalid input, 4 runtime failure`,
    );
  for (const register of commands) register(program, env);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/**
 * Loads the modules of the commands these arguments need: only the named command's, or every one when the
 * output may list or suggest other commands (see `selectCommands`).
 * @param args command-line arguments (without the program name)
 * @returns the register functions, in `COMMANDS` order
 */
export async function loadCommands(args: readonly string[]): Promise<RegisterCommand[]> {
  const rows = selectCommands(args, COMMANDS);
  // Every command but the proxy may read shell commands (check, replay, infer, report, the gateway…): the shell
  // parser loads beside the command's modules. The proxy loads it itself, after its server's first answer
  // (runProxy's beforeCalls), so that the client's `initialize` is not kept waiting; --version needs nothing.
  const proxyOnly = rows.length === 1 && rows[0]!.names.includes("proxy");
  const [registers] = await Promise.all([
    Promise.all(rows.map((c) => c.load())),
    // One that cannot load is not an error here: each shell command read later is unreadable, so denied.
    rows.length === 0 || proxyOnly ? undefined : loadShellParser().catch(() => {}),
  ]);
  return registers;
}

/**
 * Runs the CLI with arguments and an `Io`; never exits the process.
 * @param args command-line arguments (without the program name)
 * @param io the world
 * @returns the exit code
 */
export async function run(args: string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  let debug = false;
  const env: CommandEnv = { io, setExit: (c) => void (code = Math.max(code, c)), debug: () => debug };
  debug = args.includes("--debug");
  try {
    const program = buildProgram(env, await loadCommands(args));
    await program.parseAsync(args, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help"
      ) {
        return EXIT.ok;
      }
      if (e.code === "commander.executeSubCommandAsync") return EXIT.runtime;
      return EXIT.usage;
    }
    return reportError(e, io, debug);
  }
}
