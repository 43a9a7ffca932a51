import type { Command } from "commander";
import { createTwoFilesPatch } from "diff";
import { basename, dirname, join, resolve } from "node:path";
import { hostRealpath } from "../../canonical/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import {
  inferPolicy,
  type InferredV2,
  inferV2,
  mergePolicy,
  readPolicyComments,
  renderPolicy,
  summarizeInference,
  type ToolAnnotations,
  TraceAccumulator,
} from "../../infer/mod.ts";
import { readLockFile } from "../../lock/mod.ts";
import { loadPolicy, parsePolicy, type Policy } from "../../policy/mod.ts";
import { loadSqlParsers } from "../../sql/mod.ts";
import { defaultTraceDir, traceLineBatches } from "../../trace/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import { EXIT } from "../exit_codes.ts";
import { printPolicyWarnings, readLines } from "../shared.ts";
import { writePrivateFile } from "../write_private_file.ts";

interface InferCliOptions {
  out?: string;
  merge?: string;
  lock?: string;
  cwd?: string;
  generalizeAfter: string;
  force?: boolean;
  format: "text" | "json";
  v2?: boolean;
}

// `<server>.permissions.jsonl`, or `<server>.<12-hex session id>.permissions.jsonl` left by a proxy that crashed.
const AUDIT_FILE_REGEXP = /^(.+?)(?:\.[0-9a-f]{12})?\.permissions\.jsonl$/;

