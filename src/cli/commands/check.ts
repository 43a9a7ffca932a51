import type { Command } from "commander";
import { dirname, resolve } from "node:path";
import { canonicalizeCall } from "../../canonical/mod.ts";
import { checkRealpath } from "./_check_fs_cache.ts";
import { decide } from "../../decision/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import { loadPolicy } from "../../policy/mod.ts";
import { type CommandEnv, homeOf } from "../command_env.ts";
import { EXIT } from "../exit_codes.ts";
import { printPolicyWarnings, readLines } from "../shared.ts";
import { parseJsonStrict } from "../../json/mod.ts";

interface CheckOptions {
  policy: string;
  call?: string;
  calls?: string;
  cwd?: string;
  format: "text" | "json" | "jsonl";
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
      "--cwd <dir>",
      "directory relative paths in calls resolve against (default: the policy's directory)",
    )
    .option("--format <format>", "text, json or jsonl", "text")
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms check -p mcp.policy.yaml --call '{"server":"filesystem","tool":"read_file","arguments":{"path":"~/.ssh/id_rsa"}}'
  $ agentperms check -p mcp.policy.yaml --calls calls.jsonl --format jsonl > verdicts.jsonl

Exit: 0 when every call is allowed, 1 when any is denied or needs approval (or a line is malformed).`,
    )
    .action(async (opts: CheckOptions) => {
      const { io } = env;
      if (!["text", "json", "jsonl"].includes(opts.format)) {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, {
          hint: "Use text, json or jsonl",
        });
      }
      if ((opts.call === undefined) === (opts.calls === undefined)) {
        throw new AgentPermsError("usage", "Give exactly one of --call or --calls");
      }
      const loaded = await loadPolicy(opts.policy, { cwd: io.cwd(), home: homeOf(io) });
      if (opts.format === "text") printPolicyWarnings(io, loaded);
      const cwd = opts.cwd ? resolve(io.cwd(), opts.cwd) : dirname(loaded.file);
      const copts = { cwd, home: homeOf(io), realpath: checkRealpath() };
      const judge = (value: unknown) => {
        const v = value as Record<string, unknown>;
        if (v === null || typeof v !== "object" || Array.isArray(v) || typeof v.server !== "string") {
          throw new Error('a call is a JSON object with at least "server" and "tool"');
        }
        const call = canonicalizeCall({
          server: v.server,
          method: typeof v.method === "string" ? v.method : undefined,
          tool: typeof v.tool === "string" ? v.tool : undefined,
          arguments: v.arguments,
          params: v.params,
        }, copts);
        return decide(loaded.compiled, call);
      };
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
      let buf: string[] = [];
      let lineNo = 0;
      let notAllowed = 0;
      const counts = { allow: 0, deny: 0, approve: 0, error: 0 };
      const flush = () => {
        if (buf.length) io.stdout(buf.join(""));
        buf = [];
      };
      for await (const line of readLines(opts.calls!, io)) {
        lineNo++;
        if (line.trim() === "") continue;
        let id: unknown = null;
        let out: Record<string, unknown>;
        try {
          // Read as the live proxy reads a message: a call it would refuse is an error here too.
          const r = parseJsonStrict(line);
          if (!r.ok) throw new Error(r.error);
          const v = r.value as { id?: unknown } | null;
          id = v?.id ?? null;
          const d = judge(v);
          out = { id, verdict: d.verdict, ruleIds: d.ruleIds, reason: d.reason };
          counts[d.verdict]++;
          if (d.verdict !== "allow") notAllowed++;
        } catch (e) {
          counts.error++;
          notAllowed++;
          out = {
            id,
            verdict: "error",
            line: lineNo,
            ruleIds: [],
            reason: `line ${lineNo}: ${(e as Error).message}`,
          };
        }
        if (opts.format === "text") {
          buf.push(`${String(out.id ?? lineNo)}\t${String(out.verdict).toUpperCase()}\t${out.reason}\n`);
        } else buf.push(JSON.stringify(out) + "\n");
        if (buf.length >= 2048) flush();
      }
      flush();
      if (opts.format === "text") {
        io.stderr(
          `${lineNo} line(s): ${counts.allow} allowed, ${counts.deny} denied, ${counts.approve} need approval, ${counts.error} malformed\n`,
        );
      }
      env.setExit(notAllowed > 0 ? EXIT.gate : EXIT.ok);
    });
}
