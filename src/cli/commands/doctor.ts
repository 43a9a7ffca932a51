import type { Command } from "commander";
import { discover } from "../../clients/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import denoJson from "../../../deno.json" with { type: "json" };
import { type CommandEnv, homeOf } from "../command_env.ts";
import { EXIT } from "../exit_codes.ts";
import { alignColumns } from "./clients.ts";
import {
  type DiagnoseContext,
  diagnoseServer,
  type ServerDiagnosis,
  worstStatus,
} from "./diagnose_server.ts";
import { positiveSeconds } from "../shared.ts";

interface DoctorOptions {
  client: string;
  path?: string;
  start?: boolean;
  timeout: string;
  format: string;
}

/** One line for a server: what is wrong (or how it runs) and the first fix. */
function summarize(d: ServerDiagnosis): string {
  if (d.status === "ok") {
    return d.checks.filter((c) => ["wired", "containment", "start"].includes(c.id)).map((c) => c.detail).join(
      "; ",
    );
  }
  const bad = d.checks.filter((c) => c.status === d.status);
  const fix = bad.find((c) => c.fix)?.fix;
  return `${bad.map((c) => c.detail).join("; ")}${fix ? ` → fix: ${fix}` : ""}`;
}

/**
 * `agentperms doctor`: for every MCP server of every client config found, whether it is wired, whether what
 * it starts still exists, whether its policy loads and its trace folder is writable, how it is contained,
 * and (with --start) whether it answers `initialize`.
 * @param program the commander program
 * @param env io and exit-code setter
 */
export function registerDoctor(program: Command, env: CommandEnv): void {
  program.command("doctor")
    .description(
      "Check every MCP server of every client: wired, launcher present, policy loads, traces writable, contained; --start runs it",
    )
    .option("--client <name>", "only this client's configs (an id from `agentperms clients`), or all", "all")
    .option("--path <file|dir>", "check this config file, or the known config files under this directory")
    .option("--start", "also start each server as its client would and send initialize (runs the servers!)")
    .option("--timeout <seconds>", "per-server budget for --start", "20")
    .option("--format <format>", "text or json", "text")
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms doctor                          what is wrong with each wired server, and the fix
  $ agentperms doctor --client claude-code --start     start each server and send initialize
  $ agentperms doctor --path .vscode/mcp.json --format json

Run it when a client says "failed to connect". Per server: is it wired (record/enforce), does the command the
client starts still exist (the launcher, and the Deno binary and CLI entry it names), does the server's own
command exist, does the wired --policy load, is the trace folder writable, is it contained and how (OS sandbox,
Deno permissions, or not at all and why). --start starts the wired command with the entry's env plus a
minimal PATH and HOME (as a GUI client does) and reports the answer, the JSON-RPC error or the last lines of
its stderr; the proxy writes a short trace of that start like any session.

Exit: 0 no server failed (warnings allowed), 1 a server failed a check or a config cannot be read, 2 usage.`,
    )
    .action(async (opts: DoctorOptions) => {
      const { io } = env;
      if (opts.format !== "text" && opts.format !== "json") {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, { hint: "Use text or json" });
      }
      const timeout = positiveSeconds(opts.timeout);
      const configs = await discover({ io, client: opts.client, path: opts.path });
      const ctx: DiagnoseContext = {
        env: io.envAll(),
        home: homeOf(io),
        cwd: io.cwd(),
        os: io.os,
        start: opts.start ? { timeoutMs: timeout * 1000, clientVersion: denoJson.version } : undefined,
        policies: new Map(),
      };
      const results: ServerDiagnosis[] = [];
      const broken = configs.filter((c) => c.errors.length > 0 && c.servers.length === 0);
      for (const c of configs) for (const s of c.servers) results.push(await diagnoseServer(c, s, ctx));
      const status = worstStatus(results.map((r) => r.status));
      const counts = { ok: 0, warn: 0, fail: 0 };
      for (const r of results) counts[r.status]++;
      if (opts.format === "json") {
        io.stdout(
          JSON.stringify(
            {
              v: 1,
              status,
              counts,
              servers: results,
              configErrors: configs.flatMap((c) => c.errors.map((e) => ({ file: c.file, error: e }))),
            },
            null,
            2,
          ) + "\n",
        );
      } else if (configs.length === 0) {
        io.stdout(
          "No MCP client configs found. Run `agentperms clients --all` to see every place looked at.\n",
        );
      } else {
        for (const c of configs) {
          io.stdout(`${c.client} (${c.scope}) ${c.file}\n`);
          const mine = results.filter((r) => r.file === c.file);
          if (mine.length === 0) {
            io.stdout(c.errors.length > 0 ? `  fail  cannot be read: ${c.errors[0]}\n` : "  (no servers)\n");
            continue;
          }
          const rows = mine.map((r) => [
            `  ${r.status}`,
            r.project ? `${r.server} (${r.project})` : r.server,
            summarize(r),
          ]);
          io.stdout(alignColumns(rows));
          for (const e of c.errors) if (c.servers.length > 0) io.stderr(`warning: ${c.file}: ${e}\n`);
        }
        io.stdout(
          `\n${results.length} server(s): ${counts.ok} ok, ${counts.warn} warn, ${counts.fail} fail.\n`,
        );
      }
      env.setExit(broken.length > 0 || status === "fail" ? EXIT.gate : EXIT.ok);
    });
}
