import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { launcherName, splitPackageSpec } from "./parse_server_command.ts";
import { defaultDenoDir } from "./plan_launch.ts";
import type { ProfileEntry } from "./sandbox_profile.ts";

/** File-system facts the runtime derivation needs; tests replace them. */
export interface RuntimeHost {
  /** Real path of an existing path, else undefined. */
  realpath(p: string): string | undefined;
  /** "file", "dir", "link" or undefined when missing (lstat: a link is not followed). */
  kind(p: string): "file" | "dir" | "link" | undefined;
  /** The first bytes of a file as text ("" when unreadable). */
  head(p: string, bytes: number): string;
  /** A JSON file's content, or undefined. */
  json(p: string): unknown;
  /** The names in a folder ([] when unreadable). */
  list(p: string): string[];
  /** A symlink's target as written (undefined when not a link). */
  readlink?(p: string): string | undefined;
}

/** The real file system. */
export const REAL_RUNTIME_HOST: RuntimeHost = {
  realpath: (p) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  },
  kind: (p) => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    return st === undefined ? undefined : st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : "file";
  },
  head: (p, bytes) => {
    try {
      const fd = Deno.openSync(p, { read: true });
      try {
        const buf = new Uint8Array(bytes);
        const n = fd.readSync(buf) ?? 0;
        return new TextDecoder().decode(buf.subarray(0, n));
      } finally {
        fd.close();
      }
    } catch {
      return "";
    }
  },
  json: (p) => {
    try {
      return JSON.parse(readFileSync(p, "utf8"));
    } catch {
      return undefined;
    }
  },
  list: (p) => {
    try {
      return [...Deno.readDirSync(p)].map((e) => e.name);
    } catch {
      return [];
    }
  },
  readlink: (p) => linkTarget(p),
};

/** What a server's own command needs to start inside the OS sandbox. */
export interface RuntimeNeeds {
  /** The command line to exec inside the sandbox (the program made absolute; npx replaced by its bin). */
  argv: string[];
  /** Folders and files to show read-only (the program, its interpreter, its package folder). */
  read: ProfileEntry[];
  /** Set when an npx/bunx entry's package is not in npm's npx cache yet: install it first (`npm exec`). */
  install?: { spec: string; npmCache: string };
  /**
   * A Deno server: `deno cache` for its module first, with Deno's cache writable and the registries
   * reachable (the server itself then reads the cache only). No package code runs in that step.
   */
  prefetch?: { argv: string[]; denoDir: string };
  /** The npm cache folder an npx entry installs into (writable during the install step only). */
  npmCache?: string;
  /**
   * Package caches among `read` (Deno's module cache): downloaded code shared by every program of the user,
   * shown read-only whole. They hold no files of the user's own, so the start-up walk for files to mask
   * does not enter them (a shared cache easily outgrows the walk's budget, which would hide its package
   * folders and stop the server loading its own dependencies).
   */
  caches?: string[];
  /** Things the user should know. */
  notes: string[];
  /** True when the command cannot run in the OS sandbox at all (Docker needs its daemon's socket). */
  uncontainable?: string;
}

/** Folders under the home that hold language runtimes and tool installs (read-only, never secrets). */
const TOOL_ROOTS = [
  ".pyenv",
  ".nvm",
  ".volta",
  ".asdf",
  ".rbenv",
  ".cargo",
  ".rustup",
  ".deno",
  ".bun",
  ".fnm",
  ".sdkman",
  ".local/share/uv",
  ".local/share/mise",
  ".local/share/pnpm",
  ".local/share/fnm",
  ".local/pipx",
  ".cache/uv",
  "go",
];
const SYSTEM_ROOTS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/nix/store"];
const INTERPRETERS = new Set(["node", "nodejs", "python", "python3", "deno", "bun", "tsx", "ruby", "perl"]);

/**
 * Works out what a server's unchanged command needs to be visible to start: the program found on `PATH`
 * (its real path), the interpreter of a `#!` script, the package or virtualenv folder of the script it runs,
 * and for npx/bunx entries the package's folder in npm's npx cache (the command becomes that package's bin,
 * so npm itself and the registry are needed only to install it, never by the server).
 *
 * @param argv the server's command line as configured
 * @param opts the server's cwd, the home, the environment (PATH, npm_config_cache) and the host
 * @returns the argv to exec and the read-only paths it needs
 */
