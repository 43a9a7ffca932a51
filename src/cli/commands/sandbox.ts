import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `sandbox`.
export function registerSandbox(program: Command, _env: CommandEnv): void {
  program.command("sandbox").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "sandbox" command is not built yet');
  });
}
