import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { AgentPermsError } from "../errors.ts";
import { formatIssues } from "../validation_issues.ts";
import { parseJsonStrict } from "../json/mod.ts";
import { validateServerProfile } from "./server_profile.ts";
import type { ServerProfileDescriptor } from "./types.ts";

const MODULE_EXTS = new Set([".ts", ".mts", ".js", ".mjs"]);
const DATA_EXTS = new Set([".json", ".yaml", ".yml"]);

function invalid(source: string, detail: string, hint?: string): AgentPermsError {
  return new AgentPermsError("plugin_invalid", `Cannot load server profile "${source}": ${detail}`, { hint });
}

/**
 * Loads server profiles from a plugin file, the way attack packs load: a TS/JS module whose default export
 * is a profile (from `defineServerProfile`) or an array of them, or a JSON/YAML file holding one profile or a
 * list. Each profile is validated, samples included.
 *
 * @param source a file path (relative to `opts.cwd`)
 * @param opts `cwd` relative paths resolve against (the policy's folder for a policy's `profiles:` list)
 * @returns the profiles, in file order
 * @throws {AgentPermsError} `plugin_invalid` when missing, malformed or invalid
 */
export async function loadServerProfiles(
  source: string,
  opts: { cwd: string },
): Promise<ServerProfileDescriptor[]> {
  const abs = resolve(opts.cwd, source);
  const ext = extname(abs).toLowerCase();
  let value: unknown;
  if (MODULE_EXTS.has(ext)) {
    try {
      await Deno.stat(abs);
    } catch {
      throw invalid(source, "the file does not exist");
    }
    let mod: Record<string, unknown>;
    try {
      mod = await import(pathToFileURL(abs).href);
    } catch (e) {
      throw invalid(source, `the module failed to load: ${(e as Error).message.split("\n")[0]}`);
    }
    if (mod.default === undefined) {
      throw invalid(
        source,
        "the module has no default export",
        "Write `export default defineServerProfile({ apiVersion: 1, ... })`",
      );
    }
    value = mod.default;
  } else if (DATA_EXTS.has(ext)) {
    let text: string;
    try {
      text = await Deno.readTextFile(abs);
    } catch (e) {
      throw invalid(
        source,
        e instanceof Deno.errors.NotFound ? "the file does not exist" : (e as Error).message,
      );
    }
    if (ext === ".json") {
      const r = parseJsonStrict(text);
      if (!r.ok) throw invalid(source, r.error);
      value = r.value;
    } else {
      try {
        // Loaded here, not with the module: only a policy's `profiles:` list of YAML files needs it, and the
        // package costs every proxy start ~15 ms to load (#20 item 6).
        const { parse } = await import("yaml");
        value = parse(text, { uniqueKeys: true });
      } catch (e) {
        throw invalid(source, `YAML error: ${(e as Error).message.split("\n")[0]}`);
      }
    }
  } else {
    throw invalid(
      source,
      `unknown profile file type "${ext || "(none)"}"`,
      "Use a .ts/.js module or a .json/.yaml file",
    );
  }
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw invalid(source, "the file holds no profile");
  list.forEach((p, i) => {
    const issues = validateServerProfile(p);
    if (issues.length > 0) {
      throw invalid(
        source,
        `${list.length > 1 ? `profile ${i}: ` : ""}${formatIssues(issues)}`,
        "See docs/policy.md (server profiles) for the fields",
      );
    }
  });
  return list as ServerProfileDescriptor[];
}
