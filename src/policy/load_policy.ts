import { dirname, resolve } from "node:path";
import { hostRealpath } from "../canonical/mod.ts";
import { AgentPermsError } from "../errors.ts";
import { type CompiledPolicy, compilePolicy } from "./compile_policy.ts";
import { type ParsedPolicy, parsePolicy } from "./parse_policy.ts";
import type { PolicyCache } from "./_policy_cache.ts";

/** A policy loaded from disk: parsed, validated, linted and compiled. */
export interface LoadedPolicy extends ParsedPolicy {
  /** Absolute path of the file. */
  file: string;
  /** Ready for `decide()`. */
  compiled: CompiledPolicy;
}

/**
 * Reads, validates and compiles a policy file. Fails closed on a missing or unreadable file.
 * @param file policy path (relative to `opts.cwd`)
 * @param opts `cwd` and `home` (from `Io`); `realpath` defaults to the host's
 * @returns the loaded policy
 * @throws {AgentPermsError} `policy_invalid` when missing, empty or invalid
 */
export async function loadPolicy(
  file: string,
  opts: {
    cwd: string;
    home: string;
    realpath?: (p: string) => string | undefined;
    /**
     * A policy cache (`openPolicyCache`): an unchanged file's parse and lint are read from it instead of
     * being redone. Omitted: no cache is read or written.
     */
    cache?: PolicyCache;
  },
): Promise<LoadedPolicy> {
  const abs = resolve(opts.cwd, file);
  let text: string;
  try {
    text = await Deno.readTextFile(abs);
  } catch (e) {
    const missing = e instanceof Deno.errors.NotFound;
    throw new AgentPermsError(
      "policy_invalid",
      `Cannot load policy "${file}": ${missing ? "the file does not exist" : (e as Error).message}`,
      {
        cause: e,
        hint: missing
          ? "Create one with `agentperms infer`, or pass --policy with the path of an existing policy"
          : undefined,
      },
    );
  }
  let parsed = await opts.cache?.get(text);
  if (parsed === undefined) {
    parsed = parsePolicy(text, { file });
    await opts.cache?.put(text, parsed);
  }
  const compiled = compilePolicy(parsed.policy, {
    baseDir: dirname(abs),
    home: opts.home,
    realpath: opts.realpath ?? hostRealpath,
  });
  return { ...parsed, file: abs, compiled };
}
