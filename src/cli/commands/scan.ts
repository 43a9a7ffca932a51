import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `scan`.
export function registerScan(program: Command, _env: CommandEnv): void {
  program.command("scan").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "scan" command is not built yet');
  });
}
