import { AgentPermsError } from "../errors.ts";
import { clientSpec } from "./discover.ts";
import type { DiscoveredConfig } from "./types.ts";
import { type WireMode, type WireResult, wireText } from "./wire_text.ts";
import { writeFileAtomic } from "./write_atomic.ts";
import { parseWrapped } from "./wrapped.ts";
import { parseConfig } from "./parse_config.ts";

/** Options for `wireFile`. */
export interface WireFileOptions {
  /** record / enforce / stop. */
  mode: WireMode;
  /** How to start AgentPerms (`selfCommand()`). */
  self: string[];
  /** Absolute policy path (enforce). */
  policy?: string;
  /** Absolute trace directory. */
  traceDir?: string;
  /** Pass `--trace-results` to the proxy. */
  traceResults?: boolean;
  /** Pass `--otel`: each proxy exports its decisions to OpenTelemetry. */
  otel?: boolean;
  /** Absolute lock file. */
  lock?: string;
  /** For backup names. */
  now: Date;
  /** Injectable final rename (tests make it fail). */
  rename?: (from: string, to: string) => Promise<void>;
}

/** What `wireFile` did to one file. */
export interface WireFileResult {
  /** The file. */
  file: string;
  /** Per-entry results. */
  results: WireResult[];
  /** True when the file was rewritten. */
  changed: boolean;
  /** The backup written before the first change, if any. */
  backup?: string;
}

async function exists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Wires (or, with mode "stop", unwires) every stdio entry of one config file in place. Before the first change
 * to a file that holds no wrapped entry yet, a copy is kept as `<file>.agentperms.bak` (or
 * `<file>.agentperms.<time>.bak` when that name is taken). The write is atomic and keeps the file mode.
 *
 * @param config the discovered config (its client, file and format)
 * @param opts mode, self command, proxy flags and an injectable rename
 * @returns per-entry results and whether the file changed
 * @throws {AgentPermsError} io_failed when the file cannot be read, backed up or written (it is left intact)
 */
export async function wireFile(
  config: Pick<DiscoveredConfig, "client" | "file" | "format">,
  opts: WireFileOptions,
): Promise<WireFileResult> {
  const spec = clientSpec(config.client);
  let text: string;
  try {
    text = await Deno.readTextFile(config.file);
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot read "${config.file}": ${(e as Error).message}`, {
      cause: e,
    });
  }
  const out = wireText(text, {
    format: config.format,
    locators: spec.locators,
    client: config.client,
    mode: opts.mode,
    self: opts.self,
    policy: opts.policy,
    traceDir: opts.traceDir,
    traceResults: opts.traceResults,
    otel: opts.otel,
    lock: opts.lock,
  });
  if (out.text === text) return { file: config.file, results: out.results, changed: false };
  let backup: string | undefined;
  const before = parseConfig(text, { format: config.format, locators: spec.locators });
  const alreadyWired = before.servers.some((s) => parseWrapped(s.command, s.args) !== undefined);
  if (!alreadyWired) {
    backup = `${config.file}.agentperms.bak`;
    if (await exists(backup)) {
      const stamp = opts.now.toISOString().replace(/[:.]/g, "-");
      backup = `${config.file}.agentperms.${stamp}.bak`;
    }
    try {
      await Deno.copyFile(config.file, backup);
      // The backup holds the config's env values (tokens): private, whatever the config's own mode.
      if (Deno.build.os !== "windows") await Deno.chmod(backup, 0o600);
    } catch (e) {
      throw new AgentPermsError("io_failed", `Cannot write backup "${backup}": ${(e as Error).message}`, {
        cause: e,
        hint: "Nothing was changed",
      });
    }
  }
  // The client may rewrite its own config while we work: never overwrite a change we did not see.
  let now: string;
  try {
    now = await Deno.readTextFile(config.file);
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot read "${config.file}": ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (now !== text) {
    throw new AgentPermsError("io_failed", `"${config.file}" changed while it was being rewritten`, {
      hint: "Run the command again",
    });
  }
  await writeFileAtomic(config.file, out.text, { rename: opts.rename });
  return { file: config.file, results: out.results, changed: true, ...(backup ? { backup } : {}) };
}
