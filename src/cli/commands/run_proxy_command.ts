import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { AgentPermsError } from "../../errors.ts";
import {
  type CompiledPolicy,
  compilePolicy,
  loadPolicy,
  openPolicyCache,
  type Policy,
  type PolicyCache,
  policyCacheDir,
} from "../../policy/mod.ts";
import { sessionRulesOf } from "../../policy/session_rules_schema.ts";
import denoJson from "../../../deno.json" with { type: "json" };
import { hostRealpath } from "../../canonical/mod.ts";
// TODO(#20): through canonical/mod.ts once it exports loadShellParser (canonical/mod.ts is not this change's).
import { loadShellParser } from "../../canonical/read_shell.ts";
import { prepareGuardPack } from "../../profiles/mod.ts";
import {
  buildRedactFn,
  type LaunchSpec,
  openDevTty,
  type RedactFn,
  refuseSession,
  returnLargeFreesToSystem,
  runProxy,
  TtyPrompter,
} from "../../proxy/mod.ts";
import {
  type Broker,
  brokerCheckToTraceEvent,
  checkOsSandbox,
  describeContainmentExit,
  describeStartFailure,
  detectContainmentDenial,
  findDeno,
  lockVersionsFromLaunches,
  type OsContainment,
  parseServerCommand,
  planLaunch,
  readAuditFile,
  startBroker,
  startOsContainment,
} from "../../sandbox/mod.ts";
import { defaultTraceDir, type TraceEventV1, traceFileName, TraceWriter } from "../../trace/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import { printPolicyWarnings } from "../shared.ts";
import { claimAuditFile } from "../claim_audit_file.ts";
import { openTelemetry } from "./_open_telemetry.ts";

/** The parsed options of `agentperms proxy` / `_proxy` (see `registerProxy` for their meaning). */
export interface ProxyOptions {
  /** record or enforce. */
  mode: "record" | "enforce";
  /** The server's name in the policy. */
  server: string;
  /** Policy file (required in enforce mode). */
  policy?: string;
  /** Where the trace goes. */
  traceDir?: string;
  /** mcp.lock to check tools/list against. */
  lock?: string;
  /** Keep the redacted start of result texts in the trace. */
  traceResults?: boolean;
  /** Export each decision to OpenTelemetry (docs/telemetry.md). */
  otel?: boolean;
  /** The server's working directory. */
  cwd?: string;
  /** Per-message cap in bytes. */
  maxMessageBytes: number;
  /** How a denied call is answered. */
  denyStyle: "result" | "jsonrpc";
  /** Seconds before an unanswered approval is denied. */
  approvalTimeout: number;
  /** Whether /dev/tty may be used for approvals. */
  tty: boolean;
  /** ms the server may take to exit after client EOF. */
  shutdownGrace: number;
  /** Start the server under the Deno permission layer. */
  contain: boolean;
  /** Env names the client config sets for the server. */
  serverEnv: string[];
  // ---- For `agentperms gateway`, which runs one proxy per HTTP session in its own process (all optional):
  /** The client's byte streams instead of this process's stdin and stdout. */
  clientIn?: ReadableStream<Uint8Array>;
  /** See `clientIn`. */
  clientOut?: WritableStream<Uint8Array>;
  /** Forward SIGINT/SIGTERM/SIGHUP to the server (default true; the gateway handles signals itself). */
  forwardSignals?: boolean;
  /** The policy and redaction loaded once for many sessions (its warnings printed once). */
  preloaded?: PreloadedPolicy;
  /** Values of the `serverEnv` names for a server started uncontained (a contained one reads `io.envAll()`). */
  serverEnvValues?: Record<string, string>;
}

/** A policy loaded once and shared by many proxy sessions (`agentperms gateway`). */
export interface PreloadedPolicy {
  /** The compiled policy. */
  policy: CompiledPolicy;
  /** Its source (redaction packs are read from it). */
  source: Policy;
  /** Folder relative paths in it resolve against. */
  baseDir: string;
  /** Its redaction. */
  redact: RedactFn;
}

/**
 * Runs the proxy command: loads the policy, plans the launch, opens the trace and pumps messages until the
 * server exits. Loaded on demand by `registerProxy`'s action, so `agentperms --help` and every other command
 * never load the proxy, and the proxy never loads another command.
 * @param env io and exit-code setter
 * @param argv the server command and its arguments
 * @param opts the parsed options
 * @returns the server's exit code
 * @throws {AgentPermsError} usage, policy_invalid, plugin_invalid, lock_invalid or upstream_failed
 */
