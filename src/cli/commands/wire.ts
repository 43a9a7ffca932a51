import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `wire`.
export function registerWire(program: Command, _env: CommandEnv): void {
  program.command("wire").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "wire" command is not built yet');
  });
}
