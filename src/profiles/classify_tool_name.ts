/** A dangerous capability a tool may have. */
export type DangerCategory =
  | "shell"
  | "send"
  | "delete"
  | "force-push"
  | "merge"
  | "db-write"
  | "destructive";

/** MCP tool annotations (`tools/list` result), as far as classification reads them. */
export interface ToolAnnotations {
  /** The tool does not modify its environment. */
  readOnlyHint?: boolean;
  /** The tool may perform destructive updates (meaningful only when not read-only). */
  destructiveHint?: boolean;
  /** The tool may interact with an open world of external entities. */
  openWorldHint?: boolean;
}

/** How a tool was classified and why. */
export interface ToolClass {
  /** True when the tool needs human approval when used, or a deny when offered but unused. */
  dangerous: boolean;
  /** The dangerous capabilities found, sorted. */
  categories: DangerCategory[];
  /** Where the verdict came from. */
  source: "annotations" | "name";
  /** One short phrase for comments and the summary (`name words "send", "email"`). */
  why: string;
}

// Whole words only: `list_filesystem` is not shell, `dropdown_options` is not a delete.
const SHELL_WORDS = new Set([
  "shell",
  "exec",
  "execute",
  "bash",
  "sh",
  "zsh",
  "powershell",
  "pwsh",
  "cmd",
  "subprocess",
  "spawn",
  "eval",
  "sudo",
]);
const RUN_OBJECTS = new Set(["command", "commands", "script", "scripts", "code", "process", "program"]);
const SEND_VERBS = new Set([
  "send",
  "forward",
  "reply",
  "publish",
  "broadcast",
  "notify",
  "tweet",
  "dm",
  "sms",
]);
// Nouns that mean "send" only when they lead the name as a verb (`email_user`, `post_comment`).
const SEND_LEADING = new Set(["email", "mail", "message", "post", "sms"]);
const DELETE_WORDS = new Set([
  "delete",
  "del",
  "remove",
  "rm",
  "rmdir",
  "unlink",
  "drop",
  "truncate",
  "destroy",
  "purge",
  "wipe",
  "erase",
  "kill",
]);
const DB_NOUNS = new Set([
  "db",
  "database",
  "sql",
  "query",
  "table",
  "tables",
  "row",
  "rows",
  "record",
  "records",
  "collection",
  "postgres",
  "mysql",
  "sqlite",
  "mongo",
  "redis",
]);
const DB_WRITE_VERBS = new Set(["insert", "update", "upsert", "write", "alter", "create", "modify", "set"]);
// A tool whose name leads with one of these reads; nouns such as "message" or "query" then do not make it a write.
const READ_VERBS = new Set([
  "get",
  "list",
  "read",
  "search",
  "find",
  "fetch",
  "describe",
  "show",
  "view",
  "count",
  "lookup",
  "browse",
  "inspect",
  "check",
  "stat",
  "head",
  "tail",
  "cat",
  "query",
  "explain",
  "download",
  "preview",
  "retrieve",
]);

/**
 * Splits a tool name into lowercase whole words: on `_`, `-`, `.`, `/`, spaces, digits boundaries and camelCase
 * (`sendEmail` → send, email; `HTMLParser` → html, parser).
 * @param name a tool name
 * @returns its words, lowercase
 */
export function toolWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

/**
 * Classifies a tool as dangerous or not, from its MCP annotations when present, else from whole words of its
 * name (never substrings). A read-only annotation does not clear a name that says shell or delete: annotations
 * are hints from the server, and a "read-only" `delete_repo` is more likely a lie than a fact.
 *
 * @param name the tool's real name
 * @param annotations its annotations from a recorded `tools/list` or the lock, if any
 * @returns the classification
 */
export function classifyToolName(name: string, annotations?: ToolAnnotations): ToolClass {
  const byName = classifyByName(name);
  const a = annotations && typeof annotations === "object" ? annotations : undefined;
  const hasHints = a !== undefined &&
    (typeof a.readOnlyHint === "boolean" || typeof a.destructiveHint === "boolean");
  if (!hasHints) return byName;
  const strong = byName.categories.filter((c) => c === "shell" || c === "delete" || c === "force-push");
  if (a.readOnlyHint === true) {
    if (strong.length > 0) {
      return { ...byName, categories: strong, why: `${byName.why}, despite readOnlyHint` };
    }
    return { dangerous: false, categories: [], source: "annotations", why: "readOnlyHint" };
  }
  // MCP: destructiveHint defaults to true for a tool that is not read-only.
  if (a.destructiveHint !== false) {
    const categories = [...new Set<DangerCategory>([...byName.categories, "destructive"])].sort();
    return { dangerous: true, categories, source: "annotations", why: "destructiveHint" };
  }
  // Not read-only and not destructive (an additive write): dangerous only when the name says so.
  return byName.dangerous
    ? byName
    : { dangerous: false, categories: [], source: "annotations", why: "destructiveHint: false" };
}

function classifyByName(name: string): ToolClass {
  const words = toolWords(name);
  const set = new Set(words);
  const first = words[0] ?? "";
  const readLed = READ_VERBS.has(first);
  const cats = new Set<DangerCategory>();
  const hits: string[] = [];
  const hit = (c: DangerCategory, w: string) => {
    cats.add(c);
    if (!hits.includes(w)) hits.push(w);
  };
  // `execute_sql`, `run_query`: executing statements against a database is a database write, not a shell.
  const dbNoun = words.find((w) => DB_NOUNS.has(w));
  for (const w of words) {
    if ((w === "exec" || w === "execute" || w === "run") && dbNoun) hit("db-write", `${w} ${dbNoun}`);
    else if (SHELL_WORDS.has(w)) hit("shell", w);
    if (DELETE_WORDS.has(w)) hit("delete", w);
    if (SEND_VERBS.has(w)) hit("send", w);
    if (w === "merge") hit("merge", w);
    if (w === "forcepush") hit("force-push", w);
  }
  if (set.has("force") && set.has("push")) hit("force-push", "force push");
  if (set.has("run") && words.some((w) => RUN_OBJECTS.has(w))) hit("shell", "run command");
  if (SEND_LEADING.has(first)) hit("send", first);
  if (!readLed) {
    const verb = words.find((w) => DB_WRITE_VERBS.has(w));
    const noun = words.find((w) => DB_NOUNS.has(w));
    if (verb && noun) hit("db-write", `${verb} ${noun}`);
  }
  const categories = [...cats].sort();
  return {
    dangerous: categories.length > 0,
    categories,
    source: "name",
    why: categories.length > 0
      ? `name word${hits.length > 1 ? "s" : ""} ${hits.map((h) => `"${h}"`).join(", ")}`
      : "name",
  };
}