export function runtimeNeeds(
  argv: string[],
  opts: {
    cwd: string;
    home: string;
    env: Record<string, string>;
    host?: RuntimeHost;
    /** Package versions pinned in `mcp.lock` (`@scope/pkg` → `1.2.3`): they win over the npx spec's. */
    lockVersions?: Record<string, string>;
  },
): RuntimeNeeds {
  const host = opts.host ?? REAL_RUNTIME_HOST;
  const read: ProfileEntry[] = [];
  const notes: string[] = [];
  const add = (p: string, why: string) => {
    const value = toolRoot(p, opts.home) ?? p;
    if (SYSTEM_ROOTS.some((r) => value === r || value.startsWith(`${r}/`))) return;
    if (!read.some((e) => value === e.value || value.startsWith(`${e.value}/`))) {
      read.push({ value, ruleId: "sandbox/runtime", why });
    }
  };
  const PATH = opts.env.PATH ?? "/usr/local/bin:/usr/bin:/bin";
  const which = (cmd: string): string | undefined => {
    if (cmd.includes("/")) {
      const abs = resolve(opts.cwd, cmd);
      return host.kind(abs) ? abs : undefined;
    }
    for (const dir of PATH.split(":")) {
      if (dir === "") continue;
      const p = join(isAbsolute(dir) ? dir : resolve(opts.cwd, dir), cmd);
      const k = host.kind(p);
      if (k === "file" || k === "link") return p;
    }
    return undefined;
  };
  // A program, its symlink chain, and (for scripts) its interpreter, up to a few levels.
  const program = (p: string, why: string, depth = 0): void => {
    if (depth > 4) return;
    add(dirname(p), why);
    // Every hop of a link chain must be visible, not just both ends: the kernel follows each one.
    for (let hop = p, i = 0; host.kind(hop) === "link" && i < 40; i++) {
      const t = host.readlink?.(hop);
      if (t === undefined) break;
      hop = resolve(dirname(hop), t);
      add(dirname(hop), `${why} (a link on the way to it)`);
    }
    const real = host.realpath(p);
    if (real && real !== p) add(dirname(real), `${why} (its real location)`);
    const venv = venvOf(p, host);
    if (venv) add(venv, `${why}: its virtual environment`);
    const head = host.head(real ?? p, 256);
    const shebang = /^#!\s*(\S+)(?:[ \t]+(\S+))?/.exec(head);
    if (!shebang) return;
    const interp = launcherName(shebang[1]!) === "env" && shebang[2] ? which(shebang[2]) : shebang[1]!;
    if (interp) program(interp, `the interpreter of ${p}`, depth + 1);
  };
  // A script an interpreter runs: its package (node_modules) or project folder.
  const script = (file: string) => {
    const abs = host.realpath(resolve(opts.cwd, file)) ?? resolve(opts.cwd, file);
    const root = packageRootOf(abs, host) ?? dirname(abs);
    // A script kept in the home itself (or in /) would show the whole home: only the file then.
    const wide = root === "/" || `${opts.home}/`.startsWith(`${root}/`);
    add(wide ? abs : root, `the script ${file}${wide ? "" : " and its dependencies"}`);
  };

  const name = launcherName(argv[0] ?? "");
  if (name === "docker" || name === "podman") {
    return {
      argv,
      read,
      notes,
      uncontainable:
        `"${name}" runs the server in a container through its daemon, which the OS sandbox cannot reach`,
    };
  }
  if (name === "npx" || name === "bunx") {
    const npx = npxEntry(argv, opts, host);
    if (npx.error) return { argv, read, notes: [...notes, npx.error], uncontainable: npx.error };
    notes.push(`Runs ${npx.spec} from npm's npx cache${npx.dir ? ` (${npx.dir})` : " (installed first)"}`);
    const node = which("node");
    if (node) program(node, "the node runtime");
    const out: RuntimeNeeds = { argv: [npx.binPath ?? "", ...npx.args], read, notes, npmCache: npx.cache };
    if (npx.dir) add(npx.dir, `npx's install of ${npx.spec}`);
    else out.install = { spec: npx.spec!, npmCache: npx.cache! };
    if (npx.binPath) program(npx.binPath, `the bin of ${npx.spec}`);
    return out;
  }
  const resolved = which(argv[0] ?? "");
  if (!resolved) {
    notes.push(`"${argv[0]}" is not on the server's PATH; it is started as written`);
    return { argv, read, notes };
  }
  program(resolved, `the program ${argv[0]}`);
  if (INTERPRETERS.has(name)) {
    const file = firstOperand(argv.slice(1), name);
    if (file === "-m" || file === undefined) {
      // `python -m pkg` imports from its folder too; never the whole home or / for that.
      const wide = opts.cwd === "/" || `${opts.home}/`.startsWith(`${opts.cwd.replace(/\/$/, "")}/`);
      if (wide) {
        notes.push(
          `${name} runs a module from "${opts.cwd}", which is not shown whole: grant it in sandbox.read`,
        );
      } else add(opts.cwd, `${name} runs a module from its folder`);
    } else if (!/^(?:npm|jsr|https?):/.test(file)) script(file);
    if (name === "deno") {
      const dd = opts.env.DENO_DIR ?? defaultDenoDir(opts.home, opts.env, Deno.build.os);
      // A cache that holds the home (DENO_DIR=~ or /) is never shown whole.
      const holdsHome = dd === "/" || `${opts.home}/`.startsWith(`${dd.replace(/\/$/, "")}/`);
      if (holdsHome) {
        notes.push(`Deno's cache "${dd}" holds the home, so it is not shown: grant it in sandbox.read`);
      } else add(dd, "deno's module cache");
      const caches = holdsHome ? [] : [dd];
      // Nor is it made writable for `deno cache`.
      const prefetch = holdsHome ? undefined : denoCacheArgv(resolved, argv.slice(1), file);
      if (prefetch) {
        return {
          argv: [resolved, ...argv.slice(1)],
          read,
          notes,
          caches,
          prefetch: { argv: prefetch, denoDir: dd },
        };
      }
      return { argv: [resolved, ...argv.slice(1)], read, notes, caches };
    }
  }
  return { argv: [resolved, ...argv.slice(1)], read, notes };
}

