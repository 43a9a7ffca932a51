import { basename, extname, join, relative, resolve } from "node:path";
import { AgentPermsError } from "../errors.ts";
import type { Io } from "../cli/io.ts";
import { GENERIC } from "./generic.ts";
import { parseConfig } from "./parse_config.ts";
import { CLIENTS } from "./registry.ts";
import type {
  ClientId,
  ClientSpec,
  ConfigFormat,
  ConfigScope,
  DiscoveredConfig,
  PathContext,
} from "./types.ts";
import { editDistance } from "../edit_distance.ts";

/** Directories never searched under `--path DIR`: dependencies and VCS data are not the user's config. */
const SKIP_DIRS = new Set([
  "node_modules",
  ".git",
  ".hg",
  ".svn",
  "dist",
  "target",
  ".venv",
  "venv",
  "__pycache__",
]);
const MAX_DEPTH = 8;

/** Options for `discover`. */
export interface DiscoverOptions {
  /** Home, OS, cwd and env come from here, so tests can use a fake home. */
  io: Io;
  /** A client id, or "all" / undefined for every client. */
  client?: string;
  /** A config file or a directory to search instead of the clients' usual places. */
  path?: string;
  /** When given, every place looked at is appended here with what was found (`agentperms clients --all`). */
  looked?: LookedAt[];
}

/** One place `discover` looked at, and why it was used or skipped. */
export interface LookedAt {
  /** The client whose file this would be. */
  client: ClientId;
  /** Absolute path. */
  file: string;
  /** Its scope. */
  scope: ConfigScope;
  /**
   * `found`: read, with `servers` entries; `not-found`: no such file; `not-a-file`: a folder or special file;
   * `no-servers`: read, but it has no MCP server key (a settings file of the client); `unreadable`: it
   * exists but cannot be read; `invalid`: it cannot be parsed; `duplicate`: already read for another client.
   */
  status: "found" | "not-found" | "not-a-file" | "no-servers" | "unreadable" | "invalid" | "duplicate";
  /** Server entries read (status `found`). */
  servers?: number;
  /** The reason, for `unreadable` and `invalid`. */
  detail?: string;
}

/**
 * Names the original agentperms (0.1.x) used for clients, with the id that replaced each: `--client claude`
 * in its README and in users' scripts meant Claude Desktop.
 */
export const CLIENT_ALIASES: Readonly<Record<string, ClientId>> = { claude: "claude-desktop" };

/**
 * The client ids closest to a mistyped one (edit distance), best first.
 * @param name what the user typed
 * @param ids the known ids
 * @returns up to three ids within a small distance (none when nothing is close)
 */
export function closestClientIds(name: string, ids: readonly string[]): string[] {
  const n = name.toLowerCase();
  const scored = ids.map((id) => ({
    id,
    d: id.startsWith(n) || n.startsWith(id) ? Math.min(1, editDistance(n, id)) : editDistance(n, id),
  }));
  const limit = Math.max(2, Math.floor(n.length / 3));
  return scored.filter((s) => s.d <= limit).sort((a, b) => a.d - b.d || a.id.localeCompare(b.id)).slice(0, 3)
    .map((s) => s.id);
}

/**
 * Looks up a client by id (or by an old name from {@link CLIENT_ALIASES}).
 * @param id a client id such as "cursor"
 * @returns its spec
 * @throws {AgentPermsError} usage when the id is unknown, naming the closest ids
 */
export function clientSpec(id: string): ClientSpec {
  const wanted = CLIENT_ALIASES[id] ?? id;
  const spec = CLIENTS.find((c) => c.id === wanted);
  if (!spec) {
    const ids = CLIENTS.map((c) => c.id);
    const close = closestClientIds(id, ids);
    throw new AgentPermsError(
      "usage",
      `Unknown client "${id}"${
        close.length > 0 ? `: did you mean ${close.map((c) => `"${c}"`).join(" or ")}?` : ""
      }`,
      { hint: `Use one of: all, ${ids.join(", ")}` },
    );
  }
  return spec;
}

