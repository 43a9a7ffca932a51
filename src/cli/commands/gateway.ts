import { type Command, InvalidArgumentError, Option } from "commander";
import { AgentPermsError } from "../../errors.ts";
import type { ServerEntry } from "../../clients/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import type { Io } from "../io.ts";

/** The parsed options of `agentperms gateway`. */
interface GatewayCliOptions {
  listen: string;
  mode: "record" | "enforce";
  policy?: string;
  config?: string;
  client?: string;
  path?: string;
  server?: string[];
  traceDir?: string;
  lock?: string;
  traceResults?: boolean;
  otel?: boolean;
  maxMessageBytes: number;
  denyStyle: "result" | "jsonrpc";
  approvalTimeout: number;
  idleTimeout: number;
  maxSessions?: number;
  shutdownGrace: number;
  contain: boolean;
  format: "text" | "json";
}

const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

/** A server the gateway fronts: a stdio command or a remote URL, from a client config or a gateway file. */
interface GatewayServer {
  name: string;
  transport: "stdio" | "remote";
  argv?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: URL;
  remoteTransport?: "auto" | "http" | "sse";
  headers?: Record<string, string>;
}

/**
 * `agentperms gateway`: a local Streamable HTTP endpoint per server (`/mcp/<server>`) for clients that prefer
 * HTTP, each session through its own proxy (same policy, containment, approvals and traces as `proxy`).
 * @param program the commander program
 * @param env io and exit-code setter
 */
