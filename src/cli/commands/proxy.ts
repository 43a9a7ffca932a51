import { type Command, InvalidArgumentError, Option } from "commander";
import { AgentPermsError } from "../../errors.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import type { ProxyOptions } from "./run_proxy_command.ts";
import { openTelemetry } from "./_open_telemetry.ts";

/** `proxy --url`: the options of the stdio-to-HTTP bridge on top of the proxy's. */
interface BridgeOptions extends ProxyOptions {
  /** The remote MCP endpoint. */
  url?: string;
  /** auto, http (Streamable HTTP) or sse (legacy HTTP+SSE). */
  transport: "auto" | "http" | "sse";
  /** `Name: value` lines, `${env:NAME}` expanded at start. */
  header?: string[];
  /** Wired remote entry: the transport; the URL and headers are in the environment (see REMOTE_ENV). */
  remote?: "auto" | "http" | "sse";
}

/**
 * Where a wired remote entry (record/enforce rewrite a client's `url` entry) puts the URL and the headers:
 * the environment, readable only by the user, not the command line. The same names as `REMOTE_ENV` in
 * src/clients/wire_remote.ts.
 */
// The names wiring writes (REMOTE_ENV in src/clients/wire_remote.ts), repeated so a proxy start does not load
// the config parsers; src/clients/wire_remote_test.ts checks that they agree.
export const REMOTE_URL_ENV = "AGENTPERMS_REMOTE_URL";
export const REMOTE_HEADER_ENV_PREFIX = "AGENTPERMS_REMOTE_HEADER_";

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
      .description(
        "Run one MCP server behind the recording/enforcing proxy (the client talks to this over stdio): a stdio " +
          "server given after --, or a remote one with --url",
      )
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
        "--otel",
        "export each decision to OpenTelemetry (needs OTEL_DENO=true at start; the launcher sets it; docs/telemetry.md)",
      )
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
      .option(
        "--url <url>",
        "a remote MCP server (Streamable HTTP, or legacy HTTP+SSE) instead of a command: this process becomes a stdio-to-HTTP bridge",
      )
      .addOption(
        new Option(
          "--transport <transport>",
          "with --url: auto (Streamable HTTP, else legacy SSE), http or sse",
        )
          .choices(["auto", "http", "sse"]).default("auto"),
      )
      .option(
        "--header <line>",
        'with --url: a header for every request, "Name: value" (repeatable); ${env:NAME} is read from the environment at start; values are never traced or shown',
        (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
      )
      .addOption(
        // Written by record/enforce wiring for a client's url entry: the URL and headers come in the
        // environment (AGENTPERMS_REMOTE_URL, AGENTPERMS_REMOTE_HEADER_0…), never on the command line.
        new Option(
          "--remote <transport>",
          "(wiring) a remote server whose URL and headers are in the environment",
        )
          .choices(["auto", "http", "sse"]).hideHelp(),
      )
      .addOption(
        // Written by record/enforce wiring for an entry whose config had an explicit empty args list, so that
        // --stop puts `args: []` back instead of dropping the key. The proxy itself ignores it.
        new Option("--keep-empty-args", "(wiring) the entry had an empty args list").hideHelp(),
      )
      .argument("[command...]", "the server command and its arguments (after --); none with --url")
      .passThroughOptions()
      .addHelpText(
        "after",
        `
Examples:
  $ agentperms proxy --mode record --server memory -- deno run --no-config --no-prompt -A npm:@modelcontextprotocol/server-memory@2026.8.31
  $ agentperms proxy --mode enforce --server demo --policy examples/policies/demo.mcp.policy.yaml -- deno run --no-config examples/vulnerable-mcp-demo/server.ts
  $ agentperms proxy --mode enforce --server linear --policy mcp.policy.yaml --url https://mcp.linear.app/mcp --header "Authorization: Bearer \${env:LINEAR_TOKEN}"

stdout carries only JSON-RPC; diagnostics go to stderr. Exit: the server's exit code; 2 usage (e.g. enforce
without --policy), 3 invalid policy, 4 the server could not start.`,
      )
      .action(async (argv: string[], opts: BridgeOptions) => {
        if (opts.remote !== undefined) {
          if (opts.url !== undefined || argv.length > 0) {
            throw new AgentPermsError(
              "usage",
              "--remote takes the URL from the environment: no --url or command",
            );
          }
          const url = env.io.env(REMOTE_URL_ENV);
          if (!url) {
            throw new AgentPermsError("usage", `--remote needs the remote URL in ${REMOTE_URL_ENV}`, {
              hint: "Run agentperms record or enforce again to rewrite the client's entry",
            });
          }
          const header: string[] = [];
          for (let i = 0;; i++) {
            const h = env.io.env(`${REMOTE_HEADER_ENV_PREFIX}${i}`);
            if (h === undefined) break;
            header.push(h);
          }
          env.setExit(await runBridgeCommand(env, url, { ...opts, transport: opts.remote, header }));
          return;
        }
        if (opts.url !== undefined) {
          if (argv.length > 0) {
            throw new AgentPermsError("usage", "Give either --url or a server command after --, not both");
          }
          env.setExit(await runBridgeCommand(env, opts.url, opts));
          return;
        }
        if (argv.length === 0) {
          throw new AgentPermsError("usage", "Missing the server command after --", {
            hint: "Pass the server command after --, or a remote server with --url",
          });
        }
        // The policy, proxy, sandbox and trace modules load only when a proxy really starts, not for --help.
        const { runProxyCommand } = await import("./run_proxy_command.ts");
        env.setExit(await runProxyCommand(env, argv, opts));
      });
  }
}