/** The tool install folder holding a path (`…/.pyenv`, `…/.nvm`), wherever the home it sits in is. */
function toolRoot(p: string, _home: string): string | undefined {
  for (const r of TOOL_ROOTS) {
    const i = `${p}/`.indexOf(`/${r}/`);
    if (i >= 0) return p.slice(0, i + r.length + 1);
  }
  return undefined;
}

function venvOf(p: string, host: RuntimeHost): string | undefined {
  const dir = dirname(dirname(p));
  return host.kind(`${dir}/pyvenv.cfg`) === "file" ? dir : undefined;
}

/** The outermost `node_modules` folder holding a file, or the nearest folder with a package.json. */
function packageRootOf(file: string, host: RuntimeHost): string | undefined {
  const i = file.indexOf("/node_modules/");
  if (i >= 0) return file.slice(0, i + "/node_modules".length);
  for (let d = dirname(file); d !== "/" && d !== "."; d = dirname(d)) {
    if (host.kind(`${d}/package.json`) === "file" || host.kind(`${d}/pyproject.toml`) === "file") return d;
  }
  return undefined;
}

/** Deno flags `deno cache` does not take (permissions and run-time behaviour). */
const DENO_RUN_ONLY_REGEXP =
  /^(?:-A|--allow-[a-z-]+|--deny-[a-z-]+|--ignore-[a-z-]+|-[RWNESP](?:=.*)?|--no-prompt|--watch|--inspect[a-z-]*|--v8-flags|--seed|--location|--env(?:-file)?)(?:=.*)?$/;

/**
 * `deno run [flags] <module> [args]` → `deno cache [flags] <module>`: the same module graph, fetched
 * without running it. Undefined when the command is not a `deno run` of a module.
 */
function denoCacheArgv(deno: string, args: string[], module: string | undefined): string[] | undefined {
  if (args[0] !== "run" || module === undefined || module === "-m") return undefined;
  const at = args.indexOf(module, 1);
  if (at < 0) return undefined;
  const flags = args.slice(1, at).filter((a) => !DENO_RUN_ONLY_REGEXP.test(a));
  return [deno, "cache", ...flags, module];
}

const NODE_VALUE_FLAGS = new Set([
  "-r",
  "--require",
  "--import",
  "--loader",
  "-e",
  "--eval",
  "-p",
  "--print",
]);

function firstOperand(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (name.startsWith("python") && a === "-m") return "-m";
    if (name === "deno" && (a === "run" || a === "serve" || a === "cache")) continue;
    if (NODE_VALUE_FLAGS.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith("-")) continue;
    return a;
  }
  return undefined;
}

