/**
 * The `agentperms` command line. `deno run -A cli.ts <command>`; compiled to one binary by `deno task compile`.
 * @module
 */
import { denoIo } from "./src/cli/io.ts";
import { readWiredProxyArgs, runWiredProxy } from "./src/cli/wired_proxy.ts";

if (import.meta.main) {
  // Deno exports console.* as OpenTelemetry log records (@opentelemetry/api-logs is not wired): lifecycle
  // records use console.warn, which writes to stderr, never to stdout, which carries JSON-RPC in proxy mode.
  // deno-lint-ignore no-console
  const logRecord = (line: string, attributes: Record<string, unknown>) => console.warn(line, attributes);
  const io = { ...denoIo(), logRecord };
  // The command line MCP clients run for every server (record/enforce wiring) starts the proxy without loading
  // commander; anything else goes through the full CLI (issue 20 item 6).
  const wired = readWiredProxyArgs(Deno.args);
  Deno.exit(
    wired
      ? await runWiredProxy(wired, Deno.args, io)
      : await (await import("./src/cli/run.ts")).run(Deno.args, io),
  );
}
