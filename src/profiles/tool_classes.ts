// The name classifier `infer` uses lives here, as a leaf module: infer imports decision, and decision imports
// this folder, so it cannot live in infer.
import { classifyToolName as classifyByName, type DangerCategory, toolWords } from "./classify_tool_name.ts";
import type { ToolClassName } from "./types.ts";

/** What `classifyTool` reads. */
export interface ToolClassInput {
  /** The tool's real name. */
  name: string;
  /** Its MCP annotations from `tools/list` (hints from the server, so they only ever add classes). */
  annotations?: {
    readOnlyHint?: boolean;
    destructiveHint?: boolean;
    openWorldHint?: boolean;
  };
  /** Classes its server profile gives it. */
  profileClasses?: readonly ToolClassName[];
}

const FROM_DANGER: Record<DangerCategory, ToolClassName[]> = {
  shell: ["exec"],
  send: ["send"],
  delete: ["delete"],
  "force-push": ["write", "delete"],
  merge: ["write"],
  "db-write": ["write"],
  destructive: ["write", "delete"],
};
const NETWORK_WORDS = new Set([
  "fetch",
  "http",
  "https",
  "request",
  "url",
  "curl",
  "wget",
  "download",
  "navigate",
  "browse",
  "browser",
  "web",
  "webhook",
  "scrape",
  "crawl",
]);
const ADMIN_WORDS = new Set([
  "admin",
  "config",
  "configure",
  "setting",
  "settings",
  "permission",
  "permissions",
  "role",
  "roles",
  "grant",
  "revoke",
  "collaborator",
  "collaborators",
  "invite",
  "invitation",
  "ruleset",
  "secret",
  "secrets",
  "token",
  "tokens",
  "sudo",
  "chmod",
  "chown",
]);
const WRITE_WORDS = new Set([
  "write",
  "create",
  "update",
  "edit",
  "put",
  "set",
  "add",
  "insert",
  "upsert",
  "modify",
  "move",
  "rename",
  "push",
  "commit",
  "save",
  "upload",
  "patch",
  "apply",
  "append",
  "replace",
  "fork",
  "copy",
  "mkdir",
  "init",
  "install",
  "assign",
  "close",
  "reopen",
  "archive",
  "import",
  "scale",
  "restart",
  "rollout",
  "checkout",
  "reset",
  "merge",
  "type",
  "click",
  "fill",
  "submit",
  "toggle",
  "trigger",
  "enable",
  "disable",
  "lock",
  "unlock",
]);
// A name that leads with one of these reads (unless another word says more).
const READ_LEAD = new Set([
  "get",
  "list",
  "read",
  "search",
  "find",
  "fetch",
  "download",
  "browse",
  "retrieve",
  "preview",
  "describe",
  "show",
  "view",
  "count",
  "lookup",
  "inspect",
  "stat",
  "status",
  "diff",
  "log",
  "logs",
  "explain",
  "query",
  "open",
  "echo",
  "ping",
  "whoami",
  "snapshot",
  "screenshot",
]);

/**
 * Classifies a tool from three sources, each of which can only add classes: its server profile, the name
 * classifier `infer` uses (whole words), and its MCP annotations. Annotations never remove a class: they are
 * hints the server sends about itself, and a server that lies (`readOnlyHint: true` on `delete_repo`) must not
 * loosen a rule; so `readOnlyHint: true` adds nothing, `readOnlyHint: false` adds `write` (and `delete` unless
 * `destructiveHint: false`, the MCP default), `destructiveHint: true` adds `delete`, `openWorldHint: true` adds
 * `network`. `read` is given only when nothing else was found and the profile, the name or `readOnlyHint` says
 * read. A tool nothing says anything about is `write`: MCP's own default is "may modify".
 *
 * @param input the tool's name, annotations and profile classes
 * @returns its classes
 */
export function classifyTool(input: ToolClassInput): Set<ToolClassName> {
  return new Set(explainToolClasses(input).keys());
}

/**
 * Like `classifyTool`, with the reasons for each class (for `check --explain` and evidence comments).
 * @param input the tool's name, annotations and profile classes
 * @returns each class with the sources that gave it
 */
export function explainToolClasses(input: ToolClassInput): Map<ToolClassName, string[]> {
  const out = new Map<ToolClassName, string[]>();
  const add = (c: ToolClassName, why: string) => {
    const l = out.get(c);
    if (l === undefined) out.set(c, [why]);
    else if (!l.includes(why)) l.push(why);
  };
  let readSaid: string | undefined;
  for (const c of input.profileClasses ?? []) {
    if (c === "read") readSaid = "profile";
    else add(c, "profile");
  }
  const name = typeof input.name === "string" ? input.name : "";
  const byName = classifyByName(name);
  for (const cat of byName.categories) for (const c of FROM_DANGER[cat]) add(c, `name (${byName.why})`);
  const words = toolWords(name);
  const readLed = READ_LEAD.has(words[0] ?? "");
  for (const w of words) {
    if (NETWORK_WORDS.has(w)) add("network", `name word "${w}"`);
    if (ADMIN_WORDS.has(w)) add("admin", `name word "${w}"`);
    if (!readLed && WRITE_WORDS.has(w)) add("write", `name word "${w}"`);
  }
  if (readLed) readSaid ??= `name word "${words[0]}"`;
  const a = input.annotations && typeof input.annotations === "object" ? input.annotations : undefined;
  if (a?.readOnlyHint === true) readSaid ??= "readOnlyHint";
  if (a?.readOnlyHint === false) {
    add("write", "readOnlyHint: false");
    if (a.destructiveHint !== false) add("delete", "destructiveHint (MCP default true)");
  }
  if (a?.destructiveHint === true) add("delete", "destructiveHint");
  if (a?.openWorldHint === true) add("network", "openWorldHint");
  const restrictive = [...out.keys()].filter((c) => c !== "network");
  if (restrictive.length === 0) {
    if (readSaid !== undefined) add("read", readSaid);
    else add("write", "nothing says it only reads");
  }
  return out;
}
