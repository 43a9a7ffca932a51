import { type Command, InvalidArgumentError, Option } from "commander";
import { dirname, resolve } from "node:path";
import { AgentPermsError } from "../../errors.ts";
import { type CompiledPolicy, compilePolicy, loadPolicy, type PolicyV1 } from "../../policy/mod.ts";
import { hostRealpath } from "../../canonical/mod.ts";
import {
  buildRedactFn,
  type LaunchSpec,
  openDevTty,
  type RedactFn,
  runProxy,
  TtyPrompter,
} from "../../proxy/mod.ts";
import {
  type Broker,
  brokerCheckToTraceEvent,
  describeContainmentExit,
  detectContainmentDenial,
  findDeno,
  lockVersionsFromLaunches,
  planLaunch,
  readAuditFile,
  startBroker,
} from "../../sandbox/mod.ts";
import { defaultTraceDir, traceFileName, TraceWriter } from "../../trace/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import { printPolicyWarnings } from "../shared.ts";

interface ProxyOptions {
  mode: "record" | "enforce";
  server: string;
  policy?: string;
  traceDir?: string;
  lock?: string;
  cwd?: string;
  maxMessageBytes: number;
  denyStyle: "result" | "jsonrpc";
  approvalTimeout: number;
  tty: boolean;
  shutdownGrace: number;
  contain: boolean;
  serverEnv: string[];
}

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
        env.setExit(await runProxyCommand(env, argv, opts));
      });
  }
}

async function runProxyCommand(env: CommandEnv, argv: string[], opts: ProxyOptions): Promise<number> {
  const { io } = env;
  const home = homeOf(io);
  if (opts.mode === "enforce" && !opts.policy) {
    throw new AgentPermsError(
      "usage",
      "Enforce mode needs a policy: refusing to start the server unguarded",
      {
        hint: "Pass --policy FILE, or use --mode record",
      },
    );
  }
  let policy: CompiledPolicy;
  let source: PolicyV1;
  let baseDir = io.cwd();
  if (opts.policy) {
    const loaded = await loadPolicy(opts.policy, { cwd: io.cwd(), home });
    printPolicyWarnings(io, loaded);
    policy = loaded.compiled;
    source = loaded.policy;
    baseDir = dirname(loaded.file);
  } else {
    source = { version: 1 };
    policy = compilePolicy(source, { baseDir: io.cwd(), home });
  }
  const [command, ...args] = argv;
  if (!command) throw new AgentPermsError("usage", "Missing the server command after --");
  const redact: RedactFn = await buildRedactFn(source, { baseDir });
  // Everything that can refuse to start (policy, plugins, lock) is loaded before the trace file is created.
  const pinned = opts.lock ? await loadLockCheck(resolve(io.cwd(), opts.lock), opts.server) : undefined;
  const lockCheck = pinned?.check;
  const sessionId = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const traceDir = opts.traceDir ? resolve(io.cwd(), opts.traceDir) : defaultTraceDir(io.env);
  const diag = (m: string) => io.stderr(m.endsWith("\n") ? m : m + "\n");
  const trace = TraceWriter.open(traceDir, traceFileName(io.now(), opts.server, sessionId), {
    onError: (m) => diag(`[agentperms] ${m}`),
  });
  const cwd = opts.cwd ? resolve(io.cwd(), opts.cwd) : io.cwd();
  const base = { sessionId, server: opts.server, mode: opts.mode };
  const note = (detail: string) => {
    diag(`[agentperms] ${detail}`);
    trace.write({ v: 1, kind: "lifecycle", time: io.now().toISOString(), ...base, detail });
  };
  // The containment layer: JS/TS servers run under Deno permissions derived from the policy.
  const plan = opts.contain
    ? planLaunch(opts.policy ? policy : undefined, opts.server, argv, {
      denoPath: findDeno(io),
      home,
      cwd,
      env: io.envAll(),
      mode: opts.mode,
      traceDir,
      realpath: hostRealpath,
      sessionId,
      // The package version pinned in mcp.lock wins over the command line's (a rug pull needs a new version).
      lockVersions: pinned?.launch ? lockVersionsFromLaunches([pinned.launch], cwd) : undefined,
      // Containment starts the server with a scrubbed environment; these names are the ones the user chose.
      serverEnv: opts.serverEnv.length > 0 ? opts.serverEnv : undefined,
    })
    : undefined;
  if (!opts.contain) note(`Server "${opts.server}" is not contained: --no-contain was given`);
  for (const n of plan?.notes ?? []) note(n);
  let broker: Broker | undefined;
  if (plan?.brokerSocket) {
    broker = await startBroker({
      socketPath: plan.brokerSocket,
      policy,
      server: opts.server,
      home,
      cwd,
      grants: plan.grants,
      onCheck: (c) => trace.write(brokerCheckToTraceEvent(c, base)),
    });
  }
  const launch: LaunchSpec = plan
    ? { command: plan.command, args: plan.args, env: plan.env, clearEnv: plan.clearEnv, cwd: plan.cwd ?? cwd }
    : { command, args, cwd, env: { RUST_BACKTRACE: "0" } };
  let prompter: TtyPrompter | undefined;
  try {
    const code = await runProxy({
      mode: opts.mode,
      server: opts.server,
      policy,
      cwd,
      home,
      sessionId,
      trace,
      redact,
      diag,
      denyStyle: opts.denyStyle,
      approvalTimeoutMs: opts.approvalTimeout * 1000,
      tty: () => {
        if (!opts.tty) return undefined;
        const t = openDevTty();
        prompter = t ? new TtyPrompter(t) : undefined;
        return prompter;
      },
      lockCheck,
      detectContainment: detectContainmentDenial,
      launch,
      // The proxy's stdio edge: stdout carries only JSON-RPC.
      clientIn: io.stdin(),
      clientOut: Deno.stdout.writable,
      maxMessageBytes: opts.maxMessageBytes,
      graceMs: opts.shutdownGrace,
      forwardSignals: true,
    });
    // Exit 87 means the broker went away and Deno stopped the server (containment fails closed): say so.
    const why = plan?.mode === "broker" ? describeContainmentExit(code) : undefined;
    if (why) note(why);
    return code;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new AgentPermsError(
        "upstream_failed",
        `Cannot start the server: command "${launch.command}" not found`,
        {
          cause: e,
          hint: "Check the command after --; it must be on PATH or an absolute path",
        },
      );
    }
    throw e;
  } finally {
    await broker?.close();
    if (plan?.auditFile) {
      // Fold what the server touched at the OS level into this process's trace, then drop the raw log.
      for (const ev of await readAuditFile(plan.auditFile, base, plan)) trace.write(ev);
      await Deno.remove(plan.auditFile).catch(() => {});
    }
    trace.close();
  }
}

async function loadLockCheck(
  file: string,
  server: string,
): Promise<{
  check: (tools: unknown[]) => ReadonlyMap<string, string>;
  launch?: { command: string; args: string[] };
}> {
  // Lazy: the lock module pulls in hashing and the SDK's types; the plain proxy path does not need them.
  const { readLockFile, checkToolsAgainstLock } = await import("../../lock/mod.ts");
  const lock = await readLockFile(file); // lock_invalid on a missing or corrupt lock: fail closed
  const entry = Object.hasOwn(lock.servers, server) ? lock.servers[server] : undefined;
  return {
    check: (tools) =>
      checkToolsAgainstLock(lock, server, tools as Parameters<typeof checkToolsAgainstLock>[2]).drift,
    launch: entry?.launch,
  };
}
