import { basename, dirname, join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

/** What `selfCommand` looks at (injectable for tests). */
export interface SelfCommandInputs {
  /** `Deno.execPath()`: the deno binary, or the compiled agentperms binary. */
  execPath: string;
  /** `import.meta.url` of this module. */
  moduleUrl: string;
  /** `Deno.mainModule`: the entry script (cli.ts, or a bundle file). */
  mainModule: string;
}

const SOURCE_SUFFIX = "/src/clients/self_command.ts";

/**
 * V8 flags every AgentPerms process runs with (`deno compile` embeds the same; see the compile tasks in
 * deno.json). A 1 MB young generation: the proxy, which every MCP client keeps running once per server, sat
 * at 117 MB after 6,000 calls with V8's default and at 82 MB with this, with the same latency; infer over
 * 300,000 trace lines ran as fast and peaked 50 MB lower.
 */
export const V8_FLAGS = "--max-semi-space-size=1";

/**
 * How a client should start AgentPerms itself, as absolute paths (GUI clients start servers with a bare PATH):
 * a compiled binary is `[binary]`; a bundle is `[deno, "run", "-A", "--v8-flags=…", bundle]`; a source
 * checkout is `[deno, "run", "-A", "--v8-flags=…", "--config", deno.json, cli.ts]`.
 *
 * @param inputs defaults to this process
 * @returns the command and leading arguments
 */
export function selfCommand(inputs?: Partial<SelfCommandInputs>): string[] {
  const execPath = inputs?.execPath ?? Deno.execPath();
  const moduleUrl = inputs?.moduleUrl ?? import.meta.url;
  const mainModule = inputs?.mainModule ?? Deno.mainModule;
  const exe = basename(execPath).toLowerCase();
  if (exe !== "deno" && exe !== "deno.exe") return [execPath];
  const modulePath = moduleUrl.startsWith("file:") ? fromFileUrl(moduleUrl).replaceAll("\\", "/") : moduleUrl;
  if (modulePath.endsWith(SOURCE_SUFFIX)) {
    const root = dirname(dirname(dirname(fromFileUrl(moduleUrl))));
    return [
      execPath,
      "run",
      "-A",
      `--v8-flags=${V8_FLAGS}`,
      "--config",
      join(root, "deno.json"),
      join(root, "cli.ts"),
    ];
  }
  // Bundled: this module's code lives inside the entry file itself.
  const bundle = mainModule.startsWith("file:") ? fromFileUrl(mainModule) : mainModule;
  return [execPath, "run", "-A", `--v8-flags=${V8_FLAGS}`, bundle];
}