function formatFor(file: string, spec: ClientSpec): ConfigFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".toml") return "toml";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  return spec.format === "toml" || spec.format === "yaml" ? "jsonc" : spec.format;
}

/**
 * Finds the client a file belongs to from its path (`.cursor/mcp.json` → cursor).
 * @param file a path
 * @returns the most specific client whose file names match, or undefined
 */
export function clientForFile(file: string): ClientSpec | undefined {
  const p = file.replaceAll("\\", "/");
  for (const spec of CLIENTS) {
    for (const m of spec.matches) {
      if (m.endsWith("/") ? p.includes(`/${m}`) || p.startsWith(m) : p === m || p.endsWith(`/${m}`)) {
        return spec;
      }
    }
  }
  return undefined;
}

async function fileKind(path: string): Promise<"file" | "other" | "missing" | "unreadable"> {
  try {
    return (await Deno.stat(path)).isFile ? "file" : "other";
  } catch (e) {
    return e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory
      ? "missing"
      : "unreadable";
  }
}

async function readConfig(
  file: string,
  spec: ClientSpec,
  scope: ConfigScope,
  keepEmpty: boolean,
  looked?: LookedAt[],
): Promise<DiscoveredConfig | undefined> {
  const c = await readConfigFile(file, spec, scope, keepEmpty);
  if (looked) {
    const base = { client: spec.id, file, scope };
    if (c === undefined) looked.push({ ...base, status: "no-servers" });
    else if (c.servers.length === 0 && c.errors.length > 0) {
      const unreadable = c.errors[0]!.startsWith("Cannot read:");
      looked.push({ ...base, status: unreadable ? "unreadable" : "invalid", detail: c.errors[0] });
    } else looked.push({ ...base, status: "found", servers: c.servers.length });
  }
  return c;
}

async function readConfigFile(
  file: string,
  spec: ClientSpec,
  scope: ConfigScope,
  keepEmpty: boolean,
): Promise<DiscoveredConfig | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    return {
      client: spec.id,
      file,
      scope,
      format: formatFor(file, spec),
      servers: [],
      errors: [`Cannot read: ${(e as Error).message}`],
    };
  }
  const format = formatFor(file, spec);
  const parsed = parseConfig(text, { format, locators: spec.locators });
  if (!keepEmpty && !parsed.hasServerKey && parsed.errors.length === 0) return undefined;
  return { client: spec.id, file, scope, format, servers: parsed.servers, errors: parsed.errors };
}

function projectCandidates(dir: string, pattern: string): string[] {
  const m = /^(.*)\/\*\.(yaml|json)$/.exec(pattern);
  if (!m) return [join(dir, pattern)];
  const sub = join(dir, m[1]!);
  const ext = m[2] === "yaml" ? /\.ya?ml$/i : /\.json$/i;
  try {
    return [...Deno.readDirSync(sub)]
      .filter((e) => e.isFile && ext.test(e.name))
      .map((e) => join(sub, e.name))
      .sort();
  } catch {
    return [];
  }
}

function* walk(dir: string, depth: number): Generator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isFile) yield p;
    else if (e.isDirectory && depth < MAX_DEPTH && !SKIP_DIRS.has(e.name)) yield* walk(p, depth + 1);
  }
}

function isKnownName(rel: string, specs: readonly ClientSpec[]): ClientSpec | undefined {
  const p = rel.replaceAll("\\", "/");
  for (const spec of specs) {
    const names = [...spec.matches, ...spec.projectFiles];
    for (const m of names) {
      const glob = /^(.*\/)\*\.(yaml|json)$/.exec(m);
      if (glob) {
        const d = glob[1]!;
        const ext = glob[2] === "yaml" ? /\.ya?ml$/i : /\.json$/i;
        if ((p.startsWith(d) || p.includes(`/${d}`)) && ext.test(p)) return spec;
      } else if (m.endsWith("/")) {
        if (p.startsWith(m) || p.includes(`/${m}`)) return spec;
      } else if (p === m || p.endsWith(`/${m}`) || basename(p) === m) return spec;
    }
  }
  return undefined;
}

