import type { Command } from "commander";
import { createTwoFilesPatch } from "diff";
import { resolve } from "node:path";
import { writeFileAtomic } from "../../clients/mod.ts";
import { AgentPermsError } from "../../errors.ts";
import { parsePolicy, policyJsonSchema, upgradePolicy } from "../../policy/mod.ts";
import type { CommandEnv } from "../command_env.ts";
import { EXIT } from "../exit_codes.ts";

/** `agentperms policy`: work on policy files (upgrade to format 2, print the JSON Schema). */
export function registerPolicy(program: Command, env: CommandEnv): void {
  const policy = program.command("policy")
    .description("Work on policy files: upgrade a v1 policy to format 2, print the policy JSON Schema");

  policy.command("upgrade")
    .description("Rewrite a v1 policy as format 2, comments and layout kept; prints the diff unless --write")
    .argument("<file>", "the policy file")
    .option("--write", "write the upgraded policy back to the file (atomically)")
    .addHelpText(
      "after",
      `
Examples:
  $ agentperms policy upgrade mcp.policy.yaml           # print the diff
  $ agentperms policy upgrade mcp.policy.yaml --write   # write it

Only the version changes; the notes on stderr say what format 2 denies that format 1 allowed (guard packs,
SQL tools a server profile documents as read-only) and how to keep the v1 reading.
Exit: 0 upgraded or already format 2, 3 when the file is not a valid v1 policy.`,
    )
    .action(async (file: string, opts: { write?: boolean }) => {
      const { io } = env;
      const abs = resolve(io.cwd(), file);
      let text: string;
      try {
        text = await Deno.readTextFile(abs);
      } catch (e) {
        throw new AgentPermsError(
          "policy_invalid",
          `Cannot upgrade policy "${file}": ${
            e instanceof Deno.errors.NotFound ? "the file does not exist" : (e as Error).message
          }`,
        );
      }
      // The file must be a valid policy as it is: an upgrade never turns a broken file into a loading one.
      parsePolicy(text, { file });
      const up = upgradePolicy(text, { file });
      if (!up.changed) {
        io.stderr(`"${file}" is already format 2\n`);
        env.setExit(EXIT.ok);
        return;
      }
      // And the upgraded text must load as format 2 before anything is written or suggested.
      parsePolicy(up.text, { file });
      for (const n of up.notes) io.stderr(`note: ${n}\n`);
      if (opts.write) {
        await writeFileAtomic(abs, up.text);
        io.stderr(`Upgraded "${file}" to format 2\n`);
      } else {
        io.stdout(createTwoFilesPatch(file, file, text, up.text, "format 1", "format 2"));
      }
      env.setExit(EXIT.ok);
    });

  policy.command("schema")
    .description("Print the JSON Schema of policy files (both formats), for editors and CI checks")
    .action(() => {
      env.io.stdout(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
      env.setExit(EXIT.ok);
    });
}
