import type { Command } from "commander";
import Table from "cli-table3";
import { dirname, extname, relative, resolve } from "node:path";
import { hostRealpath } from "../../canonical/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import { type LoadedPolicy, loadPolicy } from "../../policy/mod.ts";
import {
  AGENT_PACKS,
  agentPacksFor,
  type AttackPackDescriptor,
  BUILTIN_PACKS,
  loadAttackPacks,
  replayPack,
  type ReplayResult,
  type ReplaySummary,
  SESSION_PACKS,
  summarizeReplay,
} from "../../replay/mod.ts";
import { sessionRulesOf } from "../../policy/session_rules_schema.ts";
import { BUILTIN_PROFILES } from "../../../profiles/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import { EXIT } from "../exit_codes.ts";
import type { Io } from "../io.ts";
import { parseServerMap, printPolicyWarnings } from "../shared.ts";

interface ReplayOptions {
  policy: string[];
  pack: string[];
  only: string[];
  builtin: boolean;
  serverMap: string[];
  cwd?: string;
  format: string;
  profile: string[];
}

/** One policy × pack replay, as the json output lists it. */
interface ReplayRun {
  policy: string;
  /** Format 2: the table names the rules (argument conditions, scopes, SQL checks) that decided each call. */
  format2?: boolean;
  pack: { id: string; version: string; description: string };
  summary: ReplaySummary;
  results: ReplayResult[];
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** `agentperms replay`: prove offline that a policy blocks attack packs and allows their benign controls. */
export function registerReplay(program: Command, env: CommandEnv): void {
  program.command("replay")
    .description(
      "Replay attack packs against a policy offline (same decide() as the proxy) and fail if any gets through",
    )
    .option(
      "-p, --policy <file|dir>",
      "policy file, or a directory of *.yaml/*.yml policies; repeatable (default: mcp.policy.yaml)",
      collect,
      [],
    )
    .option(
      "--pack <file|dir|npm:spec>",
      "extra attack pack: .ts/.js module, .json/.yaml/.jsonl data, a directory of them, or npm:<pkg>; repeatable",
      collect,
      [],
    )
    .option(
      "--no-builtin",
      "skip the built-in packs (original, evasion, reading, and the session and agent packs)",
    )
    .option(
      "--only <pack-id>",
      "replay only the pack(s) with this id, e.g. --only original; repeatable",
      collect,
      [],
    )
    .option(
      "--server-map <pack=policy>",
      "judge a pack's server under the policy's name for it, e.g. fs=filesystem; repeatable",
      collect,
      [],
    )
    .option(
      "--cwd <dir>",
      "directory relative paths in calls resolve against (default: each policy's directory)",
    )
    .option("--format <format>", "table or json", "table")
    .option(
      "--profile <file>",
      "server profile plugin (.ts/.js/.json/.yaml) for format 2 scopes, besides the built-in ones; repeatable",
      collect,
      [],
    )
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms replay --policy mcp.policy.yaml
  $ agentperms replay --policy policies/ --pack security/packs/ --server-map fs=filesystem
  $ agentperms replay --policy mcp.policy.yaml --only original
  $ agentperms replay --policy mcp.policy.yaml --no-builtin --pack team-pack.yaml --format json > replay.json

A call counts as blocked when the policy denies it or routes it to human approval.
Exit: 0 when every attack is blocked and every benign control allowed, 1 otherwise, 3 for an invalid
policy or pack.`,
    )
    .action(async (opts: ReplayOptions) => {
      const { io } = env;
      if (opts.format !== "table" && opts.format !== "json") {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, { hint: "Use table or json" });
      }
      const serverMap = parseServerMap(opts.serverMap);
      const packs = await loadPacks(opts, io);
      if (packs.length === 0) {
        throw new AgentPermsError("usage", "No attack packs to replay", {
          hint: "Drop --no-builtin, or add --pack FILE",
        });
      }
      const home = homeOf(io);
      const policies = await loadPolicies(
        opts.policy.length ? opts.policy : ["mcp.policy.yaml"],
        io,
        home,
        opts.profile,
      );
      const runs: ReplayRun[] = [];
      for (const loaded of policies) {
        const shown = display(io, loaded.file);
        printPolicyWarnings(io, { file: shown, warnings: loaded.warnings });
        if (!loaded.compiled.constrained) {
          io.stderr(
            `warning: policy "${shown}" has "servers: {}": it allows every call, so no rule of it blocks an ` +
              `attack (only the built-in guards do)\n`,
          );
        }
        const cwd = opts.cwd ? resolve(io.cwd(), opts.cwd) : dirname(loaded.file);
        // Multi-call attacks run with the policy's session rules; the built-in session packs join the default
        // run only for a policy that has such rules (without them every one of those attacks gets through).
        const sessionRules = sessionRulesOf(loaded.policy);
        const byDefault = opts.builtin && opts.only.length === 0;
        const withSession = sessionRules.length > 0 && byDefault
          ? [...packs, ...SESSION_PACKS.filter((s) => !packs.some((p) => p.id === s.id))]
          : [...packs];
        // A format 2 policy also gets the agent pack(s) whose every server it lists (the coding agent's policy
        // the coding pack); another agent's pack would only prove the unknown-server default.
        if (byDefault) {
          const fit = agentPacksFor(
            { version: loaded.policy.version, servers: loaded.compiled.servers },
            AGENT_PACKS,
            serverMap,
          );
          withSession.push(...fit.filter((a) => !withSession.some((p) => p.id === a.id)));
        }
        const profiles = [...loaded.profiles, ...BUILTIN_PROFILES];
        for (const pack of withSession) {
          const results = replayPack(loaded.compiled, pack, {
            cwd,
            home,
            serverMap,
            realpath: hostRealpath,
            sessionRules,
            profiles,
          });
          const summary = summarizeReplay(results);
          warnUnknownServers(io, shown, pack, summary);
          runs.push({
            policy: shown,
            ...(loaded.policy.version === 2 ? { format2: true } : {}),
            pack: { id: pack.id, version: pack.version, description: pack.description },
            summary,
            results,
          });
        }
      }
      const total = summarizeReplay(runs.flatMap((r) => r.results));
      if (opts.format === "json") {
        io.stdout(JSON.stringify({ v: 1, ok: total.ok, summary: total, runs }, null, 2) + "\n");
      } else printTables(io, runs, total);
      env.setExit(total.ok ? EXIT.ok : EXIT.gate);
    });
}

async function loadPacks(opts: ReplayOptions, io: Io): Promise<AttackPackDescriptor[]> {
  const packs: AttackPackDescriptor[] = opts.builtin ? [...BUILTIN_PACKS] : [];
  // Session packs (multi-call attacks) when named with --only; by default they join per policy (see above).
  if (opts.builtin) {
    packs.push(...[...SESSION_PACKS, ...AGENT_PACKS].filter((s) => opts.only.includes(s.id)));
  }
  for (const source of opts.pack) packs.push(...await loadAttackPacks(source, { cwd: io.cwd() }));
  const seen = new Set<string>();
  for (const p of packs) {
    if (p.attacks.length === 0) {
      io.stderr(`warning: attack pack "${p.id}" has no attacks, so it proves nothing\n`);
    }
    if (seen.has(p.id)) {
      throw new AgentPermsError("plugin_invalid", `Two attack packs share the id "${p.id}"`, {
        hint: BUILTIN_PACKS.some((b) => b.id === p.id)
          ? `"${p.id}" is a built-in pack: rename yours, or pass --no-builtin`
          : "Give each pack its own id",
      });
    }
    seen.add(p.id);
  }
  const unknown = opts.only.filter((id) => !seen.has(id));
  if (unknown.length > 0) {
    throw new AgentPermsError(
      "usage",
      `No attack pack has the id ${unknown.map((u) => `"${u}"`).join(", ")}`,
      {
        hint: `Loaded packs: ${[...seen].join(", ") || "(none)"}`,
      },
    );
  }
  return opts.only.length ? packs.filter((p) => opts.only.includes(p.id)) : packs;
}

async function loadPolicies(
  sources: string[],
  io: Io,
  home: string,
  profiles: readonly string[],
): Promise<LoadedPolicy[]> {
  const files: string[] = [];
  for (const s of sources) {
    const abs = resolve(io.cwd(), s);
    let isDir = false;
    try {
      isDir = (await Deno.stat(abs)).isDirectory;
    } catch {
      // A missing file is reported by loadPolicy with its hint.
    }
    if (!isDir) {
      files.push(s);
      continue;
    }
    const names: string[] = [];
    for await (const e of Deno.readDir(abs)) {
      if (e.isFile && [".yaml", ".yml"].includes(extname(e.name).toLowerCase())) names.push(e.name);
    }
    if (names.length === 0) {
      throw new AgentPermsError(
        "policy_invalid",
        `Cannot load policies from "${s}": no *.yaml or *.yml files`,
      );
    }
    files.push(...names.sort().map((n) => resolve(abs, n)));
  }
  const out: LoadedPolicy[] = [];
  for (const f of files) out.push(await loadPolicy(f, { cwd: io.cwd(), home, profiles }));
  return out;
}

function display(io: Io, abs: string): string {
  const rel = relative(io.cwd(), abs);
  return rel.startsWith("..") || rel === "" ? abs : rel;
}

function warnUnknownServers(io: Io, policy: string, pack: AttackPackDescriptor, s: ReplaySummary): void {
  const servers = Object.keys(s.unknownServers);
  if (servers.length === 0) return;
  const n = Object.values(s.unknownServers).reduce((a, b) => a + b, 0);
  const names = servers.map((x) => `"${x}"`).join(", ");
  io.stderr(
    `warning: policy "${policy}" does not list ${
      servers.length > 1 ? "servers" : "server"
    } ${names} that pack ` +
      `"${pack.id}" targets: ${n} attack(s) are blocked only by the unknown-server default-deny, which proves ` +
      `nothing about ${servers.length > 1 ? "those servers" : "that server"}\n` +
      `hint: add ${
        servers.length > 1 ? "them" : "it"
      } to the policy, or point the pack at the policy's name ` +
      `with --server-map ${servers[0]}=<policy server>\n`,
  );
}

