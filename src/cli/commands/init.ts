import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `init`.
export function registerInit(program: Command, _env: CommandEnv): void {
  program.command("init").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "init" command is not built yet');
  });
}
