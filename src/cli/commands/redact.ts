import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `redact`.
export function registerRedact(program: Command, _env: CommandEnv): void {
  program.command("redact").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "redact" command is not built yet');
  });
}
