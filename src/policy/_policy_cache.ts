import { join } from "node:path";
import { PolicySchema } from "./schema.ts";
import { PolicyV2Schema } from "./schema_v2.ts";
import type { ParsedPolicy } from "./parse_policy.ts";

/**
 * A cache of parsed, validated and linted policies, keyed by the SHA-256 of the policy file's text and the
 * AgentPerms version: a proxy start with an unchanged policy skips the YAML parse and the lint (most of the
 * cost of loading a large policy). The compiled form is not cached: it holds matchers (functions), and its
 * realpath forms depend on the file system at start, so it is rebuilt every time.
 *
 * An entry is trusted only when everything checks: a regular file owned by this user that no one else may
 * read or write, in a folder only this user may enter, whose key is the one asked for, whose digest matches
 * its content and whose policy passes the schema again. Anything else is ignored and rebuilt (never "allow").
 * It cannot stop someone who can already write as this user (who could as well edit the policy itself).
 */
export interface PolicyCache {
  /** The cached parse of `text`, or undefined (miss, corrupt, mismatched or unsafe). */
  get(text: string): Promise<ParsedPolicy | undefined>;
  /** Stores the parse of `text` (atomic write; a failure to write is ignored). */
  put(text: string, parsed: ParsedPolicy): Promise<void>;
}

const FORMAT = 1;

/**
 * The cache folder: `$XDG_CACHE_HOME/agentperms/policies`, else `<home>/.cache/agentperms/policies`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyCacheDir } from "./mod.ts";
 * assert.equal(policyCacheDir({}, "/home/u"), "/home/u/.cache/agentperms/policies");
 * ```
 * @param env the environment
 * @param home the user's home
 * @returns an absolute path
 */
export function policyCacheDir(env: Record<string, string | undefined>, home: string): string {
  return join(env.XDG_CACHE_HOME || join(home, ".cache"), "agentperms", "policies");
}

async function sha256(s: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Opens a policy cache in a folder (made 0700 when missing).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openPolicyCache, parsePolicy } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const cache = openPolicyCache(`${dir}/policies`, "0.0.0");
 * const text = "version: 1\nservers: {}\n";
 * await cache.put(text, parsePolicy(text, { file: "p.yaml" }));
 * assert.deepEqual((await cache.get(text))?.policy, { version: 1, servers: {} });
 * await Deno.remove(dir, { recursive: true });
 * ```
 * @param dir the folder
 * @param version the AgentPerms version (a new version never reads an older one's entries)
 * @returns the cache
 */
export function openPolicyCache(dir: string, version: string): PolicyCache {
  const keyOf = (text: string) => sha256(`agentperms-policy-cache\0${FORMAT}\0${version}\0${text}`);
  const digestOf = (key: string, body: string) => sha256(`${key}\0${body}`);
  const uid = Deno.uid();
  const private_ = (info: Deno.FileInfo, dirMode: boolean) =>
    (uid === null || info.uid === uid) && info.mode !== null &&
    (info.mode & 0o077) === 0 && (dirMode ? info.isDirectory : info.isFile);
  return {
    async get(text) {
      try {
        const key = await keyOf(text);
        const file = join(dir, `${key}.json`);
        if (!private_(await Deno.lstat(dir), true) || !private_(await Deno.lstat(file), false)) {
          return undefined;
        }
        const entry = JSON.parse(await Deno.readTextFile(file)) as {
          v?: unknown;
          key?: unknown;
          body?: unknown;
          digest?: unknown;
        };
        if (entry.v !== FORMAT || entry.key !== key || typeof entry.body !== "string") return undefined;
        if (entry.digest !== await digestOf(key, entry.body)) return undefined;
        const body = JSON.parse(entry.body) as { policy?: unknown; warnings?: unknown };
        const v2 = (body.policy as { version?: unknown } | undefined)?.version === 2;
        const policy = (v2 ? PolicyV2Schema : PolicySchema).safeParse(body.policy);
        if (!policy.success || policy.data.servers === undefined || !Array.isArray(body.warnings)) {
          return undefined;
        }
        const warnings = body.warnings.filter((w): w is ParsedPolicy["warnings"][number] =>
          typeof w === "object" && w !== null && typeof (w as { message?: unknown }).message === "string"
        );
        if (warnings.length !== body.warnings.length) return undefined;
        return { policy: policy.data, warnings };
      } catch {
        return undefined;
      }
    },
    async put(text, parsed) {
      try {
        await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
        await Deno.chmod(dir, 0o700);
        const key = await keyOf(text);
        const body = JSON.stringify({ policy: parsed.policy, warnings: parsed.warnings });
        const entry = JSON.stringify({ v: FORMAT, key, body, digest: await digestOf(key, body) });
        const tmp = join(dir, `${key}.${crypto.randomUUID()}.tmp`);
        await Deno.writeTextFile(tmp, entry, { mode: 0o600, createNew: true });
        await Deno.rename(tmp, join(dir, `${key}.json`)).catch(() => Deno.remove(tmp).catch(() => {}));
      } catch {
        // The cache is an optimisation: a folder that cannot be written only costs a parse next time.
      }
    },
  };
}
