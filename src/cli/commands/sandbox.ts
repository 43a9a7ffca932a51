import type { Command } from "commander";
import { resolve } from "node:path";
import { hostRealpath } from "../../canonical/mod.ts";
import { discover } from "../../clients/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import { readLockFile } from "../../lock/mod.ts";
import { loadPolicy } from "../../policy/mod.ts";
import {
  checkOsSandbox,
  deriveProfile,
  findDeno,
  type LaunchPlan,
  lockVersionsFromLaunches,
  type Mount,
  planLaunch,
  planOsLaunch,
  type ProfileEntry,
  runtimeNeeds,
} from "../../sandbox/mod.ts";
import type { CompiledPolicy } from "../../policy/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import { printPolicyWarnings } from "../shared.ts";

interface ExplainOptions {
  policy: string;
  server: string;
  mode: string;
  cwd?: string;
  lock?: string;
  traceDir?: string;
  client?: string;
  config?: string;
  format: string;
}

/** `agentperms sandbox`: show how a server is contained (the Deno permission layer under the proxy). */
export function registerSandbox(program: Command, env: CommandEnv): void {
  const sandbox = program.command("sandbox")
    .description("Containment: how each MCP server is run under Deno permissions derived from the policy")
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms sandbox explain --policy mcp.policy.yaml --server filesystem -- npx -y @modelcontextprotocol/server-filesystem@2026.8.31 ~/proj
  $ agentperms sandbox explain --server filesystem --format json`,
    );
  sandbox.command("explain")
    .description(
      "Print the exact command line a server would be started with, and why each permission flag is there",
    )
    .requiredOption("--server <name>", "the server's name in the policy and the client config")
    .option("-p, --policy <file>", "policy file", "mcp.policy.yaml")
    .option("--mode <mode>", "proxy mode to plan for: enforce or record", "enforce")
    .option("--cwd <dir>", "the server's working directory (default: the current one)")
    .option("--lock <file>", "mcp.lock whose pinned launch versions win over the command's")
    .option("--trace-dir <dir>", "trace directory (audit file in record mode, broker socket)")
    .option("--client <id>", "when no command is given: the client whose config holds the server")
    .option("--config <path>", "when no command is given: a config file or folder to read instead")
    .option("--format <format>", "text or json", "text")
    .argument("[command...]", "the server's command line (after --); default: found in the client configs")
    .passThroughOptions()
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms sandbox explain -p mcp.policy.yaml --server fs -- npx -y @modelcontextprotocol/server-filesystem@2026.8.31 ./src
  $ agentperms sandbox explain -p mcp.policy.yaml --server git -- uvx mcp-server-git        (reported: not contained)
  $ agentperms sandbox explain -p mcp.policy.yaml --server fs --client cursor --format json

The policy's per-server "sandbox" block (mode: off|flags|broker, read, write, net, env, run) overrides what is
derived from allowed_paths, denied_paths, allowed_tools and allowed_hosts. See docs/containment.md.

Exit: 0 when the server would be contained, 1 when it would run uncontained.`,
    )
    .action(async (command: string[], opts: ExplainOptions) => {
      const { io } = env;
      if (opts.format !== "text" && opts.format !== "json") {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, { hint: "Use text or json" });
      }
      if (opts.mode !== "enforce" && opts.mode !== "record") {
        throw new AgentPermsError("usage", `Unknown mode "${opts.mode}"`, { hint: "Use enforce or record" });
      }
      const home = homeOf(io);
      const loaded = await loadPolicy(opts.policy, { cwd: io.cwd(), home });
      if (opts.format === "text") printPolicyWarnings(io, loaded);
      const sbMode = loaded.compiled.servers.get(opts.server)?.sandbox?.mode;
      if (sbMode === undefined || sbMode === "os") {
        // The default: the OS sandbox. From the policy alone it prints the profile; with a command (or
        // --client/--config to find it), the exact bubblewrap launch too.
        let found: { argv: string[]; envNames: string[]; cwd?: string } | undefined;
        if (command.length > 0) found = { argv: command, envNames: [] };
        else if (opts.client || opts.config) found = await findServer(opts, io.cwd(), env);
        const cwd = opts.cwd
          ? resolve(io.cwd(), opts.cwd)
          : found?.cwd
          ? resolve(io.cwd(), found.cwd)
          : io.cwd();
        const out = explainOs(loaded.compiled, opts.server, {
          mode: opts.mode as "record" | "enforce",
          home,
          cwd,
          env: io.envAll(),
          argv: found?.argv,
          serverEnv: found?.envNames ?? [],
        });
        if (!loaded.compiled.servers.has(opts.server) && loaded.compiled.constrained) {
          out.notes.unshift(
            `Server "${opts.server}" is not in the policy: enforce mode denies all its calls`,
          );
        }
        io.stdout(opts.format === "json" ? JSON.stringify(out, null, 2) + "\n" : explainOsText(out));
        env.setExit(out.contained ? 0 : 1);
        return;
      }
      let argv = command;
      let serverEnv: string[] | undefined;
      let cwd = opts.cwd ? resolve(io.cwd(), opts.cwd) : io.cwd();
      if (argv.length === 0) {
        const found = await findServer(opts, io.cwd(), env);
        argv = found.argv;
        serverEnv = found.envNames;
        if (found.cwd && !opts.cwd) cwd = resolve(io.cwd(), found.cwd);
      }
      let lockVersions: Record<string, string> | undefined;
      if (opts.lock) {
        const lock = await readLockFile(resolve(io.cwd(), opts.lock));
        lockVersions = lockVersionsFromLaunches(Object.values(lock.servers).map((s) => s.launch), cwd);
      }
      let denoPath: string;
      try {
        denoPath = findDeno(io);
      } catch {
        denoPath = "deno"; // explain only prints; a missing deno is reported when the proxy starts
      }
      const plan = planLaunch(loaded.compiled, opts.server, argv, {
        denoPath,
        home,
        cwd,
        env: io.envAll(),
        mode: opts.mode,
        traceDir: opts.traceDir ? resolve(io.cwd(), opts.traceDir) : undefined,
        realpath: hostRealpath,
        lockVersions,
        serverEnv,
      });
      if (!loaded.compiled.servers.has(opts.server) && loaded.compiled.constrained) {
        plan.notes.unshift(`Server "${opts.server}" is not in the policy: enforce mode denies all its calls`);
      }
      if (opts.format === "json") io.stdout(JSON.stringify(explainJson(opts.server, plan), null, 2) + "\n");
      else io.stdout(explainText(opts.server, plan));
      env.setExit(plan.contained ? 0 : 1);
    });
}

