/** A package a launcher fetches and runs. */
export interface LaunchedPackage {
  /** The spec as written (`@scope/pkg@1.2.3`, `pkg==1.0`, `image:tag`). */
  spec: string;
  /** The launcher (`npx`, `uvx`, `docker`, …). */
  launcher: string;
  /** True only when the spec itself carries an exact version (or a digest for images). */
  pinned: boolean;
}

/** What a server's command line starts, read without running anything. */
export interface LaunchInfo {
  /** Every token after unwrapping `cmd /c` and `sh -c "…"`. */
  argv: string[];
  /** Packages fetched by npx, bunx, pnpm/yarn dlx, npm exec, uvx, uv tool run, pipx run, docker/podman run, deno. */
  packages: LaunchedPackage[];
  /** Host paths mounted into containers (`-v host:ctr`, `--mount source=`). */
  mounts: string[];
  /** True when a shell runs an inline script (`bash -c "…"`). */
  inlineShell: boolean;
}

const SHELLS = new Set(["sh", "bash", "zsh", "dash", "fish", "ksh", "pwsh", "powershell"]);
const SEMVER_REGEXP = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const PY_PIN_REGEXP = /^[A-Za-z0-9_.\[\],-]+(?:===?)\d+(?:\.\d+)*(?:[A-Za-z0-9.+-]*)$/;
const DOCKER_VALUE_FLAGS = new Set([
  "-v",
  "--volume",
  "-e",
  "--env",
  "--env-file",
  "--name",
  "--network",
  "--net",
  "-p",
  "--publish",
  "--mount",
  "-w",
  "--workdir",
  "-u",
  "--user",
  "--entrypoint",
  "-l",
  "--label",
  "--platform",
  "--memory",
  "-m",
  "--cpus",
  "--add-host",
  "--hostname",
  "-h",
  "--pull",
  "--runtime",
  "--security-opt",
  "--cap-add",
  "--cap-drop",
  "--device",
  "--tmpfs",
  "--ulimit",
  "--ipc",
  "--pid",
  "--restart",
  "--log-driver",
  "--log-opt",
  "--gpus",
]);

/**
 * Base name of a command without directory or Windows extension, lowercased.
 * @param command a command path
 * @returns e.g. "npx" for "C:\\Program Files\\nodejs\\npx.cmd"
 */
export function commandName(command: string): string {
  const base = command.split(/[\\/]/).pop() ?? command;
  return base.toLowerCase().replace(/\.(exe|cmd|bat|ps1)$/, "");
}

/**
 * Splits a shell script into words (quotes respected, no expansion).
 * @param script the `-c` argument
 * @returns its words
 */
export function shellWords(script: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of script.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? "");
  return out;
}

function npmPinned(spec: string): boolean {
  if (/^(\.|\/|[A-Za-z]:|file:|git\+|https?:)/.test(spec)) return true; // local or explicit source, not a registry tag
  const at = spec.lastIndexOf("@");
  if (at <= 0) return false;
  return SEMVER_REGEXP.test(spec.slice(at + 1));
}

function pyPinned(spec: string): boolean {
  if (/^(\.|\/|git\+|https?:)/.test(spec)) return true;
  if (PY_PIN_REGEXP.test(spec)) return true;
  const at = spec.lastIndexOf("@");
  return at > 0 && /^\d+(\.\d+)*$/.test(spec.slice(at + 1));
}

function firstPositional(tokens: string[], valueFlags: ReadonlySet<string> = new Set()): number {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === "--") return i + 1 < tokens.length ? i + 1 : -1;
    if (t.startsWith("-")) {
      if (!t.includes("=") && valueFlags.has(t)) i++;
      continue;
    }
    return i;
  }
  return -1;
}

function flagValues(tokens: string[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    for (const n of names) {
      if (t === n && i + 1 < tokens.length) out.push(tokens[i + 1]!);
      else if (t.startsWith(`${n}=`)) out.push(t.slice(n.length + 1));
    }
  }
  return out;
}

function dockerHostPath(spec: string): string | undefined {
  const drive = /^[A-Za-z]:[\\/]/.test(spec) ? 2 : 0;
  const colon = spec.indexOf(":", drive);
  const host = colon < 0 ? spec : spec.slice(0, colon);
  // A bare name is a named volume, not a host path.
  return /[\\/~.$%]/.test(host) ? host : undefined;
}