/**
 * Finds MCP client config files and reads their server entries. Nothing is started or expanded.
 *
 * Without `path`, every client's user, managed and workspace (cwd) files are read. With a file `path`, that
 * file is read (its client guessed from its name, else "generic"). With a directory, only known config file
 * names are read, never anything under `node_modules`.
 *
 * @param opts io, client filter and path
 * @returns the configs found, in a stable order
 * @throws {AgentPermsError} usage for an unknown client or a missing `path`
 */
export async function discover(opts: DiscoverOptions): Promise<DiscoveredConfig[]> {
  const { io, looked } = opts;
  const alias = opts.client !== undefined ? CLIENT_ALIASES[opts.client] : undefined;
  if (alias) {
    io.stderr(
      `note: "${opts.client}" is the original agentperms name for ${
        clientSpec(alias).label
      }: using "${alias}"` +
        ` (Claude Code is "claude-code")\n`,
    );
  }
  const only = opts.client && opts.client !== "all" ? clientSpec(opts.client) : undefined;
  const specs = only ? [only] : CLIENTS;
  const out: DiscoveredConfig[] = [];
  const seen = new Set<string>();
  const push = (c: DiscoveredConfig | undefined) => {
    if (c && !seen.has(c.file)) {
      seen.add(c.file);
      out.push(c);
    }
  };
  // Reads one candidate unless it was read already (a file two clients share, such as a workspace
  // .vscode/mcp.json seen from two patterns), noting in `looked` what was found.
  const visit = async (file: string, spec: ClientSpec, scope: ConfigScope, keepEmpty: boolean) => {
    const base = { client: spec.id, file, scope };
    if (seen.has(file)) {
      looked?.push({ ...base, status: "duplicate" });
      return;
    }
    const kind = await fileKind(file);
    if (kind === "file") push(await readConfig(file, spec, scope, keepEmpty, looked));
    else if (kind === "missing") looked?.push({ ...base, status: "not-found" });
    else if (kind === "other") looked?.push({ ...base, status: "not-a-file" });
    else looked?.push({ ...base, status: "unreadable", detail: "Cannot stat the file" });
  };
  if (opts.path !== undefined) {
    const abs = resolve(io.cwd(), opts.path);
    let stat: Deno.FileInfo;
    try {
      stat = await Deno.stat(abs);
    } catch {
      throw new AgentPermsError("usage", `Cannot find "${opts.path}"`, {
        hint: "Give an MCP config file or a directory that holds one",
      });
    }
    if (stat.isFile) {
      const spec = only ?? clientForFile(abs) ?? GENERIC;
      push(await readConfig(abs, spec, "explicit", true, looked));
      return out;
    }
    for (const file of walk(abs, 0)) {
      const rel = relative(abs, file);
      const spec = isKnownName(rel, specs.filter((s) => s.id !== "generic")) ??
        (only ? undefined : isKnownName(rel, [GENERIC]));
      if (spec) await visit(file, spec, "explicit", false);
    }
    return out;
  }
  const home = io.env("HOME") ?? io.env("USERPROFILE") ?? "/";
  const ctx: PathContext = {
    home: home.replaceAll("\\", "/"),
    os: io.os,
    cwd: io.cwd(),
    env: (n) => io.env(n),
  };
  for (const spec of specs) {
    if (spec.id === "generic") continue;
    for (const cand of spec.userFiles(ctx)) {
      await visit(cand.file, spec, cand.scope, /mcp/i.test(basename(cand.file)));
    }
    for (const pattern of spec.projectFiles) {
      for (const file of projectCandidates(ctx.cwd, pattern)) {
        await visit(file, spec, "project", /mcp/i.test(basename(file)));
      }
    }
  }
  return out;
}