/** `agentperms infer`: the least-privilege draft policy from recorded traces. */
export function registerInfer(program: Command, env: CommandEnv): void {
  program.command("infer")
    .description(
      "Infer the least-privilege policy from recorded traces: only calls that were allowed and succeeded are learned",
    )
    .argument("[traces...]", "trace files or directories (default: the trace directory)")
    .option("-o, --out <file>", "write the policy here (default: print it)")
    .option(
      "--merge <existing>",
      "merge into this policy: never loosens its denies or approvals; prints the diff",
    )
    .option("--lock <file>", "mcp.lock: tools each server offers, to deny dangerous unused ones by name")
    .option("--cwd <dir>", "directory the original tool's relative paths resolve against (default: here)")
    .option("--generalize-after <n>", "distinct entries under a directory before it is allowed whole", "3")
    .option("--force", "overwrite --out when it exists and is not the --merge file")
    .option("--format <format>", "text or json", "text")
    .option(
      "--v2",
      "write format 2: the scopes, read-only SQL and tool classes the calls used, and the session rule they support (always when --merge names a format 2 policy)",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms infer --out mcp.policy.yaml
  $ agentperms infer ~/.local/state/agentperms/traces/session-1.jsonl --lock mcp.lock
  $ agentperms infer traces/ --merge mcp.policy.yaml --out mcp.policy.yaml
  $ agentperms infer traces/session-default.jsonl --cwd ~/project --format json
  $ agentperms infer --v2 --out mcp.policy.yaml
  $ agentperms infer traces/ --merge team.v2.yaml --out team.v2.yaml   # format 2 kept: no --v2 needed

Reads the proxy's traces (format v1) and the original tool's JSONL (ts, server, tool, args, decision).
Malformed lines are reported with file:line and skipped. Denied, failed and approval-refused calls are
listed as "seen, not learned". Secret paths are never allowed; "/", top-level directories and the home
directory are never allowed whole.

Exit: 0 on success, 2 on a bad flag, 3 when the traces hold no call at all, 4 when a file cannot be read.`,
    )
    .action(async (traces: string[], opts: InferCliOptions) => {
      const { io } = env;
      if (opts.format !== "text" && opts.format !== "json") {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, { hint: "Use text or json" });
      }
      const minEntries = Number(opts.generalizeAfter);
      if (!Number.isInteger(minEntries) || minEntries < 2) {
        throw new AgentPermsError(
          "usage",
          `--generalize-after must be a whole number of at least 2, not "${opts.generalizeAfter}"`,
        );
      }
      const cwd = io.cwd();
      const home = homeOf(io);
      const outAbs = opts.out !== undefined ? resolve(cwd, opts.out) : undefined;
      const mergeAbs = opts.merge !== undefined ? resolve(cwd, opts.merge) : undefined;
      if (outAbs !== undefined && outAbs !== mergeAbs && !opts.force && await exists(outAbs)) {
        throw new AgentPermsError("usage", `Refusing to overwrite "${opts.out}"`, {
          hint: "Pass --merge with it to keep its rules, or --force to replace it",
        });
      }
      const inputs = traces.length > 0 ? traces : [defaultTraceDir((n) => io.env(n))];
      const files = await traceFiles(inputs, cwd, traces.length === 0);
      // The policy merged into decides the format too: a format 2 policy stays format 2 (writing format 1 would
      // drop its argument rules, scopes, classes and session rules). A new policy is format 1 unless --v2.
      const existing = mergeAbs !== undefined ? await loadPolicy(mergeAbs, { cwd, home }) : undefined;
      const formatV2 = opts.v2 === true || existing?.policy.version === 2;
      // Format 2 reads the tables of SQL tools: the parsers load once, before any call is read.
      if (formatV2) await loadSqlParsers();
      const acc = new TraceAccumulator({
        cwd: opts.cwd ? resolve(cwd, opts.cwd) : cwd,
        home,
        realpath: hostRealpath,
      });
      for (const f of files) {
        const auditServer = AUDIT_FILE_REGEXP.exec(basename(f.abs))?.[1];
        let line = 0;
        for await (const batch of lineBatches(f.abs, io)) {
          for (const text of batch) acc.addLine(text, { file: f.shown, line: ++line, auditServer });
        }
      }
      // Calls whose result line never came (a killed proxy) count from here on, before anything is read.
      acc.end();
      if (acc.servers.size === 0) {
        throw new AgentPermsError(
          "trace_invalid",
          `No call or tool list found in ${files.length} trace file(s)${
            acc.counts.malformed ? ` (${acc.counts.malformed} malformed line(s) skipped)` : ""
          }`,
          { hint: "Record a session first: `agentperms record`, run your agent, then `agentperms infer`" },
        );
      }
      let lockTools: Map<string, Map<string, ToolAnnotations | undefined>> | undefined;
      if (opts.lock !== undefined) {
        const lock = await readLockFile(resolve(cwd, opts.lock));
        lockTools = new Map(
          Object.entries(lock.servers).map((
            [name, s],
          ) => [name, new Map(Object.keys(s.tools).map((t) => [t, undefined]))]),
        );
      }
      const baseDir = outAbs ? dirname(outAbs) : mergeAbs ? dirname(mergeAbs) : cwd;
      const result = inferPolicy(acc, { baseDir, home, minEntries, lockTools });
      let policy: Policy = result.policy;
      const v2 = formatV2 ? inferV2(result.policy, acc, result.comments) : undefined;
      if (v2) policy = v2.policy;
      let oldText: string | undefined;
      let mergeNotes: string[] = [];
      if (mergeAbs !== undefined && existing !== undefined) {
        if (opts.format === "text") printPolicyWarnings(io, existing);
        if (existing.policy.version === 2 && !opts.v2) {
          mergeNotes.push(
            `"${opts.merge}" is format 2, so the inferred policy is format 2 too (its rules are kept)`,
          );
        }
        oldText = await Deno.readTextFile(mergeAbs);
        const merged = mergePolicy(existing.policy, policy);
        policy = merged.policy;
        mergeNotes = [...mergeNotes, ...merged.notes];
      }
      const header = [
        `Draft least-privilege policy inferred by \`agentperms infer\` from ${acc.counts.calls} call(s),`,
        `${acc.counts.learned} learned. Each comment gives the evidence; review it before enforcing.`,
        ...(mergeAbs !== undefined
          ? ["Merged into an existing policy: its denies and approvals are kept."]
          : []),
      ];
      // Hand-written comments in the merged file survive; evidence comments fill in the rest.
      const comments = oldText !== undefined
        ? new Map<string, string>([...result.comments, ...readPolicyComments(oldText)])
        : result.comments;
      const yaml = renderPolicy(policy, { header, comments });
      // The output must load with zero errors: a policy that does not parse would fail closed at enforce time.
      parsePolicy(yaml, { file: opts.out ?? "<inferred>" });
      const summary = summarizeInference(result, {
        counts: acc.counts,
        malformed: acc.malformed,
        baseDir,
        home,
      });
      const diff = oldText !== undefined
        ? createTwoFilesPatch(opts.merge!, opts.out ?? "(inferred)", oldText, yaml, undefined, undefined, {
          context: 2,
        })
        : undefined;
      if (outAbs !== undefined) await writeAtomic(outAbs, yaml);
      if (opts.format === "json") {
        io.stdout(
          JSON.stringify(
            {
              out: outAbs ?? null,
              policy,
              yaml,
              counts: acc.counts,
              notLearned: result.notLearned,
              sensitive: result.sensitive,
              malformed: acc.malformed,
              mergeNotes,
              diff: diff ?? null,
              summary,
              ...(v2 ? { v2: v2.added } : {}),
            },
            null,
            2,
          ) + "\n",
        );
        env.setExit(EXIT.ok);
        return;
      }
      // The policy goes to stdout when there is no --out, so the summary must not mix into it.
      const say = outAbs !== undefined ? io.stdout : io.stderr;
      if (outAbs === undefined) io.stdout(yaml);
      if (diff !== undefined) say(diff.split("\n").slice(2).join("\n"));
      for (const n of mergeNotes) say(`note: ${n}\n`);
      say(summary);
      if (v2) say(describeV2(v2.added));
      if (outAbs !== undefined) say(`Wrote ${opts.out}\n`);
      env.setExit(EXIT.ok);
    });
}