// Attack calls carry NUL bytes, zero-width characters and newlines on purpose; show them escaped so the
// table stays one line per attack.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const UNPRINTABLE_REGEXP = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\u2060\ufeff]/g;

function printable(s: string): string {
  return s.replace(UNPRINTABLE_REGEXP, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function resultCell(r: ReplayResult): string {
  if (r.expect === "allow") return r.blocked ? "BLOCKED" : "allowed";
  if (!r.blocked) return "ALLOWED";
  return r.verdict === "approve" ? "blocked (approval)" : "blocked";
}

function verdictLines(s: ReplaySummary): string {
  let out = `${s.attacks.blocked}/${s.attacks.total} attacks blocked.\n`;
  if (s.controls.total > 0) out += `${s.controls.allowed}/${s.controls.total} benign controls allowed.\n`;
  return out;
}

function printTables(io: Io, runs: ReplayRun[], total: ReplaySummary): void {
  runs.forEach((run, i) => {
    const t = new Table({
      head: ["Attack", "server.tool", "Evasion", "Result", "Reason", ...(run.format2 ? ["Rules"] : [])],
      style: { head: [], border: [] },
      // One line per attack: no separators between rows.
      chars: { "mid": "", "left-mid": "", "mid-mid": "", "right-mid": "" },
    });
    for (const r of run.results) {
      t.push([
        printable(r.attack),
        printable(`${r.server}.${r.tool ?? r.method}`),
        r.evasion ?? "",
        resultCell(r),
        printable(r.reason),
        ...(run.format2 ? [printable(r.ruleIds.join(", "))] : []),
      ]);
    }
    io.stdout(
      `${
        i > 0 ? "\n" : ""
      }Policy ${run.policy}, pack ${run.pack.id} ${run.pack.version}: ${run.pack.description}\n` +
        `${t.toString()}\n${verdictLines(run.summary)}`,
    );
  });
  if (runs.length > 1) {
    io.stdout(`\nTotal over ${runs.length} policy × pack runs:\n${verdictLines(total)}`);
  }
  // With several policies the same attack id can fail in more than one; name the policy then.
  const several = new Set(runs.map((r) => r.policy)).size > 1;
  const ids = (pick: (s: ReplaySummary) => string[]) =>
    runs.flatMap((r) => pick(r.summary).map((id) => (several ? `${r.policy}: ${id}` : id)));
  const holes = ids((s) => s.holes);
  const overBlocked = ids((s) => s.overBlocked);
  if (holes.length > 0) {
    io.stdout(
      `Policy has holes: ${holes.length} attack(s) got through (${
        list(holes)
      }). Tighten it before enforcing.\n`,
    );
  }
  if (overBlocked.length > 0) {
    io.stdout(
      `Policy over-blocks: ${overBlocked.length} benign control(s) were blocked (${list(overBlocked)}). ` +
        `Loosen the rule that blocks them, or fix the pack's control.\n`,
    );
  }
}

function list(ids: string[]): string {
  const shown = ids.slice(0, 5).map(printable).join(", ");
  return ids.length > 5 ? `${shown}, and ${ids.length - 5} more` : shown;
}
