/** A wrapped entry's mode and the command it wraps. */
export interface WrappedInfo {
  /** Proxy mode. */
  mode: "record" | "enforce";
  /** The original command and args, as stored after `--`; undefined for a wired remote entry. */
  original?: { command: string; args: string[] };
  /** Set for a wired remote entry (`--remote <transport>`): the proxy bridges stdio to the URL in its env. */
  remote?: { transport: "auto" | "http" | "sse" };
  /** Index in `args` of the `proxy` token. */
  proxyIndex: number;
  /** Index in `args` of the `--` separator (for a remote entry: of the `--remote` flag). */
  separatorIndex: number;
  /** The config had an explicit empty `args` list before wiring (`--keep-empty-args`): --stop keeps it. */
  keepEmptyArgs: boolean;
}

/** The proxy flag wiring adds for an entry that had an explicit empty `args` list. */
export const KEEP_EMPTY_ARGS_FLAG = "--keep-empty-args";

const REMOTE_TRANSPORTS = new Set(["auto", "http", "sse"]);

/**
 * Recognises an entry that already starts the AgentPerms proxy (`… proxy --mode M … -- cmd args…`, or
 * `… proxy --mode M … --remote <transport>` for a remote entry), whatever
 * binary or script path started it (so an upgrade or a moved checkout still counts as wrapped).
 * @param command the entry's command
 * @param args its arguments
 * @returns the mode and the original command, or undefined when the entry is not wrapped
 */
export function parseWrapped(command: string | undefined, args: readonly string[]): WrappedInfo | undefined {
  if (command === undefined) return undefined;
  for (let i = 0; i + 2 < args.length; i++) {
    if (args[i] !== "proxy" || args[i + 1] !== "--mode") continue;
    if (!startsAgentPerms(command, args.slice(0, i))) return undefined;
    const mode = args[i + 2];
    if (mode !== "record" && mode !== "enforce") continue;
    const sep = args.indexOf("--", i + 3);
    if (sep < 0) {
      // A remote entry has no command to run: the proxy reaches the URL it finds in its environment.
      const r = args.indexOf("--remote", i + 3);
      const transport = args[r + 1];
      if (r < 0 || r + 2 !== args.length || !REMOTE_TRANSPORTS.has(transport!)) continue;
      return {
        mode,
        remote: { transport: transport as "auto" | "http" | "sse" },
        proxyIndex: i,
        separatorIndex: r,
        keepEmptyArgs: false,
      };
    }
    if (sep + 1 >= args.length) continue;
    return {
      mode,
      original: { command: args[sep + 1]!, args: args.slice(sep + 2) },
      proxyIndex: i,
      separatorIndex: sep,
      keepEmptyArgs: args.slice(i + 3, sep).includes(KEEP_EMPTY_ARGS_FLAG),
    };
  }
  return undefined;
}

/**
 * Whether a command line up to `proxy` has the shape AgentPerms writes (`selfCommand()`): the launcher or a
 * compiled binary named agentperms with nothing before `proxy`, or deno running a `cli.ts` or a bundle. Any
 * other program whose arguments merely contain `proxy --mode …` (`npx -y some-package proxy --mode …`) is
 * not wired: it runs without AgentPerms in between and must be reported and wired like any server.
 */
function startsAgentPerms(command: string, before: readonly string[]): boolean {
  const exe = (command.split(/[\\/]/).pop() ?? "").toLowerCase();
  if (exe === "deno" || exe === "deno.exe") {
    const entry = before.at(-1) ?? "";
    return before[0] === "run" && (/(^|[\\/])cli\.ts$/.test(entry) || /\.js$/.test(entry));
  }
  return before.length === 0 && exe.startsWith("agentperms");
}
