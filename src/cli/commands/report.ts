import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `report`.
export function registerReport(program: Command, _env: CommandEnv): void {
  program.command("report").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "report" command is not built yet');
  });
}