export function registerGateway(program: Command, env: CommandEnv): void {
  program.command("gateway")
    .description(
      "Serve MCP servers (stdio or remote) over local Streamable HTTP at /mcp/<server>, every session through " +
        "the enforcing proxy, behind a bearer token",
    )
    .option("--listen <host:port>", "where to listen (loopback unless you say otherwise)", "127.0.0.1:7341")
    .addOption(
      new Option("--mode <mode>", "record (forward all, trace) or enforce (block what the policy denies)")
        .choices(["record", "enforce"]).default("enforce"),
    )
    .option("-p, --policy <file>", "policy file (required in enforce mode)")
    .option(
      "--config <file>",
      'a gateway file: {"mcpServers": {name: {command, args, env, cwd} | {url, headers}}}',
    )
    .option("--client <name>", "serve the servers of this client's configs (an id from `agentperms clients`)")
    .option(
      "--path <file|dir>",
      "serve the servers of this config file, or of the known config files under this directory",
    )
    .option(
      "--server <name>",
      "serve only this server (repeatable; default every entry found)",
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option("--trace-dir <dir>", "where the traces go, one file per session (default as for proxy)")
    .option("--lock <file>", "mcp.lock to compare every tools/list against")
    .option("--trace-results", "also trace the redacted start of each result's text")
    .option(
      "--otel",
      "export each decision to OpenTelemetry (needs OTEL_DENO=true at start; docs/telemetry.md)",
    )
    .option(
      "--max-message-bytes <n>",
      "largest message accepted",
      positiveInt("--max-message-bytes"),
      64 * 1024 * 1024,
    )
    .addOption(
      new Option("--deny-style <style>", "result: isError tool result; jsonrpc: error -32001 for everything")
        .choices(["result", "jsonrpc"]).default("result"),
    )
    .option(
      "--approval-timeout <seconds>",
      "deny an approval nobody answered after this long",
      positiveInt("--approval-timeout"),
      60,
    )
    .option(
      "--idle-timeout <seconds>",
      "end a session with no open stream and nothing in flight after this long",
      positiveInt("--idle-timeout"),
      1800,
    )
    .option(
      "--max-sessions <n>",
      "sessions open at once; past it a new session is refused (503) with what to do (default 64)",
      positiveInt("--max-sessions"),
    )
    .option(
      "--shutdown-grace <ms>",
      "after a session ends, how long its server may take to exit before SIGTERM (then SIGKILL)",
      positiveInt("--shutdown-grace"),
      2000,
    )
    .option(
      "--no-contain",
      "start stdio servers exactly as given, without the sandbox derived from the policy",
    )
    .addOption(
      new Option("--format <format>", "the startup line: text or json").choices(["text", "json"]).default(
        "text",
      ),
    )
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms gateway --policy mcp.policy.yaml --client claude-code
  $ agentperms gateway --listen 127.0.0.1:7341 --policy mcp.policy.yaml --config gateway.json --format json
  $ curl -H "Authorization: Bearer $(cat ~/.local/state/agentperms/gateway.token)" \\
      -H "Accept: application/json, text/event-stream" -H "Content-Type: application/json" \\
      -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' \\
      http://127.0.0.1:7341/mcp/memory

A gateway file is the mcpServers JSON most clients share; stdio entries are started (contained) once per
session, url entries are reached through the same bridge as proxy --url. Every request needs the token in
$XDG_STATE_HOME/agentperms/gateway.token (made on first start, 0600) as "Authorization: Bearer <token>";
a browser Origin other than the gateway's own is refused (403). Docs: docs/remote.md#gateway.
Exit: 0 after SIGINT/SIGTERM, 2 usage (no servers, enforce without --policy), 3 invalid policy or config,
4 the address cannot be used.`,
    )
    .action(async (opts: GatewayCliOptions) => {
      env.setExit(await runGatewayCommand(env, opts));
    });
}

async function runGatewayCommand(env: CommandEnv, opts: GatewayCliOptions): Promise<number> {
  const { io } = env;
  const home = homeOf(io);
  const diag = (m: string) => io.stderr(m.endsWith("\n") ? m : m + "\n");
  const listen = parseListen(opts.listen);
  if (opts.mode === "enforce" && !opts.policy) {
    throw new AgentPermsError("usage", "Enforce mode needs a policy: refusing to serve servers unguarded", {
      hint: "Pass --policy FILE, or use --mode record",
    });
  }
  const servers = await selectServers(io, opts, diag);
  const { resolve, dirname } = await import("node:path");
  const proxy = await import("../../proxy/mod.ts");
  const { compilePolicy, loadPolicy } = await import("../../policy/mod.ts");
  const { printPolicyWarnings } = await import("../shared.ts");
  // Loaded once: a bad policy stops the gateway before it listens; sessions share the compiled policy.
  let preloaded;
  if (opts.policy) {
    // Each server's command line or URL finds its profile (format 2 scopes), as the proxy's does.
    const identities = Object.fromEntries(
      servers.map((s) =>
        [s.name, s.url ? { url: s.url.href } : { command: s.argv![0]!, args: s.argv!.slice(1) }] as const
      ),
    );
    const loaded = await loadPolicy(opts.policy, { cwd: io.cwd(), home, identities });
    printPolicyWarnings(io, loaded);
    const baseDir = dirname(loaded.file);
    preloaded = {
      policy: loaded.compiled,
      source: loaded.policy,
      baseDir,
      redact: await proxy.buildRedactFn(loaded.policy, { baseDir }),
    };
  } else {
    const source = { version: 1 as const };
    preloaded = {
      policy: compilePolicy(source, { baseDir: io.cwd(), home }),
      source,
      baseDir: io.cwd(),
      redact: await proxy.buildRedactFn(source, { baseDir: io.cwd() }),
    };
  }
  if (opts.lock) {
    const { readLockFile } = await import("../../lock/mod.ts");
    await readLockFile(resolve(io.cwd(), opts.lock)); // lock_invalid before listening: fail closed
  }
  const tokenFile = proxy.gatewayTokenPath((n) => io.env(n));
  const { token } = await proxy.loadGatewayToken(tokenFile, (m) => diag(`[agentperms] gateway: ${m}`));
  const backends = new Map<string, import("../../proxy/mod.ts").GatewayBackend>();
  for (const s of servers) backends.set(s.name, backendFor(env, s, opts, preloaded));

  // Set once the port is known (the Host check needs it); nothing can arrive before, but fail closed.
  const ref: { gateway?: InstanceType<typeof proxy.Gateway> } = {};
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      {
        hostname: listen.hostname,
        port: listen.port,
        onListen: () => {},
        onError: (e) => {
          diag(`[agentperms] gateway: internal error: ${(e as Error).stack ?? e}`);
          return new Response("Internal Server Error\n", { status: 500 });
        },
      },
      (req, info) => ref.gateway?.handle(req, info) ?? new Response("Service Unavailable\n", { status: 503 }),
    );
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      throw new AgentPermsError("io_failed", `Cannot listen on ${opts.listen}: the address is in use`, {
        cause: e,
        hint: "Stop what listens there, or pass another port with --listen 127.0.0.1:PORT",
      });
    }
    throw new AgentPermsError("io_failed", `Cannot listen on ${opts.listen}: ${(e as Error).message}`, {
      cause: e,
      hint: "Pass an address of this machine, like --listen 127.0.0.1:7341",
    });
  }
  const port = server.addr.port;
  const shown = listen.hostname.includes(":") ? `[${listen.hostname}]` : listen.hostname;
  const hosts = [`${shown}:${port}`];
  if (listen.loopback) hosts.push(`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`);
  if (listen.hostname === "0.0.0.0" || listen.hostname === "::") {
    // Every address of this machine (and its name) is a name clients may use for a wildcard listener.
    hosts.push(`localhost:${port}`, `${Deno.hostname().toLowerCase()}:${port}`);
    for (const n of Deno.networkInterfaces()) {
      if (n.family === "IPv4" || (listen.hostname === "::" && !n.address.startsWith("fe80"))) {
        hosts.push(n.family === "IPv6" ? `[${n.address}]:${port}` : `${n.address}:${port}`);
      }
    }
  }
  const gateway = ref.gateway = new proxy.Gateway({
    servers: backends,
    token,
    hosts: [...new Set(hosts)],
    idleTimeoutMs: opts.idleTimeout * 1000,
    ...(opts.maxSessions !== undefined ? { maxSessions: opts.maxSessions } : {}),
    maxMessageBytes: opts.maxMessageBytes,
    diag,
  });
  if (!listen.loopback) {
    diag(
      `[agentperms] WARNING: the gateway listens on ${shown}:${port}, not a loopback address: other machines ` +
        `can reach it (the token still guards every request; plain http carries it unencrypted)`,
    );
  }
  const base = `http://${shown}:${port}`;
  const list = servers.map((s) => ({
    name: s.name,
    url: `${base}/mcp/${encodeURIComponent(s.name)}`,
    transport: s.transport,
  }));
  if (opts.format === "json") {
    io.stdout(
      JSON.stringify({
        v: 1,
        event: "listening",
        listen: `${shown}:${port}`,
        mode: opts.mode,
        servers: list,
        tokenFile,
      }) +
        "\n",
    );
  } else {
    io.stdout(`agentperms gateway (${opts.mode}) listening on ${base}\n`);
    for (const s of list) io.stdout(`  ${s.name}  ${s.url}  (${s.transport})\n`);
    io.stdout(`token: Authorization: Bearer <the contents of ${tokenFile}>\n`);
  }
  let stop!: (sig: string) => void;
  const stopped = new Promise<string>((r) => stop = r);
  const signals: [Deno.Signal, () => void][] = [];
  if (Deno.build.os !== "windows") {
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      const h = () => stop(sig);
      Deno.addSignalListener(sig, h);
      signals.push([sig, h]);
    }
  }
  const why = await Promise.race([stopped, server.finished.then(() => "the server stopped")]);
  diag(`[agentperms] gateway: ${why}; ending ${gateway.sessionCount} session(s)`);
  for (const [sig, h] of signals) Deno.removeSignalListener(sig, h);
  await gateway.close(opts.shutdownGrace * 2 + 1000);
  // Every stream was closed with its session; a connection that still lingers does not hold the exit.
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([server.shutdown().catch(() => {}), new Promise((r) => timer = setTimeout(r, 2000))]);
  clearTimeout(timer);
  return 0;
}