/**
 * Lines of a file in batches, one batch per chunk read: a million lines cost a million promise turns when
 * yielded one by one, which is a second of the 10 s budget. Stdin ("-") goes through `readLines`.
 */
async function* lineBatches(file: string, io: CommandEnv["io"]): AsyncGenerator<string[]> {
  if (file === "-") {
    for await (const l of readLines(file, io)) yield [l];
    return;
  }
  let f: Deno.FsFile;
  try {
    f = await Deno.open(file);
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot read "${file}": ${(e as Error).message}`, { cause: e });
  }
  for await (const batch of traceLineBatches(f.readable)) yield batch.lines;
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function traceFiles(
  inputs: string[],
  cwd: string,
  isDefault: boolean,
): Promise<{ abs: string; shown: string }[]> {
  const out: { abs: string; shown: string }[] = [];
  for (const input of inputs) {
    if (input === "-") {
      out.push({ abs: "-", shown: "<stdin>" });
      continue;
    }
    const abs = resolve(cwd, input);
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(abs);
    } catch (e) {
      throw new AgentPermsError("io_failed", `Cannot read traces "${input}": ${(e as Error).message}`, {
        cause: e,
        hint: isDefault
          ? "Nothing was recorded yet: run `agentperms record`, use your agent, then infer; or pass trace files"
          : undefined,
      });
    }
    if (!st.isDirectory) {
      out.push({ abs, shown: input });
      continue;
    }
    const names: string[] = [];
    for await (const e of Deno.readDir(abs)) if (e.isFile && e.name.endsWith(".jsonl")) names.push(e.name);
    names.sort();
    for (const n of names) out.push({ abs: join(abs, n), shown: join(input, n) });
  }
  return out;
}

/** The policy, 0600 and atomically (see writePrivateFile). */
async function writeAtomic(file: string, text: string): Promise<void> {
  try {
    await writePrivateFile(file, text);
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot write "${file}": ${(e as Error).message}`, { cause: e });
  }
}

/** The format 2 part of the summary: one line per server that gained something, and the session rule. */
function describeV2(a: InferredV2): string {
  const lines: string[] = [];
  for (const s of a.servers) {
    const parts = [
      s.scopes.length ? `scopes ${s.scopes.join(", ")}` : "",
      s.sqlReadOnly.length ? `read-only SQL for ${s.sqlReadOnly.join(", ")}` : "",
      s.deniedClasses.length ? `denied ${s.deniedClasses.join(", ")}` : "",
      s.noScopes ? `no scopes (${s.noScopes})` : "",
    ].filter((p) => p !== "");
    if (parts.length) lines.push(`  ${s.name}: ${parts.join("; ")}.`);
  }
  const r = a.sessionRule;
  lines.push(`  Session rule untrusted-then-send: ${r.written ? "written" : "not written"} (${r.why}).`);
  return `Format 2:\n${lines.join("\n")}\n`;
}
