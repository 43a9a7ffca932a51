/**
 * The `agentperms` command line. `deno run -A cli.ts <command>`; compiled to one binary by `deno task compile`.
 * @module
 */
import { denoIo } from "./src/cli/io.ts";
import { run } from "./src/cli/run.ts";

if (import.meta.main) {
  Deno.exit(await run(Deno.args, denoIo()));
}