/** `host:port` (or `[v6]:port`) → the parts, and whether the host is loopback. */
function parseListen(v: string): { hostname: string; port: number; loopback: boolean } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(v.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new AgentPermsError("usage", `--listen "${v}" is not host:port`, {
      hint: "Write it as 127.0.0.1:7341 (or [::1]:7341); port 0 picks a free one",
    });
  }
  const hostname = (m[1] ?? m[2]!).toLowerCase();
  const loopback = hostname === "localhost" || hostname === "::1" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  return { hostname: hostname === "localhost" ? "127.0.0.1" : hostname, port, loopback };
}

/** The servers to front: a gateway file, or the entries of a client's configs (the same discovery as scan). */
async function selectServers(
  io: Io,
  opts: GatewayCliOptions,
  diag: (m: string) => void,
): Promise<GatewayServer[]> {
  const clients = await import("../../clients/mod.ts");
  const { resolve } = await import("node:path");
  let entries: ServerEntry[] = [];
  let where: string;
  if (opts.config) {
    if (opts.client || opts.path) {
      throw new AgentPermsError("usage", "Give either --config or --client/--path, not both");
    }
    const file = resolve(io.cwd(), opts.config);
    where = `"${opts.config}"`;
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (e) {
      throw new AgentPermsError("config_invalid", `Cannot read the gateway file "${opts.config}"`, {
        cause: e,
        hint: 'Write it as {"mcpServers": {"name": {"command": "...", "args": []}}}',
      });
    }
    const parsed = clients.parseConfig(text, {
      format: "jsonc",
      locators: [{ kind: "map", at: ["mcpServers"] }, { kind: "map", at: ["servers"] }],
    });
    if (parsed.errors.length > 0 || parsed.doc === undefined) {
      throw new AgentPermsError(
        "config_invalid",
        `Cannot read the gateway file "${opts.config}": ${parsed.errors.join("; ") || "not JSON"}`,
        { hint: 'Write it as {"mcpServers": {"name": {"command": "...", "args": []}}}' },
      );
    }
    entries = parsed.servers;
  } else if (opts.client || opts.path) {
    where = opts.path ? `"${opts.path}"` : `the configs of client "${opts.client}"`;
    const found = await clients.discover({ io, client: opts.client ?? "all", path: opts.path });
    const seen = new Set<string>();
    for (const c of found) {
      for (const e of c.servers) {
        if (seen.has(e.name)) {
          diag(
            `[agentperms] gateway: server "${e.name}" in ${c.file} is a second entry of that name; skipped`,
          );
          continue;
        }
        seen.add(e.name);
        entries.push(e);
      }
    }
  } else {
    throw new AgentPermsError("usage", "No servers to serve: say where they are", {
      hint: "Pass --config gateway.json, --client NAME or --path FILE (the servers of a client config)",
    });
  }
  const only = opts.server ? new Set(opts.server) : undefined;
  const out: GatewayServer[] = [];
  const { parseHeaderArgs } = await import("../../proxy/mod.ts");
  for (const e of entries) {
    if (only && !only.has(e.name)) continue;
    if (e.disabled) continue;
    const s = toGatewayServer(e, io, diag, parseHeaderArgs);
    if (s) out.push(s);
  }
  for (const n of only ?? []) {
    if (!out.some((s) => s.name === n)) {
      throw new AgentPermsError("usage", `Server "${n}" is not an entry of ${where}`, {
        hint: "Check --server against agentperms clients",
      });
    }
  }
  if (out.length === 0) {
    throw new AgentPermsError("usage", `No servers to serve: ${where} has no usable entry`, {
      hint: "Check the file with agentperms clients --path FILE, or pass another --config/--client",
    });
  }
  return out;
}

