import { diffWords } from "diff";
import { changedFields } from "./check_tools_against_lock.ts";
import type { LaunchV1, LockedItemV1, LockedServerV1, LockFileV1 } from "./lock_file.ts";

/** One piece of a word-level diff: unchanged, inserted or deleted text. */
export interface WordDiffPart {
  op: "equal" | "insert" | "delete";
  text: string;
}

/** A tool, prompt or resource that is new, removed or changed. */
export interface ItemDiff {
  kind: "tool" | "prompt" | "resource" | "resourceTemplate";
  /** Tool or prompt name, or resource URI. */
  name: string;
  change: "new" | "removed" | "changed";
  /** For "changed": the fields that differ (e.g. `["description", "inputSchema"]`). */
  fields: string[];
  /** For a changed description: word-level diff of the old and new text. */
  descriptionDiff?: WordDiffPart[];
}

/** A change to the server's own identity (not its launch command). */
export interface IdentityChange {
  field: "serverInfo.name" | "serverInfo.version" | "instructions";
  /** Old value (for instructions: the old hash). */
  before?: string;
  /** New value (for instructions: the new hash). */
  after?: string;
  /** For instructions: word-level diff of the texts. */
  textDiff?: WordDiffPart[];
}

/** Everything that differs for one server. */
export interface ServerDiff {
  server: string;
  change: "new" | "removed" | "changed";
  /** Set once per server when command, args or env names differ (not repeated for each tool). */
  launch?: { fields: ("command" | "args" | "envNames")[]; before: LaunchV1; after: LaunchV1 };
  identity: IdentityChange[];
  items: ItemDiff[];
}

/** Result of {@link diffLock}: only servers with differences, sorted by name. */
export interface LockDiff {
  /** True when nothing differs. */
  clean: boolean;
  servers: ServerDiff[];
}

/**
 * Compares a pinned lock with a freshly built one (from live listings).
 * Servers present on one side only are NEW or REMOVED with all their items; a changed launch
 * command is reported once per server; each changed tool names its changed fields and, for a
 * description, carries a word-level diff.
 *
 * @example
 * ```ts
 * import { diffLock, lockServer } from "./mod.ts";
 * const entry = { command: "srv", args: [] };
 * const t = { name: "read", description: "Read a file.", inputSchema: { type: "object" as const } };
 * const before = { v: 1 as const, servers: { fs: lockServer(entry, { tools: [t] }) } };
 * const after = { v: 1 as const, servers: { fs: lockServer(entry, { tools: [{ ...t, description: "Read any file." }] }) } };
 * const d = diffLock(before, after);
 * if (d.clean || d.servers[0]?.items[0]?.fields[0] !== "description") throw new Error("expected a change");
 * ```
 * @param locked the lock on disk
 * @param live a lock built from the live servers
 * @returns the structured diff
 */
export function diffLock(locked: LockFileV1, live: LockFileV1): LockDiff {
  const names = [...new Set([...Object.keys(locked.servers), ...Object.keys(live.servers)])].sort();
  const servers: ServerDiff[] = [];
  for (const name of names) {
    const a = Object.hasOwn(locked.servers, name) ? locked.servers[name] : undefined;
    const b = Object.hasOwn(live.servers, name) ? live.servers[name] : undefined;
    const d = diffServer(name, a, b);
    if (d) servers.push(d);
  }
  return { clean: servers.length === 0, servers };
}

function diffServer(server: string, a?: LockedServerV1, b?: LockedServerV1): ServerDiff | undefined {
  if (!a && !b) return undefined;
  if (!a || !b) {
    const s = (a ?? b)!;
    const change = a ? "removed" : "new";
    return { server, change, identity: [], items: allItems(s, change) };
  }
  const out: ServerDiff = { server, change: "changed", identity: [], items: [] };
  if (a.launch.sha256 !== b.launch.sha256) {
    const fields = (["command", "args", "envNames"] as const).filter((f) =>
      JSON.stringify(a.launch[f]) !== JSON.stringify(b.launch[f])
    );
    out.launch = { fields, before: a.launch, after: b.launch };
  }
  if (a.serverInfo?.name !== b.serverInfo?.name) {
    out.identity.push({ field: "serverInfo.name", before: a.serverInfo?.name, after: b.serverInfo?.name });
  }
  if (a.serverInfo?.version !== b.serverInfo?.version) {
    out.identity.push({
      field: "serverInfo.version",
      before: a.serverInfo?.version,
      after: b.serverInfo?.version,
    });
  }
  if (a.instructionsSha256 !== b.instructionsSha256) {
    out.identity.push({
      field: "instructions",
      before: a.instructionsSha256,
      after: b.instructionsSha256,
      textDiff: wordDiff(a.instructions ?? "", b.instructions ?? ""),
    });
  }
  out.items.push(...diffItems("tool", a.tools, b.tools));
  out.items.push(...diffItems("prompt", a.prompts ?? {}, b.prompts ?? {}));
  out.items.push(...diffItems("resource", a.resources ?? {}, b.resources ?? {}));
  out.items.push(...diffItems("resourceTemplate", a.resourceTemplates ?? {}, b.resourceTemplates ?? {}));
  return out.launch || out.identity.length || out.items.length ? out : undefined;
}

function allItems(s: LockedServerV1, change: "new" | "removed"): ItemDiff[] {
  const list = (kind: ItemDiff["kind"], rec: Record<string, unknown> | undefined) =>
    Object.keys(rec ?? {}).sort().map((name): ItemDiff => ({ kind, name, change, fields: [] }));
  return [
    ...list("tool", s.tools),
    ...list("prompt", s.prompts),
    ...list("resource", s.resources),
    ...list("resourceTemplate", s.resourceTemplates),
  ];
}

function diffItems(
  kind: ItemDiff["kind"],
  a: Record<string, LockedItemV1>,
  b: Record<string, LockedItemV1>,
): ItemDiff[] {
  const out: ItemDiff[] = [];
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = Object.hasOwn(a, name) ? a[name] : undefined;
    const y = Object.hasOwn(b, name) ? b[name] : undefined;
    if (!x) out.push({ kind, name, change: "new", fields: [] });
    else if (!y) out.push({ kind, name, change: "removed", fields: [] });
    else if (x.sha256 !== y.sha256) {
      const fields = changedFields(x.fields, y.fields);
      const item: ItemDiff = { kind, name, change: "changed", fields };
      if (fields.includes("description")) {
        item.descriptionDiff = wordDiff(x.description ?? "", y.description ?? "");
      }
      out.push(item);
    }
  }
  return out;
}

/**
 * Word-level diff of two texts (npm "diff" `diffWords`), adjacent parts merged.
 * @param before old text
 * @param after new text
 * @returns the parts in order
 */
export function wordDiff(before: string, after: string): WordDiffPart[] {
  return diffWords(before, after).map((c) => ({
    op: c.added ? "insert" : c.removed ? "delete" : "equal",
    text: c.value,
  }));
}
