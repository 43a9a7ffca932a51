/** Root flags that take no value and do not stop parsing, so the command name may still follow them. */
const SKIPPED_ROOT_FLAGS: ReadonlySet<string> = new Set(["--debug"]);

/** Root flags commander acts on as soon as it parses them, before it looks for a command. */
const VERSION_FLAGS: ReadonlySet<string> = new Set(["-V", "--version"]);

/**
 * Picks the command modules a run needs, so that e.g. `agentperms _proxy …` (started by an MCP client for every
 * server) loads the proxy command and nothing else. Whenever the answer could depend on other commands (no
 * command, `--help`, the `help` command, a typo that earns a "Did you mean" suggestion, an unknown root option)
 * it returns the whole table, so such output is exactly what the full program prints.
 *
 * @param args the command-line arguments (without the program name)
 * @param table the command table (`COMMANDS`)
 * @returns the rows to load: one row, none (a version flag comes first), or the whole table
 */
export function selectCommands<T extends { readonly names: readonly string[] }>(
  args: readonly string[],
  table: readonly T[],
): readonly T[] {
  for (const arg of args) {
    if (SKIPPED_ROOT_FLAGS.has(arg)) continue;
    // Commander prints the version and stops while parsing the root options: no command is consulted.
    if (VERSION_FLAGS.has(arg)) return [];
    // --help, "--", combined or unknown flags: let the full program answer as it always has.
    if (arg.startsWith("-")) return table;
    const row = table.find((r) => r.names.includes(arg));
    return row ? [row] : table;
  }
  return table;
}