async function findServer(
  opts: ExplainOptions,
  cwd: string,
  env: CommandEnv,
): Promise<{ argv: string[]; envNames: string[]; cwd?: string }> {
  const configs = await discover({ io: env.io, client: opts.client, path: opts.config });
  for (const c of configs) {
    const s = c.servers.find((x) => x.name === opts.server && x.transport === "stdio");
    if (!s) continue;
    const orig = s.wrapped?.original ?? (s.command ? { command: s.command, args: s.args } : undefined);
    if (orig) return { argv: [orig.command, ...orig.args], envNames: Object.keys(s.env), cwd: s.cwd };
  }
  throw new AgentPermsError(
    "usage",
    `No command given and no stdio server "${opts.server}" found in the client configs`,
    {
      hint:
        `Give the server's command after --, e.g. agentperms sandbox explain --server ${opts.server} -- npx -y <pkg>@<version> (searched from ${cwd})`,
    },
  );
}

// Values AgentPerms sets itself are shown; the rest (PATH, tokens the user allowlisted) stay as references.
const SHOWN_ENV_REGEXP =
  /^(?:DENO_DIR|RUST_BACKTRACE|DENO_NO_[A-Z_]+|DENO_PERMISSION_BROKER_PATH|DENO_AUDIT_PERMISSIONS)$/;