/**
 * `proxy --url`: the stdio-to-HTTP bridge. Loads the policy (enforce mode refuses to start without one, and
 * tells the client why over JSON-RPC), reads the headers (env references expanded once), opens the trace and
 * runs the bridge until the client leaves. The modules it needs load only here.
 * @param env io and exit-code setter
 * @param rawUrl the remote URL as given
 * @param opts the parsed options
 * @returns the exit code (0 when the client closed its stream, 4 when the remote ended the session)
 * @throws {AgentPermsError} usage (URL, headers, enforce without a policy) or policy_invalid
 */
async function runBridgeCommand(env: CommandEnv, rawUrl: string, opts: BridgeOptions): Promise<number> {
  const { io } = env;
  // The shell parser loads while the rest starts; the bridge judges no call before it is in (below).
  const { loadShellParser } = await import("../../canonical/read_shell.ts");
  const shellParser = loadShellParser().catch((e: Error) => e);
  const { resolve, dirname } = await import("node:path");
  const proxy = await import("../../proxy/mod.ts");
  const home = homeOf(io);
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new AgentPermsError("usage", "--url is not a URL", {
      hint: "Pass the full URL, like https://host/mcp",
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new AgentPermsError("usage", `--url must be http or https, not "${url.protocol}"`);
  }
  // Fail closed before anything is sent: the client hears why (JSON-RPC) and stderr says how to fix it.
  const refuse = async (e: AgentPermsError): Promise<never> => {
    await proxy.refuseSession(`AgentPerms: ${e.message}${e.hint ? `. Fix: ${e.hint}` : ""}`, {
      waitMs: 5000,
    });
    throw e;
  };
  if (opts.mode === "enforce" && !opts.policy) {
    await refuse(
      new AgentPermsError(
        "usage",
        "Enforce mode needs a policy: refusing to connect to the remote server unguarded",
        {
          hint: "Pass --policy FILE, or use --mode record",
        },
      ),
    );
  }
  let telemetry;
  try {
    telemetry = await openTelemetry(opts.otel === true, io, (m) => io.stderr(`${m}\n`), url.href);
  } catch (e) {
    if (e instanceof AgentPermsError) await refuse(e);
    throw e;
  }
  const headers = proxy.parseHeaderArgs(opts.header ?? [], (n) => io.env(n));
  const { compilePolicy, loadPolicy } = await import("../../policy/mod.ts");
  const { sessionRulesOf } = await import("../../policy/session_rules_schema.ts");
  let policy;
  let source;
  let baseDir = io.cwd();
  if (opts.policy) {
    let loaded;
    try {
      // A remote server's URL finds its profile (format 2 scopes), not only its name.
      loaded = await loadPolicy(opts.policy, {
        cwd: io.cwd(),
        home,
        identities: { [opts.server]: { url: url.href } },
      });
    } catch (e) {
      if (e instanceof AgentPermsError) await refuse(e);
      throw e;
    }
    const { printPolicyWarnings } = await import("../shared.ts");
    printPolicyWarnings(io, loaded);
    policy = loaded.compiled;
    source = loaded.policy;
    baseDir = dirname(loaded.file);
  } else {
    source = { version: 1 as const };
    policy = compilePolicy(source, { baseDir: io.cwd(), home });
  }
  const redact = await proxy.buildRedactFn(source, { baseDir });
  let lockCheck: ((tools: unknown[]) => ReadonlyMap<string, string>) | undefined;
  if (opts.lock) {
    const { readLockFile, checkToolsAgainstLock } = await import("../../lock/mod.ts");
    const lock = await readLockFile(resolve(io.cwd(), opts.lock)); // lock_invalid: fail closed
    lockCheck = (tools) =>
      checkToolsAgainstLock(lock, opts.server, tools as Parameters<typeof checkToolsAgainstLock>[2]).drift;
  }
  const { defaultTraceDir, traceFileName, TraceWriter } = await import("../../trace/mod.ts");
  const diag = (m: string) => io.stderr(m.endsWith("\n") ? m : m + "\n");
  if (
    url.protocol === "http:" && !["localhost", "127.0.0.1", "[::1]"].includes(url.hostname) &&
    Object.keys(headers).length > 0
  ) {
    diag(`[agentperms] warning: the headers for "${opts.server}" go to ${url.host} over plain http`);
  }
  // OAuth (agentperms login, docs/remote.md#oauth-sign-in): an entry without an Authorization header of its
  // own sends the stored login's token, only to that server's origin; a token about to expire is refreshed
  // first, a 401 refreshes it once, else the request fails closed with the fix. Never a browser from here: the
  // client owns stdio.
  const { oauthBridgeFetch } = await import("../../proxy/oauth_bridge_fetch.ts");
  const oauth = await oauthBridgeFetch({ server: opts.server, url, headers, env: (n) => io.env(n), diag });
  const sessionId = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const traceDir = opts.traceDir ? resolve(io.cwd(), opts.traceDir) : defaultTraceDir(io.env);
  const trace = TraceWriter.open(traceDir, traceFileName(io.now(), opts.server, sessionId), {
    onError: (m) => diag(`[agentperms] ${m}`),
    ownDir: !opts.traceDir,
  });
  let prompter: InstanceType<typeof proxy.TtyPrompter> | undefined;
  // One that cannot load leaves every shell command unreadable, so denied: said here once.
  const shellFailure = await shellParser;
  if (shellFailure) diag(`[agentperms] ${shellFailure.message}`);
  try {
    return await proxy.runBridge({
      mode: opts.mode,
      server: opts.server,
      policy,
      cwd: opts.cwd ? resolve(io.cwd(), opts.cwd) : io.cwd(),
      home,
      sessionId,
      trace,
      redact,
      diag,
      denyStyle: opts.denyStyle,
      approvalTimeoutMs: opts.approvalTimeout * 1000,
      tty: () => {
        if (!opts.tty) return undefined;
        const t = proxy.openDevTty();
        prompter = t ? new proxy.TtyPrompter(t) : undefined;
        return prompter;
      },
      lockCheck,
      traceResults: opts.traceResults === true,
      sessionRules: sessionRulesOf(source),
      ...(telemetry ? { telemetry } : {}),
      url,
      transport: opts.transport,
      headers,
      ...(oauth ? { fetch: oauth.fetch } : {}),
      maxMessageBytes: opts.maxMessageBytes,
      graceMs: opts.shutdownGrace,
      handleSignals: true,
    });
  } finally {
    trace.close();
  }
}
