import type { Command } from "commander";
import { dirname, relative, resolve } from "node:path";
import { hostRealpath } from "../../canonical/mod.ts";
import { discover, type DiscoveredConfig } from "../../clients/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import { readLockFile, type ServerLaunch, verifyLaunches } from "../../lock/mod.ts";
import { type LoadedPolicy, loadPolicy } from "../../policy/mod.ts";
import {
  BUILTIN_REDACTORS,
  compileRedactor,
  loadRedactorPlugin,
  type RedactorDescriptor,
} from "../../redact/mod.ts";
import { BUILTIN_PACKS, replayPack, type ReplayResult } from "../../replay/mod.ts";
import {
  type JudgedScopeCall,
  judgeScopeCall,
  redactReportData,
  renderReportHtml,
  renderReportJson,
  renderReportText,
  reportContainment,
  type ReportData,
  reportDrift,
  reportReplay,
  reportScan,
  riskScore,
  ScopeUseSummarizer,
  type Section,
  type TraceLineProblem,
  TraceSummarizer,
} from "../../report/mod.ts";
import { BUILTIN_PROFILES } from "../../../profiles/mod.ts";
import { type LaunchPlan, lockVersionsFromLaunches, planLaunch } from "../../sandbox/mod.ts";
import { scanConfigs } from "../../scan/mod.ts";
import { defaultTraceDir, readTraceEvents, type TraceEventV1 } from "../../trace/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import type { Io } from "../io.ts";
import { parseServerMap, printPolicyWarnings } from "../shared.ts";
import { writePrivateFile } from "../write_private_file.ts";

interface ReportOptions {
  policy?: string;
  path?: string;
  client?: string;
  traces?: string;
  lock?: string;
  out?: string;
  format: string;
  serverMap: string[];
}

const DEFAULT_POLICY = "mcp.policy.yaml";
const DEFAULT_LOCK = "mcp.lock";
const DEFAULT_OUT = "agentperms-report.html";

/** `agentperms report`: one self-contained HTML (or JSON) report over configs, lock, traces, replay and policy. */
export function registerReport(program: Command, env: CommandEnv): void {
  program.command("report")
    .description(
      "Write one self-contained HTML report: risk, findings, drift, activity, replay, containment, policy",
    )
    .option("-p, --policy <file>", `the policy in force (default ${DEFAULT_POLICY}, if it exists)`)
    .option("--path <dir>", "MCP config file or directory to assess (default: every known client's configs)")
    .option("--client <name>", "only this client's configs (default all)")
    .option(
      "--traces <dir|file>",
      "trace directory or file (default: the proxy's trace directory, if it exists)",
    )
    .option("--lock <file>", `lock file to compare configs with (default ${DEFAULT_LOCK}, if it exists)`)
    .option(
      "-o, --out <file>",
      `where to write (default ${DEFAULT_OUT}; JSON and text go to stdout unless --out)`,
    )
    .option("--format <format>", "html, json or text", "html")
    .option(
      "--server-map <pack=policy>",
      "replay a pack's server under the policy's name for it, e.g. filesystem=fs; repeatable",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms report --policy mcp.policy.yaml --path . --traces traces/
  $ agentperms report --format json | jq .risk
  $ agentperms report --format text --traces traces/     # the scopes in use, per server, in the terminal
  $ agentperms report --policy team.yaml --server-map filesystem=fs --server-map github=gh

The HTML has no scripts and loads nothing (inline CSS and SVG, a CSP that forbids requests); every value is
escaped and redacted. Inputs that are missing are shown as "not available", never as zero risk. Nothing is
started: the lock is compared by launch command only (use \`agentperms lock --check\` for live tool drift).
Exit: 0 written, 2 usage, 3 invalid policy, lock or plugin given explicitly, 4 cannot write.`,
    )
    .action(async (opts: ReportOptions) => {
      const { io } = env;
      if (!["html", "json", "text"].includes(opts.format)) {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, {
          hint: "Use html or json, or text for the terminal",
        });
      }
      const data = await collectReportData(io, opts, program.version() ?? "unknown");
      const packs = await redactorPacks(data.policyLoaded);
      const redactor = compileRedactor(packs);
      data.report.redaction = `every string shown passed through the redaction packs ${
        packs.map((p) => `"${p.id}"`).join(", ")
      } (all categories on; values are replaced, never shown)`;
      const redacted = redactReportData(data.report, (s) => redactor.redactText(s).text);
      const text = opts.format === "html"
        ? renderReportHtml(redacted)
        : opts.format === "json"
        ? renderReportJson(redacted)
        : renderReportText(redacted);
      if (opts.format !== "html" && opts.out === undefined) {
        io.stdout(text);
        return;
      }
      const out = resolve(io.cwd(), opts.out ?? DEFAULT_OUT);
      try {
        await writePrivateFile(out, text);
      } catch (e) {
        throw new AgentPermsError("io_failed", `Cannot write "${shown(io, out)}": ${(e as Error).message}`, {
          cause: e,
          hint: "Choose a writable path with --out",
        });
      }
      const risk = riskScore(redacted);
      const sections = [
        redacted.scan,
        redacted.lock,
        redacted.activity,
        redacted.replay,
        redacted.containment,
        redacted.policy,
      ];
      io.stdout(
        `Wrote ${shown(io, out)}: risk ${risk.score}/100 (${risk.level}); ` +
          `${sections.filter((s) => s.available).length} of ${sections.length} inputs available.\n`,
      );
    });
}

