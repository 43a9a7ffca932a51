import type { Command } from "commander";
import type { CommandEnv } from "../command_env.ts";
import { AgentPermsError } from "../../errors.ts";

// PLACEHOLDER: replaced by the issue that builds `proxy`.
export function registerProxy(program: Command, _env: CommandEnv): void {
  program.command("proxy").description("(not built yet)").action(() => {
    throw new AgentPermsError("usage", 'The "proxy" command is not built yet');
  });
}