interface NpxEntry {
  spec?: string;
  args: string[];
  cache?: string;
  dir?: string;
  binPath?: string;
  error?: string;
}

/**
 * Reads an npx/bunx/npm exec entry and finds the package in npm's npx cache (`_npx/<hash>` folders record
 * the specs they were installed for in their package.json), then the bin npx would run.
 */
function npxEntry(
  argv: string[],
  opts: { home: string; env: Record<string, string>; lockVersions?: Record<string, string> },
  host: RuntimeHost,
): NpxEntry {
  const rest = argv.slice(1);
  let spec: string | undefined;
  let bin: string | undefined;
  let i = 0;
  for (; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (a === "-p" || a === "--package") {
      spec = rest[++i];
      continue;
    }
    if (a.startsWith("--package=")) {
      spec = a.slice(10);
      continue;
    }
    if (a.startsWith("-")) continue; // -y, --yes, --quiet...
    break;
  }
  const positional = rest[i];
  if (spec === undefined) {
    spec = positional;
    i++;
  } else {
    bin = positional;
    i++;
  }
  if (!spec) return { args: [], error: "the npx entry names no package" };
  const cache = opts.env.npm_config_cache ?? opts.env.NPM_CONFIG_CACHE ?? `${opts.home}/.npm`;
  const { name } = splitPackageSpec(spec);
  // A rug pull needs a new version: the one pinned in mcp.lock is the one that runs.
  const locked = opts.lockVersions?.[name];
  if (locked !== undefined) spec = `${name}@${locked}`;
  const args = rest.slice(i);
  // npm names each install folder after a hash of the spec it was made for: a folder whose name does not
  // match is not npx's own (something planted it claiming the spec), and is never used.
  const hashes = npxHashes(spec, name);
  for (const h of host.list(`${cache}/_npx`)) {
    if (!hashes.includes(h)) continue;
    const dir = `${cache}/_npx/${h}`;
    const pj = host.json(`${dir}/package.json`) as { _npx?: { packages?: string[] } } | undefined;
    const pkgs = pj?._npx?.packages;
    if (!Array.isArray(pkgs) || pkgs.length !== 1 || pkgs[0] !== spec) continue;
    const binPath = binOf(dir, name, bin, host);
    if (binPath) return { spec, args, cache, dir, binPath };
  }
  return { spec, args, cache };
}

/**
 * The `_npx/<hash>` folder names npm uses for a spec: the first 16 hex digits of the SHA-512 of
 * `name@rawSpec` (checked against npm 11's cache). A spec without a version may be written with "*",
 * "latest" or nothing.
 * @param spec the spec as written (`@scope/pkg@1.2.3`)
 * @param name the package name
 * @returns the candidate folder names
 */
export function npxHashes(spec: string, name: string): string[] {
  const forms = spec === name ? [`${name}@*`, `${name}@`, `${name}@latest`, name] : [spec];
  return forms.map((f) => createHash("sha512").update(f).digest("hex").slice(0, 16));
}

function binOf(dir: string, pkg: string, bin: string | undefined, host: RuntimeHost): string | undefined {
  const pj = host.json(`${dir}/node_modules/${pkg}/package.json`) as
    | { bin?: string | Record<string, string>; name?: string }
    | undefined;
  if (!pj) return undefined;
  let name = bin;
  if (name === undefined) {
    if (typeof pj.bin === "string") name = pkg.replace(/^@[^/]+\//, "");
    else if (pj.bin && typeof pj.bin === "object") {
      const names = Object.keys(pj.bin);
      name = names.length === 1 ? names[0] : names.find((n) => n === pkg.replace(/^@[^/]+\//, ""));
    }
  }
  if (name === undefined) return undefined;
  const p = `${dir}/node_modules/.bin/${name}`;
  return host.kind(p) ? p : undefined;
}

/**
 * Finds an executable on a PATH (for bwrap, socat and the like).
 * @param cmd the program's name
 * @param path the PATH to search
 * @returns its absolute path, or undefined
 */
export function findOnPath(cmd: string, path: string): string | undefined {
  for (const dir of path.split(":")) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      if (existsSync(p) && statSync(p).isFile()) return p;
    } catch {
      // unreadable folder
    }
  }
  return undefined;
}

/** Reads a symlink's target (for `/bin` → `usr/bin` on merged-usr systems); undefined when not a link. */
export function linkTarget(p: string): string | undefined {
  try {
    return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : undefined;
  } catch {
    return undefined;
  }
}
