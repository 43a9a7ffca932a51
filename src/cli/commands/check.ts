import type { Command } from "commander";
import { dirname, resolve } from "node:path";
import { callJudge, type CheckFormat, checkLines, noCounts, rememberDecisions } from "./_check_calls.ts";
import { checkRealpath } from "./_check_fs_cache.ts";
import { checkInPool } from "./_check_pool.ts";
import { sessionJudge } from "./_check_session.ts";
import { AgentPermsError } from "../../errors.ts";
import { loadPolicy } from "../../policy/mod.ts";
import { sessionRulesOf } from "../../policy/session_rules_schema.ts";
import { BUILTIN_PROFILES } from "../../../profiles/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import type { Io } from "../io.ts";
import { EXIT } from "../exit_codes.ts";
import { openBytes, printPolicyWarnings, readLines } from "../shared.ts";
import { parseJsonStrict } from "../../json/mod.ts";

interface CheckOptions {
  policy: string;
  call?: string;
  calls?: string;
  session?: string;
  cwd?: string;
  format: CheckFormat;
  jobs?: number;
  profile: string[];
}

/** A --calls file at least this large is judged by a pool of workers (one per core); smaller ones here. */
const POOL_MIN_BYTES = 4 * 1024 * 1024;

function defaultJobs(file: string, io: Io): number {
  if (file === "-") return 1;
  try {
    if (Deno.statSync(resolve(io.cwd(), file)).size < POOL_MIN_BYTES) return 1;
  } catch {
    return 1; // readLines reports the error
  }
  return Math.min(navigator.hardwareConcurrency || 1, 8);
}

function parseJobs(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new AgentPermsError("usage", `--jobs must be a whole number from 1 to 64, not "${value}"`);
  }
  return n;
}

