import { dirname, resolve } from "node:path";
import type { DiscoveredConfig, ServerEntry } from "../clients/mod.ts";
import { AgentPermsError } from "../errors.ts";
import type { ServerLaunch, ServerListing } from "../lock/mod.ts";
import type { Redactor } from "../redact/mod.ts";
import { RULES } from "./rules.ts";
import type { Finding, Severity } from "./types.ts";
import { classifyTool as classifyDanger, type DangerCategory, toolWords } from "../infer/mod.ts";

/** A tool as listed by a server (only the fields scan reads). */
export interface ListedTool {
  /** Tool name. */
  name: string;
  /** Optional display title. */
  title?: string;
  /** Description shown to the model. */
  description?: string;
  /** JSON Schema of its input. */
  inputSchema?: unknown;
  /** MCP tool annotations. */
  annotations?: {
    readOnlyHint?: boolean;
    destructiveHint?: boolean;
    openWorldHint?: boolean;
    title?: string;
  };
}

const HIDDEN_UNICODE_REGEXP =
  /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]/u;
const TAG_BLOCK_REGEXP = /<\s*\/?\s*(important|system|instructions?|secret|hidden|admin|assistant)\b[^>]*>/i;
const OVERRIDE_REGEXP =
  /\b(ignore|disregard|forget)\b[^.\n]{0,30}\b(previous|prior|above|earlier|all)\b[^.\n]{0,20}\b(instructions?|prompts?|rules)\b|\bdo not (tell|mention|inform|reveal|show)\b[^.\n]{0,40}\buser\b|\b(before|first)\b[^.\n]{0,40}\b(using|calling) (this|any) tool\b/i;
const EXFIL_REGEXP =
  /\b(read|open|cat|load|include|send|pass|provide|attach|upload|copy)\b[^.\n]{0,80}(~\/\.ssh|\bid_(rsa|ed25519)\b|\.env\b|mcp\.json|\bcredentials?\b|\.aws\b|private key|api[ _-]?keys?|passwords?|secrets?|\btokens?\b|\/etc\/passwd)/i;
const WHITESPACE_RUN_REGEXP = /[ \t\u00A0]{40,}|(?:\r?\n[ \t]*){8,}/;

// Danger is judged by the one classifier infer uses too (annotations first, whole words of the name); scan names
// the categories the way its findings always have, and adds file writes as a medium finding of its own.
const CATEGORY_NAMES: Record<DangerCategory, string> = {
  shell: "shell",
  send: "send",
  delete: "destructive",
  "force-push": "vcs-destructive",
  merge: "vcs-destructive",
  "db-write": "db-write",
  destructive: "destructive",
};
const FS_WRITE_WORDS = new Set([
  "write",
  "delete",
  "remove",
  "rm",
  "move",
  "rename",
  "mkdir",
  "edit",
  "overwrite",
  "unlink",
  "chmod",
  "chown",
]);

/**
 * Classifies a tool: annotations first (readOnlyHint clears it, destructiveHint flags it), else whole words of
 * its name, never substrings (`list_filesystem` is not a shell tool). Dangerous tools are HIGH; tools that only
 * write files are MEDIUM.
 * @param tool the listed tool
 * @returns the category and severity, or undefined for a harmless tool
 */
export function classifyTool(
  tool: ListedTool,
): { category: string; severity: Severity; why: string } | undefined {
  const a = tool.annotations;
  const c = classifyDanger(tool.name, a);
  if (c.dangerous) {
    const named = c.categories.find((x) => x !== "destructive") ?? c.categories[0] ?? "destructive";
    const repoDelete = named === "delete" &&
      toolWords(tool.name).some((w) => w === "repo" || w === "repository" || w === "branch");
    return {
      category: repoDelete ? "vcs-destructive" : CATEGORY_NAMES[named],
      severity: "high",
      why: c.source === "annotations" && c.why === "destructiveHint"
        ? "annotated destructive"
        : "by its name",
    };
  }
  if (a?.readOnlyHint === true) return undefined;
  return toolWords(tool.name).some((w) => FS_WRITE_WORDS.has(w))
    ? { category: "fs-write", severity: "medium", why: "by its name" }
    : undefined;
}

function textsOf(tool: ListedTool): { where: string; text: string }[] {
  const out = [{ where: "description", text: tool.description ?? "" }, {
    where: "title",
    text: tool.title ?? "",
  }];
  const walk = (v: unknown, path: string, depth: number) => {
    if (depth > 6 || v === null || typeof v !== "object") return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if ((k === "description" || k === "title") && typeof x === "string") {
        out.push({ where: `${path}.${k}`, text: x });
      } else walk(x, `${path}.${k}`, depth + 1);
    }
  };
  walk(tool.inputSchema, "inputSchema", 0);
  return out;
}

/**
 * Lists the signs of tool poisoning in a text.
 * @param text a description, title or instructions
 * @returns short names of the signs found (empty when clean)
 */
