import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `lock`.
export function registerLock(program: Command, _env: CommandEnv): void {
  program.command("lock").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "lock" command is not built yet');
  });
}
