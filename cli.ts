/**
 * The `agentperms` command line. `deno run -A cli.ts <command>`; compiled to one binary by `deno task compile`.
 * @module
 */
import { denoIo } from "./src/cli/io.ts";
import { run } from "./src/cli/run.ts";

if (import.meta.main) {
  // Deno exports console.* as OpenTelemetry log records (@opentelemetry/api-logs is not wired): lifecycle
  // records use console.warn, which writes to stderr, never to stdout, which carries JSON-RPC in proxy mode.
  // deno-lint-ignore no-console
  const logRecord = (line: string, attributes: Record<string, unknown>) => console.warn(line, attributes);
  Deno.exit(await run(Deno.args, { ...denoIo(), logRecord }));
}
