import { isAbsolute, resolve } from "node:path";

/** How a server's command line was understood. */
export interface ServerEntry {
  /** `npm` (a package run by npx/bunx/pnpm dlx), `script` (node/tsx/deno file), `deno-spec` (deno run npm:/jsr:), `other`. */
  kind: "npm" | "script" | "deno-spec" | "other";
  /** The launcher as written (`npx`, `node`, `uvx`...), basename only. */
  launcher: string;
  /** For `npm`: package name without version (`@scope/name`). */
  pkg?: string;
  /** For `npm`: the version or range from the spec, if any. */
  version?: string;
  /** For `npm`: the bin to run when it was named apart from the package (`npx -p pkg bin`). */
  bin?: string;
  /** For `script` / `deno-spec`: the module to run (absolute file path or specifier). */
  module?: string;
  /** Deno flags kept from a `deno run` entry (never permission or config flags). */
  keptFlags: string[];
  /** Flags dropped from the original entry (permission flags, node flags). */
  droppedFlags: string[];
  /** Arguments for the server itself. */
  serverArgs: string[];
}

const SCRIPT_RUNNERS = new Set(["tsx", "ts-node", "node"]);
const NPX_VALUE_FLAGS = new Set(["-p", "--package", "-c", "--call", "--cache", "--userconfig", "--registry"]);
// Deno flags that grant, prompt or load config: AgentPerms decides these, so they are never kept.
const DENO_DROP_REGEXP =
  /^(?:-A|--allow-[a-z-]+|--deny-[a-z-]+|--ignore-[a-z-]+|-[RWNESP](?:=.*)?|--permission-set|--no-prompt|--config|-c|--no-config|--import-map)(?:=.*)?$/;
const DENO_VALUE_FLAGS = new Set([
  "-c",
  "--config",
  "--import-map",
  "--lock",
  "--cert",
  "--location",
  "--seed",
]);

/**
 * Basename of a command, without a Windows `.cmd`/`.exe` suffix.
 * @param cmd a command as written in a client config
 * @returns e.g. `npx` for `/usr/bin/npx` or `npx.cmd`
 */
export function launcherName(cmd: string): string {
  const base = cmd.replaceAll("\\", "/").split("/").pop() ?? cmd;
  return base.replace(/\.(?:cmd|exe|bat|ps1)$/i, "").toLowerCase();
}

/**
 * Splits an npm package spec into name and version (`@scope/pkg@1.2.3` → `@scope/pkg`, `1.2.3`).
 * @param spec a package spec
 * @returns name and optional version
 */
export function splitPackageSpec(spec: string): { name: string; version?: string } {
  const s = spec.replace(/^npm:/, "");
  const at = s.indexOf("@", s.startsWith("@") ? 1 : 0);
  if (at <= 0) return { name: s };
  return { name: s.slice(0, at), version: s.slice(at + 1) || undefined };
}

/**
 * Understands a server's argv (`[command, ...args]`) well enough to relaunch a JS/TS server under
 * `deno run`. Pure.
 * @param argv the command and its arguments
 * @param cwd the server's working directory (script paths resolve here)
 * @returns the parsed entry; `kind: "other"` for anything Deno cannot run
 */