/** One config entry as a server of the gateway; undefined (with a note) when it cannot be served. */
function toGatewayServer(
  e: ServerEntry,
  io: Io,
  diag: (m: string) => void,
  parseHeaderArgs: (
    lines: readonly string[],
    env: (n: string) => string | undefined,
  ) => Record<string, string>,
): GatewayServer | undefined {
  const skip = (why: string) => {
    diag(`[agentperms] gateway: server "${e.name}" is not served: ${why}`);
    return undefined;
  };
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(e.name)) return skip("its name is not usable in a URL path");
  const expand = (v: string): string | undefined => {
    let ok = true;
    const out = v.replace(
      /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{[^}]*\}/g,
      (all, name: string | undefined, dflt: string | undefined) => {
        const got = name !== undefined ? io.env(name) ?? dflt : undefined;
        if (got === undefined) ok = false;
        return got ?? all;
      },
    );
    return ok ? out : undefined;
  };
  if (e.transport === "remote" || e.wrapped?.remote) {
    if (!e.url) return skip("it has no url");
    const raw = expand(e.url);
    if (raw === undefined) return skip("its url names a variable that is not set");
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return skip("its url is not a URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return skip(`its url is ${url.protocol}`);
    // The bridge's own reading of headers: ${env:NAME}, ${NAME}, ${NAME:-default}; ${input:…} refused.
    let headers: Record<string, string>;
    try {
      headers = parseHeaderArgs(
        Object.entries(e.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
        (n) => io.env(n),
      );
    } catch (err) {
      return skip(`its headers cannot be read: ${(err as Error).message}`);
    }
    const type = (e.raw as { type?: unknown } | undefined)?.type;
    const remoteTransport = e.wrapped?.remote?.transport ??
      (type === "sse"
        ? "sse"
        : type === "http" || type === "streamable-http" || type === "streamableHttp"
        ? "http"
        : "auto");
    return { name: e.name, transport: "remote", url, headers, remoteTransport };
  }
  const command = e.wrapped?.original?.command ?? e.command;
  const args = e.wrapped?.original?.args ?? e.args;
  if (!command) return skip("it has no command");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.env)) {
    const x = expand(v);
    if (x === undefined) {
      return skip(
        `env ${k} names a variable that is not set (or an \${input:…} only the client can ask for)`,
      );
    }
    env[k] = x;
  }
  return { name: e.name, transport: "stdio", argv: [command, ...args], env, cwd: e.cwd };
}

