import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `replay`.
export function registerReplay(program: Command, _env: CommandEnv): void {
  program.command("replay").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "replay" command is not built yet');
  });
}