export function poisoningSigns(text: string): string[] {
  const signs: string[] = [];
  if (HIDDEN_UNICODE_REGEXP.test(text)) signs.push("hidden or zero-width Unicode");
  if (TAG_BLOCK_REGEXP.test(text)) signs.push("an <IMPORTANT>-style block");
  if (OVERRIDE_REGEXP.test(text)) signs.push("instructions aimed at the model");
  if (EXFIL_REGEXP.test(text)) signs.push("asks for files or secrets");
  if (WHITESPACE_RUN_REGEXP.test(text)) signs.push("a long run of whitespace");
  return signs;
}

/**
 * Findings for one server's listing: dangerous tools and poisoning signs in descriptions and instructions.
 * @param c the config
 * @param s the entry
 * @param listing what the server listed
 * @returns findings
 */
export function scanListing(
  c: DiscoveredConfig,
  s: ServerEntry,
  listing: Pick<ServerListing, "tools" | "instructions">,
): Finding[] {
  const out: Finding[] = [];
  const base = { server: s.name, client: c.client, file: c.file };
  if (listing.instructions) {
    const signs = poisoningSigns(listing.instructions);
    if (signs.length) {
      out.push({
        ...base,
        ruleId: RULES.toolPoisoning.id,
        severity: "high",
        hint: RULES.toolPoisoning.hint,
        message: `"${s.name}" server instructions contain ${signs.join(", ")}`,
      });
    }
  }
  for (const t of listing.tools as ListedTool[]) {
    const cls = classifyTool(t);
    if (cls) {
      out.push({
        ...base,
        tool: t.name,
        ruleId: RULES.dangerousTool.id,
        severity: cls.severity,
        hint: RULES.dangerousTool.hint,
        message: `"${s.name}" tool "${t.name}" is ${cls.category} (${cls.why})`,
      });
    }
    const signs = new Set<string>();
    const where = new Set<string>();
    for (const { where: w, text } of textsOf(t)) {
      const found = poisoningSigns(text);
      if (found.length) where.add(w);
      for (const f of found) signs.add(f);
    }
    if (signs.size > 0) {
      out.push({
        ...base,
        tool: t.name,
        ruleId: RULES.toolPoisoning.id,
        severity: "high",
        hint: RULES.toolPoisoning.hint,
        message: `"${s.name}" tool "${t.name}" ${[...where].join(", ")} contains ${[...signs].join(", ")}`,
      });
    }
  }
  return out;
}

/** Options for `scanTools`. */
export interface ScanToolsOptions {
  /** Per-server budget. */
  timeoutMs: number;
  /** Lists one server (the lock module's `listServer`, injectable for tests). */
  list: (launch: ServerLaunch, opts: { timeoutMs: number }) => Promise<ServerListing>;
  /** Redacts error text before it becomes a finding. */
  redactor: Redactor;
  /** Servers started at once (default 4). */
  concurrency?: number;
  /** Our environment, for `${env:X}` / `${X}` / `$X` references in entry env values at launch (never printed). */
  env?: Record<string, string>;
}

/**
 * Resolves environment references in one entry env value the way clients do before starting a server.
 * `${input:…}` and other client-only variables stay as written.
 * @param value an env value from a config
 * @param env our environment
 * @returns the value to launch with
 */
export function expandEnvRefs(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, a?: string, b?: string, def?: string, c?: string) => {
      const name = a ?? b ?? c!;
      return env[name] ?? def ?? (a || b || c ? "" : m);
    },
  );
}

/**
 * Starts every enabled stdio server (its own env and cwd, the original command when wrapped), lists all tool
 * pages and checks them. A server that fails or times out becomes a `server-failed` finding.
 * @param configs discovered configs
 * @param opts timeout, lister and redactor
 * @returns findings and how many servers were started
 */
export async function scanTools(
  configs: readonly DiscoveredConfig[],
  opts: ScanToolsOptions,
): Promise<{ findings: Finding[]; started: number }> {
  const jobs: (() => Promise<Finding[]>)[] = [];
  for (const c of configs) {
    for (const s of c.servers) {
      if (s.transport !== "stdio" || s.command === undefined || s.disabled) continue;
      const orig = s.wrapped?.original ?? { command: s.command, args: s.args };
      const launch: ServerLaunch = {
        command: orig.command,
        args: orig.args,
        env: opts.env
          ? Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, expandEnvRefs(v, opts.env!)]))
          : s.env,
        cwd: s.cwd ? resolve(dirname(c.file), s.cwd) : dirname(c.file),
      };
      jobs.push(() =>
        Promise.resolve().then(() => opts.list(launch, { timeoutMs: opts.timeoutMs })).then(
          (listing) => scanListing(c, s, listing),
          (e) => {
            const msg = e instanceof AgentPermsError || e instanceof Error ? e.message : String(e);
            const safe = opts.redactor.redactText(msg.split("\n")[0] ?? "").text;
            return [{
              ruleId: RULES.serverFailed.id,
              severity: RULES.serverFailed.severity,
              hint: RULES.serverFailed.hint,
              server: s.name,
              client: c.client,
              file: c.file,
              message: `"${s.name}" could not be listed: ${safe}`,
            }];
          },
        )
      );
    }
  }
  // A few at a time: every server is a process (often a package download) and they all compete for CPU.
  const results: Finding[][] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, jobs.length) }, worker));
  return { findings: results.flat(), started: jobs.length };
}