interface Collected {
  report: ReportData;
  policyLoaded?: LoadedPolicy;
}

async function collectReportData(io: Io, opts: ReportOptions, version: string): Promise<Collected> {
  const home = homeOf(io);
  const inputs: ReportData["inputs"] = {};

  // Policy: a missing default is "not available"; an explicit --policy that fails is an error (exit 3).
  let loaded: LoadedPolicy | undefined;
  let policy: ReportData["policy"];
  const policyFile = opts.policy ?? DEFAULT_POLICY;
  if (opts.policy === undefined && !(await exists(resolve(io.cwd(), policyFile)))) {
    policy = na(`no policy given and no "${DEFAULT_POLICY}" here`);
  } else {
    loaded = await loadPolicy(policyFile, { cwd: io.cwd(), home });
    printPolicyWarnings(io, { file: shown(io, loaded.file), warnings: loaded.warnings });
    inputs.policy = shown(io, loaded.file);
    policy = {
      available: true,
      value: {
        file: inputs.policy,
        text: await Deno.readTextFile(loaded.file),
        servers: [...loaded.compiled.servers.keys()],
        warnings: loaded.warnings.map((w) => `${w.line ? `line ${w.line}: ` : ""}${w.message}`),
      },
    };
  }

  const serverMap = parseServerMap(opts.serverMap);
  // Replay: the built-in packs against the policy, offline, with the same decide() the proxy uses.
  let replay: ReportData["replay"];
  if (loaded) {
    const results: ReplayResult[] = [];
    for (const pack of BUILTIN_PACKS) {
      results.push(...replayPack(loaded.compiled, pack, {
        cwd: dirname(loaded.file),
        home,
        serverMap,
        realpath: hostRealpath,
      }));
    }
    replay = { available: true, value: reportReplay(results) };
  } else replay = na("no policy to replay the attack packs against");

  // Configs: found the way `scan` finds them; nothing is started.
  let configs: DiscoveredConfig[] | undefined;
  let configsReason = "";
  try {
    configs = await discover({ io, client: opts.client, path: opts.path });
    if (opts.path) inputs.path = opts.path;
  } catch (e) {
    if (e instanceof AgentPermsError && e.code === "usage") throw e;
    configsReason = `cannot read MCP configs: ${(e as Error).message}`;
  }
  const servers = configs ? configuredServers(configs, io) : [];

  // Scan: the same rules as `agentperms scan` (never --tools: the report starts nothing).
  const scan: ReportData["scan"] = configs
    ? {
      available: true,
      value: reportScan(scanConfigs(configs, { home, cwd: io.cwd() }), {
        servers: configs.reduce((n, c) => n + c.servers.length, 0),
        configs: configs.length,
      }),
    }
    : na(configsReason);

  // The lock, when there is one: read now (fail closed on a corrupt one) so containment uses its versions.
  const lockFile = opts.lock ?? DEFAULT_LOCK;
  const lockAbs = resolve(io.cwd(), lockFile);
  const pinned = opts.lock === undefined && !(await exists(lockAbs))
    ? undefined
    : await readLockFile(lockAbs);
  const lockVersions = pinned
    ? lockVersionsFromLaunches(Object.values(pinned.servers).map((s) => s.launch), io.cwd())
    : undefined;

  let containment: ReportData["containment"];
  if (configs) {
    const plans = new Map<string, LaunchPlan>();
    for (const s of servers) {
      if (s.launch) {
        plans.set(
          s.name,
          planLaunch(loaded?.compiled, s.name, [s.launch.command, ...s.launch.args], {
            denoPath: "deno",
            home,
            cwd: s.launch.cwd ?? io.cwd(),
            env: {},
            mode: "enforce",
            lockVersions,
            serverEnv: Object.keys(s.launch.env ?? {}),
          }),
        );
      }
    }
    const rows = reportContainment(plans);
    for (const s of servers) {
      if (!s.launch) {
        rows.push({
          server: s.name,
          contained: false,
          mode: "not contained",
          detail: "remote server: it runs elsewhere, only the JSON-RPC policy applies",
        });
      }
    }
    containment = {
      available: true,
      value: rows.sort((a, b) => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0)),
    };
  } else containment = na(configsReason);

  // Traces: the proxy's v1 files and the original's JSONL, streamed.
  const driftEvents: TraceEventV1[] = [];
  let activity: ReportData["activity"];
  let scopes: ReportData["scopes"];
  // Scopes in use: each traced tools/call read with its server's profile and judged by decide(), as the proxy
  // judges it (the configured command finds the profile, as the proxy's does).
  const identities: Record<string, { command?: string; args?: readonly string[] }> = {};
  for (const s of servers) {
    if (s.launch) identities[s.name] = { command: s.launch.command, args: s.launch.args };
  }
  const scopeAcc = new ScopeUseSummarizer();
  const judgeScopes = memoized((e: TraceEventV1) =>
    judgeScopeCall(
      { server: e.server, tool: e.tool!, arguments: e.arguments, cwd: e.cwd },
      {
        compiled: loaded?.compiled,
        profiles: [...(loaded?.profiles ?? []), ...BUILTIN_PROFILES],
        identities,
        home,
        cwd: loaded ? dirname(loaded.file) : io.cwd(),
        realpath: hostRealpath,
      },
    )
  );
  const traceSource = opts.traces ?? defaultTraceDirOrUndefined(io);
  if (traceSource === undefined || (opts.traces === undefined && !(await exists(traceSource)))) {
    activity = na(`no traces given${traceSource ? ` and none in "${traceSource}"` : ""}`);
  } else {
    const problems: TraceLineProblem[] = [];
    let malformed = 0;
    const files = new Set<string>();
    // Streamed: only counts, one time per call and drift events are kept, whatever the size of the traces.
    const acc = new TraceSummarizer();
    // A trace directory may hold one folder per mode or session (the demo writes traces/record and
    // traces/enforce): read every folder below it that has trace files.
    for (const source of await traceSources(resolve(io.cwd(), traceSource))) {
      for await (
        const r of readTraceEvents(source, {
          cwd: io.cwd(),
          onProblem: (p) => {
            malformed++;
            files.add(p.file);
            if (problems.length < 10) problems.push(p);
          },
        })
      ) {
        files.add(r.file);
        acc.add(r.event);
        const e = r.event;
        if (e.kind === "call" && e.method === "tools/call" && e.tool !== undefined) {
          scopeAcc.add(judgeScopes(e));
        }
        if (r.event.kind === "drift") driftEvents.push(r.event);
      }
    }
    inputs.traces = shown(io, resolve(io.cwd(), traceSource));
    if (files.size === 0) {
      activity = na(`no trace files (*.jsonl) in "${inputs.traces}" or the folders below it`);
    } else {
      scopes = { available: true, value: scopeAcc.finish(loaded !== undefined) };
      activity = {
        available: true,
        value: acc.finish({
          files: files.size,
          problems: problems.map((p) => ({ ...p, file: shown(io, p.file) })),
          malformed,
        }),
      };
    }
  }

  // Lock: launch commands compared statically (like `lock --verify-config`), plus runtime drift from traces.
  let lock: ReportData["lock"];
  if (!pinned) {
    const fromTraces = reportDrift(undefined, driftEvents);
    lock = fromTraces.length
      ? { available: true, value: { file: "(traces only)", servers: 0, drift: fromTraces } }
      : na(`no lock given and no "${DEFAULT_LOCK}" here`);
  } else {
    inputs.lock = shown(io, lockAbs);
    const configured = new Map<string, ServerLaunch>();
    for (const s of servers) if (s.launch) configured.set(s.name, s.launch);
    const diff = configs ? verifyLaunches(pinned, configured) : undefined;
    lock = {
      available: true,
      value: {
        file: inputs.lock,
        servers: Object.keys(pinned.servers).length,
        drift: reportDrift(diff, driftEvents),
      },
    };
  }

  return {
    policyLoaded: loaded,
    report: {
      v: 1,
      generatedAt: io.now().toISOString(),
      version,
      inputs,
      scan,
      lock,
      activity,
      scopes: scopes ?? na(activity.available ? "no traced calls" : activity.reason),
      replay,
      containment,
      policy,
      redaction: "",
    },
  };
}

