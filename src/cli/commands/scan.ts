import type { Command } from "commander";
import { discover } from "../../clients/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import { listServer } from "../../lock/mod.ts";
import { BUILTIN_REDACTORS, compileRedactor } from "../../redact/mod.ts";
import {
  renderJson,
  renderSarif,
  renderTable,
  scanConfigs,
  scanTools,
  SEVERITIES,
  type Severity,
  severityRank,
  sortFindings,
} from "../../scan/mod.ts";
import denoJson from "../../../deno.json" with { type: "json" };
import { type CommandEnv, homeOf } from "../command_env.ts";
import { EXIT } from "../exit_codes.ts";
import { positiveSeconds } from "../shared.ts";

interface ScanCliOptions {
  client: string;
  path?: string;
  tools?: boolean;
  timeout: string;
  format: string;
  failOn: string;
}

function lineOf(file: string, server: string): number | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return undefined;
  }
  const re = new RegExp(
    `(^|[\\s"'\\[.{,])${server.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(["'\\]]|\\s*[:=])`,
    "m",
  );
  const m = re.exec(text);
  return m ? text.slice(0, m.index + m[1]!.length).split("\n").length : undefined;
}

/**
 * `agentperms scan`: find client configs and flag risky servers (and, with --tools, risky tools).
 * @param program the commander program
 * @param env io and exit-code setter
 */
export function registerScan(program: Command, env: CommandEnv): void {
  program.command("scan")
    .description("Find MCP client configs and flag risky servers; --tools also lists and checks their tools")
    .option("--client <name>", "only this client's configs (an id from `agentperms clients`), or all", "all")
    .option("--path <file|dir>", "scan this config file, or the known config files under this directory")
    .option("--tools", "also start each stdio server, list its tools and check them (runs the servers!)")
    .option("--timeout <seconds>", "per-server budget for --tools", "30")
    .option("--format <format>", "table, json or sarif", "table")
    .option(
      "--fail-on <severity>",
      "exit 1 when a finding is at least this severe: high, medium, low, info or none",
      "high",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms scan
  $ agentperms scan --path examples/vulnerable-mcp-demo
  $ agentperms scan --client cursor --tools --timeout 20
  $ agentperms scan --format sarif > agentperms.sarif     (upload with github/codeql-action/upload-sarif)

Without --tools nothing is started. Secrets are named, never printed.
A config that cannot be parsed is a config-invalid finding (medium), not a crash.
Exit: 0 no finding at or above --fail-on, 1 there is one, 2 usage.`,
    )
    .action(async (opts: ScanCliOptions) => {
      const { io } = env;
      if (!["table", "json", "sarif"].includes(opts.format)) {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, {
          hint: "Use table, json or sarif",
        });
      }
      if (opts.failOn !== "none" && !SEVERITIES.includes(opts.failOn as Severity)) {
        throw new AgentPermsError("usage", `Unknown severity "${opts.failOn}" for --fail-on`, {
          hint: "Use high, medium, low, info or none",
        });
      }
      const timeout = positiveSeconds(opts.timeout);
      const configs = await discover({ io, client: opts.client, path: opts.path });
      const redactor = compileRedactor(BUILTIN_REDACTORS, { emails: false });
      const exists = (p: string) => {
        try {
          Deno.statSync(p);
          return true;
        } catch {
          return false;
        }
      };
      let findings = scanConfigs(configs, { home: homeOf(io), cwd: io.cwd(), redactor, exists });
      if (opts.tools) {
        const inheritEnv = io.envAll();
        const res = await scanTools(configs, {
          timeoutMs: timeout * 1000,
          redactor,
          env: inheritEnv,
          list: (launch, o) => listServer(launch, { timeoutMs: o.timeoutMs, inheritEnv }),
        });
        findings = sortFindings([...findings, ...res.findings]);
      }
      const summary = {
        findings,
        servers: configs.reduce((n, c) => n + c.servers.length, 0),
        configs: configs.length,
      };
      if (opts.format === "json") io.stdout(renderJson(summary));
      else if (opts.format === "sarif") {
        io.stdout(renderSarif(summary, { version: denoJson.version, cwd: io.cwd(), lineOf }));
      } else io.stdout(renderTable(summary));
      const gate = opts.failOn !== "none" &&
        findings.some((f) => severityRank(f.severity) <= severityRank(opts.failOn as Severity));
      env.setExit(gate ? EXIT.gate : EXIT.ok);
    });
}
