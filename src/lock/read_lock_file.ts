import { parse } from "yaml";
import { AgentPermsError } from "../errors.ts";
import {
  LockedItemV1Schema,
  type LockedServerV1,
  LockedServerV1Schema,
  LockedToolV1Schema,
  type LockFileV1,
  LockFileV1Schema,
} from "./lock_file.ts";
import { lockLaunch } from "./lock_server.ts";

const HINT = "Create it with `agentperms lock`, or restore it from version control";

/**
 * Parses lock file text. Fails closed: anything but a complete, valid version-1 lock is an error.
 * @param text the file's text
 * @param file the file name, for messages
 * @returns the lock
 * @throws {AgentPermsError} lock_invalid on YAML errors, duplicate keys, an unknown version or a bad shape
 */
export function parseLockFile(text: string, file: string): LockFileV1 {
  let raw: unknown;
  try {
    // uniqueKeys (the default) rejects duplicate keys, so a second entry cannot shadow a pinned one.
    raw = parse(text, { uniqueKeys: true, maxAliasCount: 0 });
  } catch (e) {
    throw new AgentPermsError(
      "lock_invalid",
      `Cannot read lock "${file}": ${(e as Error).message.split("\n")[0]}`,
      {
        cause: e,
        hint: HINT,
      },
    );
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new AgentPermsError("lock_invalid", `Cannot read lock "${file}": it is empty or not a mapping`, {
      hint: HINT,
    });
  }
  const v = (raw as Record<string, unknown>).v;
  if (v !== 1) {
    throw new AgentPermsError(
      "lock_invalid",
      `Cannot read lock "${file}": unknown lock version ${JSON.stringify(v ?? null)}`,
      { hint: "This AgentPerms reads lock version 1; upgrade AgentPerms or re-create the lock" },
    );
  }
  const res = LockFileV1Schema.safeParse(raw);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const at = issue.path.length ? ` at "${issue.path.join(".")}"` : "";
    throw new AgentPermsError("lock_invalid", `Cannot read lock "${file}": ${issue.message}${at}`, {
      hint: HINT,
    });
  }
  restoreProtoKeys(raw as RawLock, res.data, file);
  for (const [name, server] of Object.entries(res.data.servers)) {
    // A hand-edited command with a stale hash would otherwise verify against the old command.
    if (lockLaunch(server.launch).sha256 !== server.launch.sha256) {
      throw new AgentPermsError(
        "lock_invalid",
        `Cannot read lock "${file}": the launch hash of server "${name}" does not match its command`,
        { hint: "Do not edit mcp.lock by hand; re-create it with `agentperms lock`" },
      );
    }
  }
  return res.data;
}

/**
 * Reads and validates `mcp.lock`. Missing, unreadable, corrupt or unknown-version files are errors,
 * never an empty lock, so the proxy and `lock --check` fail closed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLockFile } from "./mod.ts";
 * const file = await Deno.makeTempFile({ suffix: ".lock" });
 * await Deno.writeTextFile(file, "v: 1\nservers: {}\n");
 * const lock = await readLockFile(file);
 * await Deno.remove(file);
 * assert.equal(Object.keys(lock.servers).length, 0);
 * await Deno.writeTextFile(file, "v: 2\n");
 * await readLockFile(file).then(() => { throw new Error("must fail closed"); }, () => {});
 * await Deno.remove(file);
 * ```
 * @param path path of the lock file
 * @returns the lock
 * @throws {AgentPermsError} lock_invalid when the file is missing or not a valid version-1 lock
 */
export async function readLockFile(path: string): Promise<LockFileV1> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const missing = e instanceof Deno.errors.NotFound;
    throw new AgentPermsError(
      "lock_invalid",
      missing ? `Lock file "${path}" does not exist` : `Cannot read lock "${path}": ${(e as Error).message}`,
      { cause: e, hint: HINT },
    );
  }
  return parseLockFile(text, path);
}

type RawLock = { servers: Record<string, Record<string, Record<string, unknown> | undefined>> };
const PROTO = "__proto__";

/**
 * zod's record parsing drops a "__proto__" key, so a server or tool with that name would vanish from the
 * lock and come back as "new" forever. Validate such entries on their own and put them back as own keys.
 */
function restoreProtoKeys(raw: RawLock, lock: LockFileV1, file: string): void {
  const put = (target: object, value: unknown) =>
    Object.defineProperty(target, PROTO, { value, enumerable: true, writable: true, configurable: true });
  const check = <T>(
    schema: { safeParse(v: unknown): { success: boolean; data?: T } },
    v: unknown,
    at: string,
  ) => {
    const r = schema.safeParse(v);
    if (!r.success) {
      throw new AgentPermsError("lock_invalid", `Cannot read lock "${file}": invalid entry at "${at}"`, {
        hint: HINT,
      });
    }
    return r.data as T;
  };
  if (Object.hasOwn(raw.servers, PROTO)) {
    put(lock.servers, check<LockedServerV1>(LockedServerV1Schema, raw.servers[PROTO], `servers.${PROTO}`));
  }
  for (const [name, server] of Object.entries(raw.servers)) {
    const parsed = Object.hasOwn(lock.servers, name) ? lock.servers[name] : undefined;
    if (!parsed || !server) continue;
    for (const kind of ["tools", "prompts", "resources", "resourceTemplates"] as const) {
      const rec = server[kind] as Record<string, unknown> | undefined;
      const target = parsed[kind];
      if (!rec || !target || !Object.hasOwn(rec, PROTO)) continue;
      const schema = kind === "tools" ? LockedToolV1Schema : LockedItemV1Schema;
      put(target, check(schema, rec[PROTO], `servers.${name}.${kind}.${PROTO}`));
    }
  }
}