async function redactorPacks(loaded: LoadedPolicy | undefined): Promise<RedactorDescriptor[]> {
  // Every built-in category is on for reports, whatever the policy switches say: a report is made to be
  // shared. The policy's plugins add to them.
  const packs: RedactorDescriptor[] = [...BUILTIN_REDACTORS];
  for (const p of loaded?.policy.redaction?.plugins ?? []) {
    packs.push(await loadRedactorPlugin(p, { cwd: dirname(loaded!.file) }));
  }
  return packs;
}

interface ConfiguredServer {
  name: string;
  /** Undefined for remote entries. */
  launch?: ServerLaunch;
}

function configuredServers(configs: DiscoveredConfig[], io: Io): ConfiguredServer[] {
  const byName = new Map<string, ConfiguredServer>();
  for (const c of configs) {
    for (const s of c.servers) {
      if (s.disabled || byName.has(s.name)) continue;
      if (s.transport !== "stdio" || !s.command) {
        byName.set(s.name, { name: s.name });
        continue;
      }
      // Wrapped entries are judged by what they wrap, like `lock`.
      const base = s.wrapped?.original ?? { command: s.command, args: s.args };
      byName.set(s.name, {
        name: s.name,
        launch: {
          command: base.command,
          args: [...base.args],
          env: { ...s.env },
          cwd: s.cwd ?? s.project ?? io.cwd(),
        },
      });
    }
  }
  return [...byName.values()];
}

