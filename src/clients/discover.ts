import { basename, extname, join, relative, resolve } from "node:path";
import { AgentPermsError } from "../errors.ts";
import type { Io } from "../cli/io.ts";
import { GENERIC } from "./generic.ts";
import { parseConfig } from "./parse_config.ts";
import { CLIENTS } from "./registry.ts";
import type { ClientSpec, ConfigFormat, ConfigScope, DiscoveredConfig, PathContext } from "./types.ts";

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
}

/**
 * Looks up a client by id.
 * @param id a client id such as "cursor"
 * @returns its spec
 * @throws {AgentPermsError} usage when the id is unknown
 */
export function clientSpec(id: string): ClientSpec {
  const spec = CLIENTS.find((c) => c.id === id);
  if (!spec) {
    throw new AgentPermsError("usage", `Unknown client "${id}"`, {
      hint: `Use one of: all, ${CLIENTS.map((c) => c.id).join(", ")}`,
    });
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

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

async function readConfig(
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
  const { io } = opts;
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
      push(await readConfig(abs, spec, "explicit", true));
      return out;
    }
    for (const file of walk(abs, 0)) {
      const rel = relative(abs, file);
      const spec = isKnownName(rel, specs.filter((s) => s.id !== "generic")) ??
        (only ? undefined : isKnownName(rel, [GENERIC]));
      if (spec) push(await readConfig(file, spec, "explicit", false));
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
      if (await isFile(cand.file)) {
        push(await readConfig(cand.file, spec, cand.scope, /mcp/i.test(basename(cand.file))));
      }
    }
    for (const pattern of spec.projectFiles) {
      for (const file of projectCandidates(ctx.cwd, pattern)) {
        if (await isFile(file)) push(await readConfig(file, spec, "project", /mcp/i.test(basename(file))));
      }
    }
  }
  return out;
}