/** `agentperms check`: decide calls offline with the same function the proxy uses. */
export function registerCheck(program: Command, env: CommandEnv): void {
  program.command("check")
    .description("Decide one call (--call) or many (--calls FILE) against a policy, without running anything")
    .option("-p, --policy <file>", "policy file", "mcp.policy.yaml")
    .option("--call <json>", 'one call: {"server","tool","arguments"} (or "method" and "params")')
    .option(
      "--calls <file>",
      "JSONL file of calls, one per line ({id, server, tool, arguments}); - for stdin",
    )
    .option(
      "--session <file>",
      "JSONL file of the calls of one session, in order: session rules carry state from call to call",
    )
    .option(
      "--cwd <dir>",
      "directory relative paths in calls resolve against (default: the policy's directory)",
    )
    .option("--format <format>", "text, json or jsonl", "text")
    .option(
      "--profile <file>",
      "server profile plugin (.ts/.js/.json/.yaml) for format 2 scopes, besides the built-in ones; repeatable",
      (v: string, prev: string[]) => [...prev, v],
      [],
    )
    .option(
      "--jobs <n>",
      "worker threads for --calls (default: one per core for a file of 4 MiB or more, else 1)",
      parseJobs,
    )
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms check -p mcp.policy.yaml --call '{"server":"filesystem","tool":"read_file","arguments":{"path":"~/.ssh/id_rsa"}}'
  $ agentperms check -p mcp.policy.yaml --calls calls.jsonl --format jsonl > verdicts.jsonl
  $ agentperms check -p mcp.policy.yaml --session session.jsonl

Exit: 0 when every call is allowed, 1 when any is denied or needs approval (or a line is malformed).`,
    )
    .action(async (opts: CheckOptions) => {
      const { io } = env;
      if (!["text", "json", "jsonl"].includes(opts.format)) {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, {
          hint: "Use text, json or jsonl",
        });
      }
      const given = [opts.call, opts.calls, opts.session].filter((x) => x !== undefined).length;
      if (given !== 1) {
        throw new AgentPermsError("usage", "Give exactly one of --call, --calls or --session");
      }
      const loaded = await loadPolicy(opts.policy, {
        cwd: io.cwd(),
        home: homeOf(io),
        profiles: opts.profile,
      });
      if (opts.format === "text") printPolicyWarnings(io, loaded);
      const cwd = opts.cwd ? resolve(io.cwd(), opts.cwd) : dirname(loaded.file);
      const home = homeOf(io);
      const judge = callJudge(loaded.compiled, { cwd, home, realpath: checkRealpath() });
      if (opts.session !== undefined) {
        const rules = sessionRulesOf(loaded.policy);
        if (rules.length === 0 && opts.format === "text") {
          io.stderr(
            `warning: policy "${opts.policy}" has no session_rules, so each call of the session is judged alone\n`,
          );
        }
        const step = sessionJudge(loaded.compiled, rules, {
          cwd,
          home,
          realpath: checkRealpath(),
          profiles: [...loaded.profiles, ...BUILTIN_PROFILES],
        });
        const counts = noCounts();
        let lineNo = 0;
        for await (const line of readLines(opts.session, io)) {
          lineNo++;
          // One line at a time, in order: each decision depends on the calls before it.
          const out = checkLines(step, [line], { firstLine: lineNo, format: opts.format, counts });
          if (out) io.stdout(out);
        }
        if (opts.format === "text") {
          io.stderr(
            `${lineNo} line(s) in one session: ${counts.allow} allowed, ${counts.deny} denied, ${counts.approve} need approval, ${counts.error} malformed\n`,
          );
        }
        env.setExit(counts.deny + counts.approve + counts.error > 0 ? EXIT.gate : EXIT.ok);
        return;
      }
      if (opts.call !== undefined) {
        const r = parseJsonStrict(opts.call);
        if (!r.ok && r.problem === "key") {
          throw new AgentPermsError("usage", `--call is refused: ${r.error}`, {
            hint: "The proxy refuses such a message before judging it: write each key once, without escapes",
          });
        }
        if (!r.ok) {
          throw new AgentPermsError(
            "usage",
            `--call is not valid JSON: ${r.error.replace(/^invalid JSON: /, "")}`,
          );
        }
        const parsed = r.value;
        let d;
        try {
          d = judge(parsed);
        } catch (e) {
          throw new AgentPermsError("usage", `--call is not a call: ${(e as Error).message}`);
        }
        if (opts.format === "text") {
          io.stdout(`${d.verdict.toUpperCase()}  ${d.reason}\nrules: ${d.ruleIds.join(", ")}\n`);
        } else {
          io.stdout(JSON.stringify({ verdict: d.verdict, ruleIds: d.ruleIds, reason: d.reason }) + "\n");
        }
        env.setExit(d.verdict === "allow" ? EXIT.ok : EXIT.gate);
        return;
      }
      const jobs = opts.jobs ?? defaultJobs(opts.calls!, io);
      let counts = noCounts();
      let lineNo = 0;
      const judgeMany = rememberDecisions(judge);
      if (jobs > 1) {
        ({ counts, lines: lineNo } = await checkInPool(await openBytes(opts.calls!, io), {
          workers: jobs - 1,
          init: {
            policy: loaded.policy,
            profiles: loaded.profiles,
            baseDir: dirname(loaded.file),
            home,
            cwd,
            format: opts.format,
          },
          judgeHere: (lines, firstLine, c) =>
            checkLines(judgeMany, lines, { firstLine, format: opts.format, counts: c }),
          write: (text) => io.stdout(text),
        }));
      } else {
        // One thread: lines are judged in batches and each batch's output is written at once.
        let batch: string[] = [];
        const flush = () => {
          const out = checkLines(judgeMany, batch, {
            firstLine: lineNo - batch.length + 1,
            format: opts.format,
            counts,
          });
          if (out) io.stdout(out);
          batch = [];
        };
        for await (const line of readLines(opts.calls!, io)) {
          lineNo++;
          batch.push(line);
          if (batch.length >= 2048) flush();
        }
        flush();
      }
      const notAllowed = counts.deny + counts.approve + counts.error;
      if (opts.format === "text") {
        io.stderr(
          `${lineNo} line(s): ${counts.allow} allowed, ${counts.deny} denied, ${counts.approve} need approval, ${counts.error} malformed\n`,
        );
      }
      env.setExit(notAllowed > 0 ? EXIT.gate : EXIT.ok);
    });
}