/**
 * The trace file itself, or the directory and every folder below it (at most 3 levels, never into
 * `node_modules` or hidden folders) that directly holds `*.jsonl` files.
 */
async function traceSources(abs: string): Promise<string[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(abs);
  } catch {
    return [abs]; // readTraceEvents reports the missing path with its hint
  }
  if (!info.isDirectory) return [abs];
  const out: string[] = [];
  const walk = async (dir: string, depth: number) => {
    let hasTraces = false;
    const subdirs: string[] = [];
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".jsonl")) hasTraces = true;
      else if (e.isDirectory && depth < 3 && e.name !== "node_modules" && !e.name.startsWith(".")) {
        subdirs.push(resolve(dir, e.name));
      }
    }
    if (hasTraces) out.push(dir);
    for (const d of subdirs.sort()) await walk(d, depth + 1);
  };
  await walk(abs, 0);
  return out;
}

function defaultTraceDirOrUndefined(io: Io): string | undefined {
  try {
    return defaultTraceDir((n) => io.env(n));
  } catch {
    return undefined;
  }
}

/** Distinct traced calls whose judgement is remembered before starting over (an agent repeats its calls). */
const MAX_REMEMBERED_SCOPE_CALLS = 20_000;

/** The same call (server, tool, arguments, folder) judged once per run: decide() is pure. */
function memoized(judge: (e: TraceEventV1) => JudgedScopeCall): (e: TraceEventV1) => JudgedScopeCall {
  const seen = new Map<string, JudgedScopeCall>();
  return (e) => {
    const key = JSON.stringify([e.server, e.tool, e.cwd, e.arguments]);
    let j = seen.get(key);
    if (!j) {
      if (seen.size >= MAX_REMEMBERED_SCOPE_CALLS) seen.clear();
      seen.set(key, j = judge(e));
    }
    return j;
  };
}

function na<T>(reason: string): Section<T> {
  return { available: false, reason };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function shown(io: Io, abs: string): string {
  const rel = relative(io.cwd(), abs);
  return rel === "" || rel.startsWith("..") ? abs : rel;
}
