import { dirname, resolve } from "node:path";
import { loadServerProfiles, type ServerProfileDescriptor } from "../profiles/mod.ts";
import { loadSqlParsers } from "../sql/mod.ts";
import { hostRealpath } from "../canonical/mod.ts";
import { AgentPermsError } from "../errors.ts";
import { type CompiledPolicy, type CompileOptions, compilePolicy } from "./compile_policy.ts";
import type { ParsedPolicy } from "./parse_policy.ts";
import type { PolicyCache } from "./_policy_cache.ts";

/** A policy loaded from disk: parsed, validated, linted and compiled. */
export interface LoadedPolicy extends ParsedPolicy {
  /** Absolute path of the file. */
  file: string;
  /** Ready for `decide()`. */
  compiled: CompiledPolicy;
  /** Format 2: the server profiles the policy's `profiles:` list and `opts.profiles` loaded. */
  profiles: ServerProfileDescriptor[];
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
    /** Server profile plugin files from the command line (`--profile`), relative to `cwd`. */
    profiles?: readonly string[];
    /** What is known about servers beyond their names (the proxy's command line), to find their profiles. */
    identities?: CompileOptions["identities"];
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
  // A format 2 policy can list server profile plugins; they are loaded first (relative to the policy), since
  // validation needs them (a `profile:` may name one). Such a policy is not cached: its meaning depends on them.
  const listed = await profileList(text);
  const profiles: ServerProfileDescriptor[] = [];
  for (const p of opts.profiles ?? []) profiles.push(...await loadServerProfiles(p, { cwd: opts.cwd }));
  for (const p of listed) profiles.push(...await loadServerProfiles(p, { cwd: dirname(abs) }));
  const cache = listed.length > 0 || profiles.length > 0 ? undefined : opts.cache;
  let parsed = await cache?.get(text);
  if (parsed === undefined) {
    // The YAML parser, the schemas' checks and the lint load only when there is something to parse: a proxy
    // start whose policy is in the cache does not need them (issue 20 item 6).
    const { loadFastYamlReader, parsePolicy } = await import("./parse_policy.ts");
    await loadFastYamlReader();
    parsed = parsePolicy(text, { file, profiles });
    await cache?.put(text, parsed);
  }
  const compiled = compilePolicy(parsed.policy, {
    baseDir: dirname(abs),
    home: opts.home,
    realpath: opts.realpath ?? hostRealpath,
    profiles,
    identities: opts.identities,
  });
  // Format 2 reads SQL (read-only tools, table scopes): its parsers load once, here, before any call is judged.
  // One that cannot load leaves SQL "not read-only" (denied), never allowed.
  if (compiled.v2) await loadSqlParsers();
  return { ...parsed, file: abs, compiled, profiles };
}

/** The `profiles:` list of a format 2 policy, read before validation (anything odd: none; parsePolicy reports it). */
async function profileList(text: string): Promise<string[]> {
  // Any spelling of the key (`profiles:`, `"profiles":`, inside a flow mapping): the YAML reading decides.
  if (!text.includes("profiles")) return [];
  const { parse } = await import("yaml");
  try {
    const v = parse(text, { maxAliasCount: 100 }) as { version?: unknown; profiles?: unknown } | null;
    if (v?.version !== 2 || !Array.isArray(v.profiles)) return [];
    return v.profiles.filter((p): p is string => typeof p === "string");
  } catch {
    return [];
  }
}