/** Shell-quotes one argument for display (POSIX). */
function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`;
}

function explainText(server: string, plan: LaunchPlan): string {
  const lines: string[] = [];
  const state = plan.contained
    ? `contained (${
      plan.mode === "broker" ? "broker: AgentPerms answers every permission check" : "Deno permission flags"
    })`
    : "NOT contained";
  lines.push(`Server "${server}": ${state}`, "");
  lines.push("Command:");
  const envPart = plan.clearEnv
    ? `env -i ${
      Object.entries(plan.env).map(([k, v]) => `${k}=${SHOWN_ENV_REGEXP.test(k) ? quote(v) : `"$${k}"`}`)
        .join(" ")
    } `
    : "";
  lines.push(`  ${envPart}${[plan.command, ...plan.args].map(quote).join(" ")}`, "");
  if (plan.flags.length > 0) {
    lines.push("Permissions:");
    for (const f of plan.flags) {
      lines.push(`  --${f.flag}${f.value === "*" ? "" : `=${f.value}`}`);
      lines.push(`      ${f.why} (${f.ruleId})`);
    }
    const kinds = new Set(plan.flags.map((f) => f.flag));
    const none = ["allow-write", "allow-net", "allow-run"].filter((k) => !kinds.has(k));
    if (plan.contained && none.length > 0) lines.push(`  (no ${none.map((k) => `--${k}`).join(", ")})`);
    lines.push("");
  }
  if (plan.contained) {
    lines.push(
      `Environment: scrubbed; the server process gets only ${Object.keys(plan.env).sort().join(", ")}`,
      "",
    );
  }
  if (plan.brokerSocket) {
    const cache = plan.grants?.read.find((g) => g.ruleId === "sandbox/deno-dir")?.value;
    lines.push(
      `Broker socket: ${plan.brokerSocket} (the server exits 87 if it is gone)`,
      `  Deno ignores the flags above while the broker runs; AgentPerms answers every check with decide() on the`,
      `  realpath, from the same grants${cache ? `, plus reads of the npm package cache ${cache}` : ""}`,
      "",
    );
  }
  if (plan.auditFile) lines.push(`Audit log (record mode): ${plan.auditFile}`, "");
  if (plan.notes.length > 0) {
    lines.push("Notes:");
    for (const n of plan.notes) lines.push(`  - ${n}`);
  }
  return lines.join("\n").trimEnd() + "\n";
}

function explainJson(server: string, plan: LaunchPlan): Record<string, unknown> {
  return {
    server,
    contained: plan.contained,
    mode: plan.mode,
    command: plan.command,
    args: plan.args,
    clearEnv: plan.clearEnv,
    envNames: Object.keys(plan.env).sort(),
    cwd: plan.cwd,
    flags: plan.flags,
    brokerSocket: plan.brokerSocket,
    auditFile: plan.auditFile,
    notes: plan.notes,
  };
}

interface OsExplain {
  server: string;
  backend: "os";
  contained: boolean;
  mode: "record" | "enforce";
  /** Whether bubblewrap can run here, and the fix when it cannot. */
  platform: { ok: boolean; reason?: string; fix?: string };
  profile: {
    read: ProfileEntry[];
    write: ProfileEntry[];
    hide: ProfileEntry[];
    hidePatterns: ProfileEntry[];
    net: ProfileEntry[];
    env: ProfileEntry[];
  };
  launch?: { command: string; args: string[]; envNames: string[]; mounts: Mount[]; network: string };
  notes: string[];
}

function explainOs(
  policy: CompiledPolicy,
  server: string,
  o: {
    mode: "record" | "enforce";
    home: string;
    cwd: string;
    env: Record<string, string>;
    argv?: string[];
    serverEnv: string[];
  },
): OsExplain {
  const profile = deriveProfile(policy, server, {
    mode: o.mode,
    home: o.home,
    cwd: o.cwd,
    serverEnv: o.serverEnv,
    realpath: hostRealpath,
  });
  const support = checkOsSandbox(o.env);
  const notes = [...profile.notes];
  let launch: OsExplain["launch"];
  let contained = support.ok;
  if (o.argv) {
    const needs = runtimeNeeds(o.argv, { cwd: o.cwd, home: o.home, env: o.env });
    if (needs.uncontainable) {
      contained = false;
      notes.push(`Not contained: ${needs.uncontainable}`);
    } else {
      const plan = planOsLaunch(profile, needs, {
        bwrap: support.bwrap ?? "bwrap",
        socat: support.socat ?? "socat",
        home: o.home,
        cwd: o.cwd,
        env: o.env,
        egress: o.mode === "enforce"
          ? { socket: "<run dir>/server-egress.sock" }
          : { url: "http://127.0.0.1:<egress port>" },
      });
      notes.push(...plan.notes);
      if (needs.install) {
        notes.push(`${needs.install.spec} is installed into npm's npx cache first (registry and cache only)`);
      }
      launch = {
        command: plan.command,
        args: plan.args,
        envNames: Object.keys(plan.env).sort(),
        mounts: plan.mounts,
        network: plan.network,
      };
    }
  }
  if (!support.ok) notes.unshift(`The OS sandbox cannot run here: ${support.reason} (fix: ${support.fix})`);
  return {
    server,
    backend: "os",
    contained,
    mode: o.mode,
    platform: { ok: support.ok, reason: support.reason, fix: support.fix },
    profile: {
      read: profile.read,
      write: profile.write,
      hide: profile.hide,
      hidePatterns: profile.hidePatterns,
      net: profile.net,
      env: profile.env,
    },
    launch,
    notes,
  };
}