function analyze(tokens: string[], info: LaunchInfo, depth: number): void {
  if (tokens.length === 0 || depth > 4) return;
  info.argv.push(...tokens);
  const name = commandName(tokens[0]!);
  const rest = tokens.slice(1);
  if (name === "cmd" && rest[0] && /^\/[ck]$/i.test(rest[0])) {
    info.argv.splice(info.argv.length - tokens.length, 2);
    return analyze(rest.slice(1), info, depth + 1);
  }
  if (SHELLS.has(name)) {
    const c = rest.findIndex((t) => t === "-c" || t === "-lc" || /^-command$/i.test(t) || t === "-Command");
    if (c >= 0 && rest[c + 1] !== undefined) {
      info.inlineShell = true;
      return analyze(shellWords(rest[c + 1]!), info, depth + 1);
    }
    return;
  }
  const pushNpm = (launcher: string, toks: string[]) => {
    const explicit = flagValues(toks, ["-p", "--package"]);
    const specs = explicit.length > 0 ? explicit : (() => {
      const i = firstPositional(toks, new Set(["-p", "--package", "-c", "--call"]));
      return i < 0 ? [] : [toks[i]!];
    })();
    for (const spec of specs) info.packages.push({ spec, launcher, pinned: npmPinned(spec) });
  };
  const pushPy = (launcher: string, toks: string[]) => {
    const from = flagValues(toks, ["--from", "--spec"]);
    const i = firstPositional(toks, new Set(["--from", "--spec", "--python", "-p", "--with", "--index-url"]));
    const specs = from.length > 0 ? from : i < 0 ? [] : [toks[i]!];
    for (const spec of specs) info.packages.push({ spec, launcher, pinned: pyPinned(spec) });
  };
  if (name === "npx" || name === "bunx") return pushNpm(name, rest);
  if ((name === "pnpm" || name === "yarn") && rest[0] === "dlx") return pushNpm(`${name} dlx`, rest.slice(1));
  if (name === "npm" && (rest[0] === "exec" || rest[0] === "x")) return pushNpm("npm exec", rest.slice(1));
  if (name === "bun" && rest[0] === "x") return pushNpm("bun x", rest.slice(1));
  if (name === "uvx") return pushPy("uvx", rest);
  if (name === "uv" && rest[0] === "tool" && rest[1] === "run") return pushPy("uv tool run", rest.slice(2));
  if (name === "pipx" && rest[0] === "run") return pushPy("pipx run", rest.slice(1));
  if ((name === "docker" || name === "podman") && rest[0] === "run") {
    const toks = rest.slice(1);
    for (const v of flagValues(toks, ["-v", "--volume"])) {
      const host = dockerHostPath(v);
      if (host) info.mounts.push(host);
    }
    for (const m of flagValues(toks, ["--mount"])) {
      const src = /(?:^|,)(?:source|src)=([^,]+)/.exec(m);
      if (src && /(?:^|,)type=bind(?:,|$)/.test(m)) info.mounts.push(src[1]!);
    }
    const i = firstPositional(toks, DOCKER_VALUE_FLAGS);
    if (i >= 0) {
      info.packages.push({ spec: toks[i]!, launcher: name, pinned: /@sha256:[0-9a-f]{64}$/i.test(toks[i]!) });
    }
    return;
  }
  if (name === "deno") {
    for (const t of rest) {
      const m = /^(npm|jsr):(.+)$/.exec(t);
      if (m) info.packages.push({ spec: t, launcher: "deno", pinned: npmPinned(m[2]!) });
    }
  }
}

/**
 * Reads what a server's command line launches, without running it.
 * @param command the entry's command
 * @param args its arguments
 * @returns the unwrapped tokens, fetched packages, container mounts and whether an inline shell runs
 */
export function analyzeLaunch(command: string, args: readonly string[]): LaunchInfo {
  const info: LaunchInfo = { argv: [], packages: [], mounts: [], inlineShell: false };
  // A command with spaces and no args is how some clients write a whole command line.
  const tokens = args.length === 0 && /\s/.test(command.trim()) && !/[\\/]/.test(command)
    ? shellWords(command)
    : [command, ...args];
  analyze(tokens, info, 0);
  return info;
}
