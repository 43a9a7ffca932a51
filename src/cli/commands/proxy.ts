import { type Command, InvalidArgumentError, Option } from "commander";
import type { CommandEnv } from "../command_env.ts";
import type { ProxyOptions } from "./run_proxy_command.ts";

const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

/**
 * `agentperms proxy` (and the hidden `_proxy` that rewritten client configs run): sits between an MCP client
 * and one stdio server, records every message and, in enforce mode, blocks what the policy denies.
 * @param program the commander program
 * @param env io and exit-code setter
 */
export function registerProxy(program: Command, env: CommandEnv): void {
  for (const name of ["proxy", "_proxy"]) {
    program.command(name, { hidden: name === "_proxy" })
      .description("Run one MCP stdio server behind the recording/enforcing proxy (the client talks to this)")
      .addOption(
        new Option("--mode <mode>", "record (forward all, trace) or enforce (block what the policy denies)")
          .choices(["record", "enforce"]).makeOptionMandatory(),
      )
      .requiredOption("--server <name>", "the server's name in the policy (the client config's entry name)")
      .option("-p, --policy <file>", "policy file (required in enforce mode)")
      .option(
        "--trace-dir <dir>",
        "where this process's JSONL trace goes (default $XDG_STATE_HOME/agentperms/traces or ~/.local/state/agentperms/traces)",
      )
      .option(
        "--lock <file>",
        "mcp.lock to compare every tools/list against (drifted tools are denied in enforce mode)",
      )
      .option(
        "--trace-results",
        "also trace the redacted start of each result's text (default: only its size, content types, isError and a hash)",
      )
      .option("--cwd <dir>", "the server's working directory (relative paths in calls resolve here)")
      .option(
        "--max-message-bytes <n>",
        "largest message accepted in either direction",
        positiveInt("--max-message-bytes"),
        64 * 1024 * 1024,
      )
      .addOption(
        new Option(
          "--deny-style <style>",
          "result: isError tool result; jsonrpc: error -32001 for everything",
        )
          .choices(["result", "jsonrpc"]).default("result"),
      )
      .option(
        "--approval-timeout <seconds>",
        "deny an approval nobody answered after this long",
        positiveInt("--approval-timeout"),
        60,
      )
      .option("--no-tty", "never ask for approval on /dev/tty")
      .option(
        "--server-env <names>",
        "environment variables the client config sets for the server (comma separated): passed through containment",
        (v: string, prev: string[]) => [...prev, ...v.split(",").map((x) => x.trim()).filter(Boolean)],
        [] as string[],
      )
      .option(
        "--no-contain",
        "start the server exactly as given, without the Deno permission layer derived from the policy",
      )
      .option(
        "--shutdown-grace <ms>",
        "after the client disconnects, how long the server may take to exit before SIGTERM (then SIGKILL)",
        positiveInt("--shutdown-grace"),
        2000,
      )
      .addOption(
        // Written by record/enforce wiring for an entry whose config had an explicit empty args list, so that
        // --stop puts `args: []` back instead of dropping the key. The proxy itself ignores it.
        new Option("--keep-empty-args", "(wiring) the entry had an empty args list").hideHelp(),
      )
      .argument("<command...>", "the server command and its arguments (after --)")
      .passThroughOptions()
      .addHelpText(
        "after",
        `
Examples:
  $ agentperms proxy --mode record --server memory -- deno run --no-config --no-prompt -A npm:@modelcontextprotocol/server-memory@2026.8.31
  $ agentperms proxy --mode enforce --server demo --policy examples/policies/demo.mcp.policy.yaml -- deno run --no-config examples/vulnerable-mcp-demo/server.ts

stdout carries only JSON-RPC; diagnostics go to stderr. Exit: the server's exit code; 2 usage (e.g. enforce
without --policy), 3 invalid policy, 4 the server could not start.`,
      )
      .action(async (argv: string[], opts: ProxyOptions) => {
        // The policy, proxy, sandbox and trace modules load only when a proxy really starts, not for --help.
        const { runProxyCommand } = await import("./run_proxy_command.ts");
        env.setExit(await runProxyCommand(env, argv, opts));
      });
  }
}