function explainOsText(x: OsExplain): string {
  const lines: string[] = [];
  const state = x.contained ? `contained (OS sandbox: bubblewrap, ${x.mode} mode)` : "NOT contained";
  lines.push(`Server "${x.server}": ${state}`, "");
  const list = (title: string, entries: ProfileEntry[], empty: string) => {
    lines.push(`${title}:`);
    if (entries.length === 0) lines.push(`  (${empty})`);
    for (const e of entries) lines.push(`  ${e.value}`, `      ${e.why} (${e.ruleId})`);
    lines.push("");
  };
  list("Reads", x.profile.read, "nothing beyond what the runtime needs to start");
  list("Writes", x.profile.write, "none: only a private /tmp and home that vanish at exit");
  lines.push(`Hidden (never visible, even inside a readable folder): ${x.profile.hide.length} place(s)`);
  for (const e of x.profile.hide.filter((h) => h.ruleId !== "sandbox/secret-place")) {
    lines.push(`  ${e.value}  (${e.ruleId})`);
  }
  lines.push(
    `  and the home's secret places (~/.ssh, ~/.aws, ~/.gnupg, ~/.kube, ~/.docker, client configs, .env files…)`,
    "",
  );
  for (const e of x.profile.hidePatterns) {
    lines.push(`  pattern ${e.value}  (${e.ruleId}): files matching it are masked at start`);
  }
  list(
    "Network (through the egress proxy; each connection judged by decide() on host, port and address)",
    x.profile.net,
    "none",
  );
  list(
    "Environment (scrubbed; these names pass, plus PATH, HOME, locale and TMPDIR)",
    x.profile.env,
    "no extra names",
  );
  if (x.launch) {
    lines.push("Command:", `  ${[x.launch.command, ...x.launch.args].map(quote).join(" ")}`, "");
    lines.push("File view, in order:");
    for (const m of x.launch.mounts) {
      lines.push(`  ${m.op.padEnd(9)} ${m.path}${m.target ? ` -> ${m.target}` : ""}  (${m.ruleId})`);
    }
    lines.push("");
  } else {
    lines.push(
      "Give the server's command after -- to see the exact launch (or --client/--config to find it).",
      "",
    );
  }
  if (x.notes.length > 0) {
    lines.push("Notes:");
    for (const n of x.notes) lines.push(`  - ${n}`);
  }
  return lines.join("\n").trimEnd() + "\n";
}
