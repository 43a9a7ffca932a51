import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `infer`.
export function registerInfer(program: Command, _env: CommandEnv): void {
  program.command("infer").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "infer" command is not built yet');
  });
}