type ProxyModule = typeof import("../../proxy/mod.ts");
type Preloaded = NonNullable<import("./run_proxy_command.ts").ProxyOptions["preloaded"]>;

/** How a session of one server starts: the proxy's own code, with the session's streams. */
function backendFor(
  env: CommandEnv,
  s: GatewayServer,
  opts: GatewayCliOptions,
  preloaded: Preloaded,
): import("../../proxy/mod.ts").GatewayBackend {
  const { io } = env;
  if (s.transport === "stdio") {
    const sessionIo: Io = {
      ...io,
      env: (n) => s.env?.[n] ?? io.env(n),
      envAll: () => ({ ...io.envAll(), ...s.env }),
    };
    const sessionEnv: CommandEnv = { ...env, io: sessionIo, setExit: () => {} };
    return async ({ clientIn, clientOut }) => {
      const { runProxyCommand } = await import("./run_proxy_command.ts");
      return await runProxyCommand(sessionEnv, s.argv!, {
        mode: opts.mode,
        server: s.name,
        policy: opts.policy,
        traceDir: opts.traceDir,
        lock: opts.lock,
        traceResults: opts.traceResults,
        otel: opts.otel,
        cwd: s.cwd,
        maxMessageBytes: opts.maxMessageBytes,
        denyStyle: opts.denyStyle,
        approvalTimeout: opts.approvalTimeout,
        tty: false,
        shutdownGrace: opts.shutdownGrace,
        contain: opts.contain,
        serverEnv: Object.keys(s.env ?? {}),
        serverEnvValues: s.env,
        clientIn,
        clientOut,
        forwardSignals: false,
        preloaded,
      });
    };
  }
  return async ({ clientIn, clientOut }) => {
    const proxy: ProxyModule = await import("../../proxy/mod.ts");
    const { resolve } = await import("node:path");
    const { defaultTraceDir, traceFileName, TraceWriter } = await import("../../trace/mod.ts");
    const { openTelemetry } = await import("./_open_telemetry.ts");
    const diag = (m: string) => io.stderr(m.endsWith("\n") ? m : m + "\n");
    let lockCheck: ((tools: unknown[]) => ReadonlyMap<string, string>) | undefined;
    if (opts.lock) {
      const { readLockFile, checkToolsAgainstLock } = await import("../../lock/mod.ts");
      const lock = await readLockFile(resolve(io.cwd(), opts.lock));
      lockCheck = (tools) =>
        checkToolsAgainstLock(lock, s.name, tools as Parameters<typeof checkToolsAgainstLock>[2]).drift;
    }
    const sessionId = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
    const traceDir = opts.traceDir ? resolve(io.cwd(), opts.traceDir) : defaultTraceDir((n) => io.env(n));
    const trace = TraceWriter.open(traceDir, traceFileName(io.now(), s.name, sessionId), {
      onError: (m) => diag(`[agentperms] ${m}`),
      ownDir: !opts.traceDir,
    });
    const telemetry = await openTelemetry(opts.otel === true, io, diag, String(s.url));
    const { sessionRulesOf } = await import("../../policy/session_rules_schema.ts");
    // A stored OAuth login (agentperms login) for this URL, as the bridge uses it.
    const { oauthBridgeFetch } = await import("../../proxy/oauth_bridge_fetch.ts");
    const oauth = await oauthBridgeFetch({
      server: s.name,
      url: s.url!,
      headers: s.headers,
      env: (n) => io.env(n),
      diag,
    });
    try {
      return await proxy.runBridge({
        mode: opts.mode,
        server: s.name,
        policy: preloaded.policy,
        cwd: io.cwd(),
        home: homeOf(io),
        sessionId,
        trace,
        redact: preloaded.redact,
        diag,
        denyStyle: opts.denyStyle,
        approvalTimeoutMs: opts.approvalTimeout * 1000,
        lockCheck,
        traceResults: opts.traceResults === true,
        // Session rules (#18 item 7): one state per client session of the gateway.
        sessionRules: sessionRulesOf(preloaded.source),
        ...(telemetry ? { telemetry } : {}),
        url: s.url!,
        transport: s.remoteTransport,
        headers: s.headers,
        ...(oauth ? { fetch: oauth.fetch } : {}),
        maxMessageBytes: opts.maxMessageBytes,
        graceMs: opts.shutdownGrace,
        clientIn,
        clientOut,
      });
    } finally {
      trace.close();
    }
  };
}
