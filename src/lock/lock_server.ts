// @ts-types="@modelcontextprotocol/sdk/types"
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { sha256Canonical } from "./_hash.ts";
import type { LaunchV1, LockedItemV1, LockedServerV1, LockedToolV1 } from "./lock_file.ts";
import type { ServerLaunch, ServerListing } from "./list_server.ts";
import { AgentPermsError } from "../errors.ts";

/** The tool fields that make up its identity (MCP 2025-06-18 Tool, minus icons/_meta/execution). */
export const TOOL_FIELDS = [
  "name",
  "title",
  "description",
  "inputSchema",
  "outputSchema",
  "annotations",
] as const;
const PROMPT_FIELDS = ["name", "title", "description", "arguments"] as const;
const RESOURCE_FIELDS = ["uri", "name", "title", "description", "mimeType"] as const;
const TEMPLATE_FIELDS = ["uriTemplate", "name", "title", "description", "mimeType"] as const;

function pinFields(item: Record<string, unknown>, fields: readonly string[]) {
  const present: Record<string, unknown> = {};
  const hashes: Record<string, string> = {};
  for (const f of fields) {
    if (item[f] === undefined) continue;
    present[f] = item[f];
    // The key field (name, or uri for resources) is the map key already; hashing it again is noise.
    if (f !== fields[0]) hashes[f] = sha256Canonical(item[f]);
  }
  return { sha256: sha256Canonical(present), fields: hashes };
}

/**
 * Pins one tool: full SHA-256 over the canonical JSON (RFC 8785) of its identity fields,
 * a hash per field, and the readable title and description.
 * @param tool a tool as listed by the server
 * @returns the pinned tool
 */
export function lockTool(tool: Tool): LockedToolV1 {
  const t = tool as unknown as Record<string, unknown>;
  const pinned: LockedToolV1 = pinFields(t, TOOL_FIELDS);
  if (typeof t.title === "string") pinned.title = t.title;
  if (typeof t.description === "string") pinned.description = t.description;
  return pinned;
}

function lockItem(item: Record<string, unknown>, fields: readonly string[]): LockedItemV1 {
  const pinned: LockedItemV1 = pinFields(item, fields);
  if (typeof item.description === "string") pinned.description = item.description;
  return pinned;
}

/**
 * Pins a launch command: command, args and env names, with their hash.
 * @param entry the (unwrapped) launch entry, or a pinned launch to re-hash
 * @returns the pinned launch
 */
export function lockLaunch(entry: ServerLaunch | LaunchV1): LaunchV1 {
  const envNames = "envNames" in entry ? [...entry.envNames] : Object.keys(entry.env ?? {}).sort();
  const core = { command: entry.command, args: [...entry.args], envNames };
  return { ...core, sha256: sha256Canonical(core) };
}

function byKey<T>(
  items: Record<string, unknown>[],
  key: string,
  pin: (i: Record<string, unknown>) => T,
  what: string,
): Record<string, T> {
  const out = new Map<string, T>();
  for (const i of items) {
    const k = String(i[key]);
    // Two entries under one name leave it ambiguous which one a call reaches: not lockable.
    if (out.has(k)) throw new AgentPermsError("upstream_failed", `Server lists ${what} "${k}" twice`);
    out.set(k, pin(i));
  }
  // Sorted for a stable, diff-friendly file; fromEntries so a name like "__proto__" stays a plain key.
  return Object.fromEntries([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Builds the pinned record of one server from its launch entry and live listing.
 * @param entry the launch command (already unwrapped from any AgentPerms wrapping)
 * @param listing what {@link listServer} returned
 * @returns the server's lock record, keys sorted
 * @throws {AgentPermsError} upstream_failed when the server lists one tool, prompt or resource twice
 */
export function lockServer(entry: ServerLaunch, listing: ServerListing): LockedServerV1 {
  const rec = (x: unknown) => x as Record<string, unknown>;
  // Key order here is the order in the written file: identity first, then the lists.
  const out = { launch: lockLaunch(entry) } as LockedServerV1;
  if (listing.serverInfo) {
    out.serverInfo = { name: listing.serverInfo.name, version: listing.serverInfo.version };
  }
  if (listing.protocolVersion) out.protocolVersion = listing.protocolVersion;
  if (listing.instructions !== undefined) {
    out.instructionsSha256 = sha256Canonical(listing.instructions);
    out.instructions = listing.instructions;
  }
  out.tools = byKey(listing.tools.map(rec), "name", (t) => lockTool(t as unknown as Tool), "tool");
  if (listing.prompts) {
    out.prompts = byKey(listing.prompts.map(rec), "name", (p) => lockItem(p, PROMPT_FIELDS), "prompt");
  }
  if (listing.resources) {
    out.resources = byKey(
      listing.resources.map(rec),
      "uri",
      (r) => lockItem(r, RESOURCE_FIELDS),
      "resource",
    );
  }
  if (listing.resourceTemplates) {
    out.resourceTemplates = byKey(
      listing.resourceTemplates.map(rec),
      "uriTemplate",
      (r) => lockItem(r, TEMPLATE_FIELDS),
      "resource template",
    );
  }
  return out;
}
