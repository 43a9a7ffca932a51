/**
 * The proxy's start without commander (issue 20 item 6): MCP clients start `agentperms proxy` for every server,
 * with the command line record/enforce wiring writes. That exact shape is read here; anything else (help, an
 * unknown or repeated flag, a bad value, `--url`/`--remote`, `--opt=value`) returns undefined and goes through
 * commander as before, so every help text and error stays commander's. `wired_proxy_test.ts` checks that what
 * this reads equals what commander gives `registerProxy`'s action.
 * @module
 */
import type { CommandEnv } from "./command_env.ts";
import { COMMANDS } from "./commands/mod.ts";
import { EXIT } from "./exit_codes.ts";
import type { Io } from "./io.ts";
import { reportError } from "./shared.ts";
import type { ProxyOptions } from "./commands/run_proxy_command.ts";

/** What `registerProxy`'s action receives for a wired stdio command line. */
export interface WiredProxyArgs {
  /** The server command and its arguments (after `--`). */
  argv: string[];
  /** The options, as commander would set them. */
  opts: ProxyOptions & { transport: "auto"; keepEmptyArgs?: true };
}

/** The proxy's command names (`proxy` and the hidden `_proxy`), from the command table. */
const PROXY_NAMES: readonly string[] = COMMANDS.find((c) => c.names.includes("proxy"))?.names ?? [];

/** Options that take one value (given once), by flag, and the key commander stores them under. */
const VALUE_FLAGS: Readonly<Record<string, "mode" | "server" | "policy" | "traceDir" | "lock" | "cwd">> = {
  "--mode": "mode",
  "--server": "server",
  "--policy": "policy",
  "-p": "policy",
  "--trace-dir": "traceDir",
  "--lock": "lock",
  "--cwd": "cwd",
};

/** Flags without a value, by flag, and the key commander stores them under. */
const BOOLEAN_FLAGS: Readonly<
  Record<string, "traceResults" | "otel" | "keepEmptyArgs" | "noTty" | "noContain">
> = {
  "--trace-results": "traceResults",
  "--otel": "otel",
  "--keep-empty-args": "keepEmptyArgs",
  "--no-tty": "noTty",
  "--no-contain": "noContain",
};

/**
 * Reads `proxy|_proxy --mode M --server S [--policy P] [--trace-dir D] [--trace-results] [--otel] [--lock L]
 * [--cwd C] [--server-env a,b]… [--keep-empty-args] [--no-tty] [--no-contain] -- command args…`.
 * @param args the process's arguments (without the program name)
 * @returns the action's arguments, or undefined when commander must read them
 */
export function readWiredProxyArgs(args: readonly string[]): WiredProxyArgs | undefined {
  if (!PROXY_NAMES.includes(args[0] ?? "")) return undefined;
  const values: Partial<Record<string, string>> = {};
  const flags: Partial<Record<string, true>> = {};
  const serverEnv: string[] = [];
  let i = 1;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") break;
    // Own entries only: `constructor`, `toString`… are words of the server's command, not flags.
    const valueKey = Object.hasOwn(VALUE_FLAGS, a) ? VALUE_FLAGS[a] : undefined;
    const flagKey = Object.hasOwn(BOOLEAN_FLAGS, a) ? BOOLEAN_FLAGS[a] : undefined;
    if (valueKey !== undefined || a === "--server-env") {
      const v = args[i + 1];
      // A missing, empty or dash-led value, or a repeated option: commander decides what it means.
      if (v === undefined || v === "" || v.startsWith("-")) return undefined;
      i++;
      if (a === "--server-env") {
        serverEnv.push(...v.split(",").map((x) => x.trim()).filter(Boolean));
        continue;
      }
      if (values[valueKey!] !== undefined) return undefined;
      values[valueKey!] = v;
    } else if (flagKey !== undefined) {
      if (flags[flagKey]) return undefined;
      flags[flagKey] = true;
    } else {
      return undefined;
    }
  }
  const argv = args.slice(i + 1);
  const { mode, server } = values;
  if (i >= args.length || argv.length === 0 || server === undefined) return undefined;
  if (mode !== "record" && mode !== "enforce") return undefined;
  const opts: WiredProxyArgs["opts"] = {
    maxMessageBytes: 64 * 1024 * 1024,
    denyStyle: "result",
    approvalTimeout: 60,
    serverEnv,
    shutdownGrace: 2000,
    transport: "auto",
    tty: !flags.noTty,
    contain: !flags.noContain,
    mode,
    server,
  };
  if (values.policy !== undefined) opts.policy = values.policy;
  if (values.traceDir !== undefined) opts.traceDir = values.traceDir;
  if (values.lock !== undefined) opts.lock = values.lock;
  if (values.cwd !== undefined) opts.cwd = values.cwd;
  if (flags.traceResults) opts.traceResults = true;
  if (flags.otel) opts.otel = true;
  if (flags.keepEmptyArgs) opts.keepEmptyArgs = true;
  return { argv, opts };
}

/**
 * Runs the proxy for a wired command line, as `run()` would after commander: the same action, exit code and
 * error output.
 * @param wired what {@link readWiredProxyArgs} read
 * @param args the process's arguments (`--debug` anywhere turns on stack traces, as in `run()`)
 * @param io the world
 * @returns the exit code
 */
export async function runWiredProxy(wired: WiredProxyArgs, args: readonly string[], io: Io): Promise<number> {
  let code: number = EXIT.ok;
  const debug = args.includes("--debug");
  const env: CommandEnv = { io, setExit: (c) => void (code = Math.max(code, c)), debug: () => debug };
  try {
    const { runProxyCommand } = await import("./commands/run_proxy_command.ts");
    env.setExit(await runProxyCommand(env, wired.argv, wired.opts));
    return code;
  } catch (e) {
    return reportError(e, io, debug);
  }
}