export function parseServerCommand(argv: string[], cwd: string): ServerEntry {
  const launcher = launcherName(argv[0] ?? "");
  const rest = argv.slice(1);
  const base: ServerEntry = { kind: "other", launcher, keptFlags: [], droppedFlags: [], serverArgs: rest };
  const npmEntry = (args: string[]): ServerEntry => {
    let pkgFlag: string | undefined;
    let i = 0;
    const dropped: string[] = [];
    for (; i < args.length; i++) {
      const a = args[i]!;
      if (a === "--") {
        i++;
        break;
      }
      if (!a.startsWith("-")) break;
      if (NPX_VALUE_FLAGS.has(a)) {
        if (a === "-p" || a === "--package") pkgFlag = args[i + 1];
        dropped.push(a, args[i + 1] ?? "");
        i++;
      } else if (a.startsWith("--package=")) {
        pkgFlag = a.slice("--package=".length);
        dropped.push(a);
      } else dropped.push(a);
    }
    const first = args[i];
    if (first === undefined) return base;
    // `npx tsx server.ts` and friends run a local script, not a package's server.
    if (pkgFlag === undefined && SCRIPT_RUNNERS.has(splitPackageSpec(first).name)) {
      const script = scriptEntry(args.slice(i + 1));
      return script.kind === "other"
        ? base
        : { ...script, droppedFlags: [...dropped, ...script.droppedFlags] };
    }
    const spec = splitPackageSpec(pkgFlag ?? first);
    const bin = pkgFlag !== undefined && first !== spec.name && first !== pkgFlag ? first : undefined;
    return {
      kind: "npm",
      launcher,
      pkg: spec.name,
      version: spec.version,
      bin,
      keptFlags: [],
      droppedFlags: dropped,
      serverArgs: args.slice(i + 1),
    };
  };
  const scriptEntry = (args: string[]): ServerEntry => {
    const dropped: string[] = [];
    let i = 0;
    while (i < args.length && args[i]!.startsWith("-")) dropped.push(args[i++]!);
    const file = args[i];
    if (file === undefined || !/\.(?:[cm]?js|[cm]?ts|jsx|tsx)$/i.test(file)) return base;
    return {
      kind: "script",
      launcher,
      module: isAbsolute(file) ? file : resolve(cwd, file),
      keptFlags: [],
      droppedFlags: dropped,
      serverArgs: args.slice(i + 1),
    };
  };
  switch (launcher) {
    case "npx":
    case "bunx":
    case "pnpx":
      return npmEntry(rest);
    case "pnpm":
    case "yarn":
    case "bun":
      if (rest[0] === "dlx" || (launcher === "bun" && rest[0] === "x")) return npmEntry(rest.slice(1));
      return base;
    case "node":
    case "tsx":
    case "ts-node":
      return scriptEntry(rest);
    case "deno": {
      if (rest[0] !== "run") return base;
      const kept: string[] = [];
      const dropped: string[] = [];
      let i = 1;
      for (; i < rest.length; i++) {
        const a = rest[i]!;
        if (!a.startsWith("-")) break;
        const takesValue = DENO_VALUE_FLAGS.has(a);
        if (DENO_DROP_REGEXP.test(a)) {
          dropped.push(a);
          if (takesValue) dropped.push(rest[++i] ?? "");
        } else {
          kept.push(a);
          if (takesValue) kept.push(rest[++i] ?? "");
        }
      }
      const mod = rest[i];
      if (mod === undefined) return base;
      if (mod.startsWith("npm:")) {
        // npm:@scope/pkg@1.2.3/bin → package, version, bin
        const body = mod.slice(4);
        const nameEnd = body.startsWith("@") ? body.indexOf("/") + 1 : 0;
        const slash = body.indexOf("/", nameEnd);
        const s2 = splitPackageSpec(slash > 0 ? body.slice(0, slash) : body);
        return {
          kind: "npm",
          launcher,
          pkg: s2.name,
          version: s2.version,
          bin: slash > 0 ? body.slice(slash + 1) : undefined,
          keptFlags: kept,
          droppedFlags: dropped,
          serverArgs: rest.slice(i + 1),
        };
      }
      const isSpec = /^(?:jsr:|https?:|file:)/.test(mod);
      return {
        kind: isSpec ? "deno-spec" : "script",
        launcher,
        module: isSpec || isAbsolute(mod) ? mod : resolve(cwd, mod),
        keptFlags: kept,
        droppedFlags: dropped,
        serverArgs: rest.slice(i + 1),
      };
    }
    default:
      return base;
  }
}

/**
 * Package versions pinned by `mcp.lock` launches (`npx -y pkg@1.2.3` → `pkg: 1.2.3`), for
 * `planLaunch({lockVersions})`. Only exact versions count.
 * @param launches the lock's `servers.*.launch` entries
 * @param cwd directory for script paths (unused for packages)
 * @returns package name → version
 */
export function lockVersionsFromLaunches(
  launches: Array<{ command: string; args: string[] }>,
  cwd: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of launches) {
    const e = parseServerCommand([l.command, ...l.args], cwd);
    if (e.kind === "npm" && e.pkg && e.version && /^\d+\.\d+\.\d+/.test(e.version)) out[e.pkg] = e.version;
  }
  return out;
}