export async function runProxyCommand(env: CommandEnv, argv: string[], opts: ProxyOptions): Promise<number> {
  const { io } = env;
  const home = homeOf(io);
  // This process is the proxy for good: let glibc return freed multi-megabyte message buffers.
  returnLargeFreesToSystem();
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
  let source: Policy;
  let baseDir = io.cwd();
  if (opts.preloaded) {
    ({ policy, source, baseDir } = opts.preloaded);
  } else if (opts.policy) {
    // The server's command line finds its profile (format 2 scopes) by package or command, not only by name.
    const identities = { [opts.server]: { command: argv[0], args: argv.slice(1) } };
    const loaded = await loadPolicy(opts.policy, {
      cwd: io.cwd(),
      home,
      identities,
      cache: largePolicyCache(openPolicyCache(policyCacheDir(envRecord(io.env), home), denoJson.version)),
    });
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
  const redact: RedactFn = opts.preloaded?.redact ?? await buildRedactFn(source, { baseDir });
  // Everything that can refuse to start (policy, plugins, lock) is loaded before the trace file is created.
  const pinned = opts.lock ? await loadLockCheck(resolve(io.cwd(), opts.lock), opts.server) : undefined;
  const lockCheck = pinned?.check;
  const sessionId = crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const traceDir = opts.traceDir ? resolve(io.cwd(), opts.traceDir) : defaultTraceDir(io.env);
  const diag = (m: string) => io.stderr(m.endsWith("\n") ? m : m + "\n");
  const trace = TraceWriter.open(traceDir, traceFileName(io.now(), opts.server, sessionId), {
    onError: (m) => diag(`[agentperms] ${m}`),
    // The default folder is AgentPerms' own: made private even when an older version created it 0755.
    ownDir: !opts.traceDir,
  });
  const cwd = opts.cwd ? resolve(io.cwd(), opts.cwd) : io.cwd();
  const base = { sessionId, server: opts.server, mode: opts.mode };
  const note = (detail: string) => {
    diag(`[agentperms] ${detail}`);
    trace.write({ v: 1, kind: "lifecycle", time: io.now().toISOString(), ...base, detail });
  };
  const sb = policy.servers.get(opts.server)?.sandbox;
  const backend = !opts.contain || sb?.mode === "off"
    ? "none"
    : sb?.mode === "flags" || sb?.mode === "deno" || sb?.mode === "broker"
    ? "deno"
    : "os";
  // The default containment: an OS sandbox (bubblewrap) around the server's unchanged command.
  const os = backend === "os"
    ? await containInOsSandbox({
      opts,
      policy,
      argv,
      home,
      cwd,
      io,
      sessionId,
      traceDir,
      note,
      trace,
      base,
      lockVersions: pinned?.launch ? lockVersionsFromLaunches([pinned.launch], cwd) : undefined,
    })
    : undefined;
  if (os?.refused) {
    // Enforce mode never runs a server it cannot contain; the client hears why instead of "Connection closed".
    note(os.refused);
    trace.close();
    const out = opts.clientOut?.getWriter();
    await refuseSession(
      `AgentPerms: ${os.refused}`,
      opts.clientIn && out
        ? { clientIn: opts.clientIn, send: (l) => out.write(new TextEncoder().encode(l + "\n")) }
        : {},
    );
    await out?.close().catch(() => {});
    return 4;
  }
  // Opt-in: JS/TS servers under Deno permissions derived from the policy (flags or broker).
  const plan = backend === "deno"
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
  else if (sb?.mode === "off") note(`Server "${opts.server}" is not contained: its sandbox.mode is "off"`);
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
  // Deno would create the audit log 0644; created (and locked) here first, it stays 0600.
  const audit = plan?.auditFile ? claimAuditFile(plan.auditFile) : undefined;
  const launch: LaunchSpec = os?.containment
    ? { ...os.containment.plan }
    : plan
    ? { command: plan.command, args: plan.args, env: plan.env, clearEnv: plan.clearEnv, cwd: plan.cwd ?? cwd }
    : { command, args, cwd, env: { ...opts.serverEnvValues, RUST_BACKTRACE: "0" } };
  const contained = os ? os.containment !== undefined : plan?.contained === true;
  let prompter: TtyPrompter | undefined;
  const telemetry = await openTelemetry(opts.otel === true, io, (m) => io.stderr(`${m}\n`));
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
      traceResults: opts.traceResults === true,
      // Session rules (#18 item 7): one state per proxy process, that is per client session.
      sessionRules: sessionRulesOf(source),
      ...(telemetry ? { telemetry } : {}),
      detectContainment: detectContainmentDenial,
      launch,
      // The shell parser (tens of ms to load) and format 2's guard packs (tens of ms of RE2 compiling) get
      // ready while the client reads its initialize answer; every message after the first waits for them
      // (issue 20 item 6). A pack that cannot compile is reported; decide() denies what it would have judged.
      beforeCalls: async () => {
        await loadShellParser();
        for (const g of policy?.v2?.guardPacks ?? []) prepareGuardPack(g.pack);
      },
      // The proxy's stdio edge (clientIn/clientOut left to runProxy: this process's stdin and stdout, polled
      // on the main thread when they are pipes); stdout carries only JSON-RPC.
      maxMessageBytes: opts.maxMessageBytes,
      graceMs: opts.shutdownGrace,
      forwardSignals: opts.forwardSignals ?? true,
      ...(opts.clientIn ? { clientIn: opts.clientIn } : {}),
      ...(opts.clientOut ? { clientOut: opts.clientOut } : {}),
      // A server that stops before it answers: name the likely cause and show its last stderr lines.
      explainExit: (code, stderrTail) => describeStartFailure(code, stderrTail, contained).message,
      // Record mode never breaks a server: one that dies in the permissive sandbox before it says anything
      // is started again as configured, uncontained, and the user is told loudly.
      fallback: opts.mode === "record" && os?.containment
        ? {
          launch: { command, args, cwd, env: { ...opts.serverEnvValues, RUST_BACKTRACE: "0" } },
          onFallback: (why) =>
            note(
              `WARNING: server "${opts.server}" stopped in record mode's sandbox before answering (${why}); ` +
                `it now runs NOT contained, with your full rights, so that recording does not break it. ` +
                `Run agentperms sandbox explain --server ${opts.server} to see what the sandbox held back`,
            ),
        }
        : undefined,
    });
    // Exit 87 means the broker went away and Deno stopped the server (containment fails closed): say so.
    const why = plan?.mode === "broker" ? describeContainmentExit(code) : undefined;
    if (why) note(why);
    return code;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new AgentPermsError(
        "upstream_failed",
        /working directory/.test(e.message)
          ? `Cannot start the server: ${e.message}`
          : `Cannot start the server: command "${launch.command}" not found`,
        {
          cause: e,
          hint: /working directory/.test(e.message)
            ? "Check --cwd (or the cwd of the entry in the client config)"
            : "Check the command after --; it must be on PATH or an absolute path",
        },
      );
    }
    throw e;
  } finally {
    await broker?.close();
    await os?.containment?.close();
    // Record mode: what the server itself opened and changed (strace), for infer's sandbox block.
    for (const ev of await os?.containment?.fileEvents(base) ?? []) trace.write(ev);
    if (os?.runDir) await Deno.remove(os.runDir, { recursive: true }).catch(() => {});
    if (plan?.auditFile) {
      // Fold what the server touched at the OS level into this process's trace, then drop the raw log.
      for (const ev of await readAuditFile(plan.auditFile, base, plan)) trace.write(ev);
      if (audit) audit.release();
      else await Deno.remove(plan.auditFile).catch(() => {});
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

interface OsSetup {
  opts: ProxyOptions;
  policy: CompiledPolicy;
  argv: string[];
  home: string;
  cwd: string;
  io: CommandEnv["io"];
  sessionId: string;
  traceDir: string;
  note: (detail: string) => void;
  trace: TraceWriter;
  base: { sessionId: string; server: string; mode: "record" | "enforce" };
  lockVersions?: Record<string, string>;
}

/**
 * Puts the server in the OS sandbox, or says loudly why it cannot: without bubblewrap (or user namespaces),
 * `sandbox.fallback` decides: `refuse` (the default in enforce mode) stops here with the fix, `uncontained`
 * (the default in record mode) runs the server as written with a warning on stderr and in the trace.
 */
async function containInOsSandbox(
  s: OsSetup,
): Promise<{ containment?: OsContainment; runDir?: string; refused?: string }> {
  const { opts, policy } = s;
  const sb = policy.servers.get(opts.server)?.sandbox;
  const fallback = sb?.fallback ?? (opts.mode === "enforce" ? "refuse" : "uncontained");
  const env = s.io.envAll();
  const support = checkOsSandbox(env);
  let why = support.ok ? undefined : `${support.reason} (fix: ${support.fix})`;
  let containment: OsContainment | undefined;
  let runDir: string | undefined;
  if (support.ok) {
    // The egress socket lives here, and Unix socket paths hold about 100 bytes: a long TMPDIR (macOS's
    // /var/folders/…/T/ is about 50) would not fit, so /tmp is used then.
    const tmp = env.TMPDIR && env.TMPDIR.length <= 40 ? env.TMPDIR : "/tmp";
    const base = existsSync(tmp) ? tmp : undefined;
    removeStaleRunDirs(base ?? "/tmp");
    runDir = await Deno.makeTempDir({ dir: base, prefix: "ap-" });
    await Deno.chmod(runDir, 0o700);
    // Whose folder this is: a proxy killed with SIGKILL cannot remove it, the next one does (see below).
    await Deno.writeTextFile(join(runDir, "pid"), String(Deno.pid));
    const entry = parseServerCommand(s.argv, s.cwd);
    const roots = entry.serverArgs.filter((a) => !a.startsWith("-")).map((a) =>
      resolve(s.cwd, a.replace(/^~(?=\/|$)/, s.home))
    )
      .filter((a) => existsSync(a) && statSync(a).isDirectory());
    try {
      const r = await startOsContainment({
        policy: opts.policy ? policy : undefined,
        server: opts.server,
        argv: s.argv,
        mode: opts.mode,
        home: s.home,
        cwd: s.cwd,
        env,
        serverEnv: opts.serverEnv,
        serverRoots: roots,
        lockVersions: s.lockVersions,
        // The server must not rewrite the rules it runs under, nor see AgentPerms' traces, state or launcher.
        protect: {
          readOnly: [opts.policy, opts.lock].filter((p): p is string => p !== undefined).map((p) =>
            resolve(s.io.cwd(), p)
          ),
          hide: [
            s.traceDir,
            join(
              env.XDG_STATE_HOME?.startsWith("/") ? env.XDG_STATE_HOME : join(s.home, ".local/state"),
              "agentperms",
            ),
            join(
              env.XDG_DATA_HOME?.startsWith("/") ? env.XDG_DATA_HOME : join(s.home, ".local/share"),
              "agentperms",
            ),
          ],
        },
        support,
        runDir,
        realpath: hostRealpath,
        onEvent: (ev) => s.trace.write({ ...ev, ...s.base } as TraceEventV1),
        note: s.note,
      });
      if ("uncontainable" in r) why = r.uncontainable;
      else containment = r;
    } catch (e) {
      why = `the sandbox could not be prepared: ${(e as Error).message}`;
    }
  }
  if (containment) {
    const p = containment.profile;
    s.note(
      `Server "${opts.server}" is contained (OS sandbox, ${opts.mode}): reads ${p.read.length}, writes ${p.write.length}, ` +
        `hidden ${p.hide.length}, hosts ${
          p.net.map((n) => n.value).join(", ") || "none"
        }; see agentperms sandbox explain`,
    );
    for (const n of [...p.notes, ...containment.plan.notes]) s.note(n);
    return { containment, runDir };
  }
  if (runDir) await Deno.remove(runDir, { recursive: true }).catch(() => {});
  if (fallback === "refuse") {
    return {
      refused: `Cannot contain server "${opts.server}", so it is not started: ${why}. ` +
        `Fix that, or set servers.${opts.server}.sandbox.fallback: uncontained to run it with your full rights`,
    };
  }
  s.note(`WARNING: server "${opts.server}" is NOT contained and runs with your full rights: ${why}`);
  return {};
}

/**
 * Run folders (`ap-*` with a `pid` file) whose proxy is gone: a proxy killed with SIGKILL leaves its egress
 * socket folder behind. Only folders of this user, older than a minute, whose pid is not running are
 * removed; anything unexpected is left alone.
 */
function removeStaleRunDirs(dir: string): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return;
  }
  const uid = Deno.uid();
  for (const e of entries) {
    if (!e.isDirectory || !e.name.startsWith("ap-")) continue;
    const p = join(dir, e.name);
    try {
      const st = Deno.statSync(p);
      if (st.uid !== uid || Date.now() - (st.mtime?.getTime() ?? Date.now()) < 60_000) continue;
      const pid = Number(Deno.readTextFileSync(join(p, "pid")).trim());
      if (!Number.isInteger(pid) || pid <= 0 || existsSync(`/proc/${pid}`)) continue;
      Deno.removeSync(p, { recursive: true });
    } catch {
      // not ours, not a run folder, or already gone
    }
  }
}

/** Policies at least this long are cached: their parse and lint cost tens to hundreds of ms (BENCHMARKS). */
const CACHED_POLICY_CHARS = 64 * 1024;

/**
 * The policy cache, used only for a large policy: a small one parses in a few milliseconds, and a proxy start
 * should not write a cache file for it.
 */
function largePolicyCache(cache: PolicyCache): PolicyCache {
  return {
    get: (text) => text.length >= CACHED_POLICY_CHARS ? cache.get(text) : Promise.resolve(undefined),
    put: (text, parsed) => text.length >= CACHED_POLICY_CHARS ? cache.put(text, parsed) : Promise.resolve(),
  };
}

function envRecord(env: (name: string) => string | undefined): Record<string, string | undefined> {
  return { XDG_CACHE_HOME: env("XDG_CACHE_HOME") };
}
