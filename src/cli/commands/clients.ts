import type { Command } from "commander";
import { CLIENTS, discover, type LookedAt } from "../../clients/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import type { CommandEnv } from "../command_env.ts";
import { EXIT } from "../exit_codes.ts";

interface ClientsOptions {
  client?: string;
  path?: string;
  format: string;
  all?: boolean;
}

/** Why a place was used or skipped, in words (`clients --all`). */
function lookedWhy(l: LookedAt): string {
  switch (l.status) {
    case "found":
      return `parsed: ${l.servers} server(s)`;
    case "not-found":
      return "skipped: not found";
    case "not-a-file":
      return "skipped: not a file";
    case "no-servers":
      return "skipped: no MCP servers key";
    case "unreadable":
      return `skipped: unreadable (${l.detail ?? "permission denied"})`;
    case "invalid":
      return `error: ${l.detail ?? "cannot be parsed"}`;
    case "duplicate":
      return "skipped: already read";
  }
}

/**
 * Pads rows into aligned columns.
 * @param rows the header row first
 * @returns the table text
 */
export function alignColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join(
    "\n",
  ) +
    "\n";
}

/**
 * `agentperms clients`: list every MCP client config found, where, and how many servers each has.
 * @param program the commander program
 * @param env io and exit-code setter
 */
export function registerClients(program: Command, env: CommandEnv): void {
  program.command("clients")
    .description("List the MCP client configs found on this machine and in this workspace")
    .option("--client <name>", `only this client (${CLIENTS.map((c) => c.id).join(", ")}) or all`, "all")
    .option("--path <file|dir>", "read this config file, or search this directory for known config files")
    .option("--format <format>", "text or json", "text")
    .option("--all", "also list every place looked at, and why each was skipped")
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms clients
  $ agentperms clients --all                  (every path looked at: not found, unreadable, N servers)
  $ agentperms clients --client vscode --format json
  $ agentperms clients --path ./my-project

"claude" (the original agentperms name) means claude-desktop; Claude Code is claude-code.
Nothing is started and no variable is expanded. Exit: 0, or 3 when a config file cannot be parsed.`,
    )
    .action(async (opts: ClientsOptions) => {
      const { io } = env;
      if (opts.format !== "text" && opts.format !== "json") {
        throw new AgentPermsError("usage", `Unknown format "${opts.format}"`, { hint: "Use text or json" });
      }
      const looked: LookedAt[] | undefined = opts.all ? [] : undefined;
      const configs = await discover({ io, client: opts.client, path: opts.path, looked });
      const broken = configs.some((c) => c.errors.length > 0 && c.servers.length === 0);
      if (opts.format === "json") {
        const out = configs.map((c) => ({
          client: c.client,
          file: c.file,
          scope: c.scope,
          format: c.format,
          serverCount: c.servers.length,
          // Names and shapes only: env values, headers and args can hold secrets (scan names those).
          servers: c.servers.map((s) => ({
            name: s.name,
            transport: s.transport,
            ...(s.project ? { project: s.project } : {}),
            ...(s.wrapped ? { wrapped: s.wrapped.mode } : {}),
            ...(s.disabled ? { disabled: true } : {}),
          })),
          errors: c.errors,
        }));
        io.stdout(JSON.stringify({ v: 1, configs: out, ...(looked ? { looked } : {}) }, null, 2) + "\n");
      } else if (looked) {
        const rows = [["CLIENT", "SCOPE", "RESULT", "FILE"]];
        for (const l of looked) rows.push([l.client, l.scope, lookedWhy(l), l.file]);
        io.stdout(alignColumns(rows));
        const found = looked.filter((l) => l.status === "found").length;
        io.stdout(`Looked at ${looked.length} place(s); ${found} config(s) with MCP servers.\n`);
      } else if (configs.length === 0) {
        io.stdout(
          "No MCP client configs found. Run `agentperms clients --all` to see every place looked at.\n",
        );
      } else {
        const rows = [["CLIENT", "SCOPE", "SERVERS", "FILE"]];
        for (const c of configs) {
          const wrapped = c.servers.filter((s) => s.wrapped).length;
          const count = c.errors.length > 0 && c.servers.length === 0
            ? "error"
            : `${c.servers.length}${wrapped ? ` (${wrapped} wired)` : ""}`;
          rows.push([c.client, c.scope, count, c.file]);
        }
        io.stdout(alignColumns(rows));
        for (const c of configs) for (const e of c.errors) io.stderr(`warning: ${c.file}: ${e}\n`);
      }
      env.setExit(broken ? EXIT.invalid : EXIT.ok);
    });
}
