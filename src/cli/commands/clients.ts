import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `clients`.
export function registerClients(program: Command, _env: CommandEnv): void {
  program.command("clients").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "clients" command is not built yet');
  });
}
