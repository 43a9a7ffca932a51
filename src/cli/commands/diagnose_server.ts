import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { hostRealpath } from "../../canonical/mod.ts";
import { type DiscoveredConfig, parseWrapped, type ServerEntry } from "../../clients/mod.ts";
import type { LoadedPolicy } from "../../policy/mod.ts";
import { loadPolicy } from "../../policy/mod.ts";
import { checkOsSandbox, deriveProfile, findOnPath, runtimeNeeds } from "../../sandbox/mod.ts";
import { defaultTraceDir } from "../../trace/mod.ts";
import { probeInitialize } from "./probe_initialize.ts";

/** How one check (or one server) came out. */
export type DoctorStatus = "ok" | "warn" | "fail";

/** One thing `doctor` checked about a server. */
export interface DoctorCheck {
  /** `wired`, `command`, `launcher`, `server-command`, `policy`, `lock`, `trace-dir`, `containment`, `start`. */
  id: string;
  /** Its outcome. */
  status: DoctorStatus;
  /** What was found, one sentence. */
  detail: string;
  /** What to do about it (warn and fail). */
  fix?: string;
  /** The last lines of the server's stderr (`start`). */
  stderrTail?: string[];
}

/** Everything `doctor` found about one server entry. */
export interface ServerDiagnosis {
  /** The client whose config holds it. */
  client: string;
  /** The config file. */
  file: string;
  /** Its scope. */
  scope: string;
  /** The entry's name. */
  server: string;
  /** For per-project entries: the project. */
  project?: string;
  /** The proxy mode it is wired in, if it is. */
  wired?: "record" | "enforce";
  /** The worst of its checks. */
  status: DoctorStatus;
  /** Every check, in the order made. */
  checks: DoctorCheck[];
}

/** What every server's diagnosis shares. */
export interface DiagnoseContext {
  /** The environment AgentPerms runs in (PATH for lookups, the sandbox probe). */
  env: Record<string, string>;
  /** The user's home. */
  home: string;
  /** The current folder (policy paths relative to it). */
  cwd: string;
  /** The platform. */
  os: "linux" | "darwin" | "windows";
  /** Start each server and send `initialize` (`--start`). */
  start?: { timeoutMs: number; clientVersion: string };
  /** Loaded policies by path, shared between servers. */
  policies: Map<string, Promise<LoadedPolicy>>;
}

/** The PATH a client with a bare environment (a GUI app) gives a server. */
export const MINIMAL_PATH = "/usr/local/bin:/usr/bin:/bin";

const RANK: Record<DoctorStatus, number> = { ok: 0, warn: 1, fail: 2 };

/**
 * The worse of statuses.
 * @param statuses any number of statuses
 * @returns the worst (ok when none)
 */
export function worstStatus(statuses: Iterable<DoctorStatus>): DoctorStatus {
  let worst: DoctorStatus = "ok";
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

/** The wired proxy's own options, read from the entry's args (between `proxy --mode M` and `--`). */
interface WiredOptions {
  policy?: string;
  traceDir?: string;
  lock?: string;
  cwd?: string;
  noContain: boolean;
  serverEnv: string[];
}

function wiredOptions(args: readonly string[], from: number, to: number): WiredOptions {
  const o: WiredOptions = { noContain: false, serverEnv: [] };
  for (let i = from; i < to; i++) {
    const a = args[i]!;
    const value = (...names: string[]): string | undefined => {
      for (const n of names) {
        if (a === n) return args[++i];
        if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
      }
      return undefined;
    };
    let v: string | undefined;
    if ((v = value("--policy", "-p")) !== undefined) o.policy = v;
    else if ((v = value("--trace-dir")) !== undefined) o.traceDir = v;
    else if ((v = value("--lock")) !== undefined) o.lock = v;
    else if ((v = value("--cwd")) !== undefined) o.cwd = v;
    else if ((v = value("--server-env")) !== undefined) o.serverEnv.push(...v.split(",").filter(Boolean));
    else if (a === "--no-contain") o.noContain = true;
  }
  return o;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Finds a command the way a client's spawn would: a path as is (relative to cwd), a bare name on PATH. */
function locate(cmd: string, cwd: string, path: string): string | undefined {
  if (cmd.includes("/")) {
    const abs = resolve(cwd, cmd);
    return isFile(abs) ? abs : undefined;
  }
  return findOnPath(cmd, path);
}

/** Splits a POSIX shell command line (single and double quotes, backslashes) into words. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = "";
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      cur += line.slice(i + 1, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
      inWord = true;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) cur += line[j] === "\\" ? line[++j] ?? "" : line[j];
      i = j;
      inWord = true;
    } else if (ch === "\\") {
      cur += line[++i] ?? "";
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** What a launcher written by `record`/`enforce` names: the binary it execs and the values it carries. */
export interface LauncherInfo {
  /** The exec line's words, without the trailing `"$@"`. */
  exec: string[];
  /** Variables it sets when the client does not pass them. */
  carried: Record<string, string>;
}

/**
 * Reads an AgentPerms launcher script (see `launcherScript`).
 * @param text the file's text
 * @returns what it names, or undefined when it is not one
 */
export function parseLauncher(text: string): LauncherInfo | undefined {
  if (!text.startsWith("#!/bin/sh") || !text.includes("# AgentPerms launcher")) return undefined;
  const carried: Record<string, string> = {};
  let exec: string[] | undefined;
  for (const line of text.split("\n")) {
    const set = /^\[ -n "\$\{([A-Za-z_][A-Za-z0-9_]*):-\}" \] \|\| \1=(.*); export \1$/.exec(line);
    if (set) carried[set[1]!] = shellWords(set[2]!)[0] ?? "";
    else if (line.startsWith("exec ")) {
      const words = shellWords(line.slice(5));
      if (words.at(-1) === "$@") words.pop();
      exec = words;
    }
  }
  return exec && exec.length > 0 ? { exec, carried } : undefined;
}

function readText(p: string): string {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
}

/** The nearest folder that exists at or above `dir`, and whether this user may create files in it. */
function writableFolder(dir: string): { ok: boolean; detail?: string } {
  let d = dir;
  while (true) {
    let st;
    try {
      st = statSync(d);
    } catch {
      const up = dirname(d);
      if (up === d) return { ok: false, detail: "no part of it exists" };
      d = up;
      continue;
    }
    if (!st.isDirectory()) return { ok: false, detail: `"${d}" is not a folder` };
    try {
      accessSync(d, constants.W_OK | constants.X_OK);
      return { ok: true };
    } catch {
      return { ok: false, detail: `"${d}" is not writable` };
    }
  }
}

/**
 * Checks one server entry: is it wired, does what it starts exist, does its policy load, can it write its
 * traces, is it contained and how, and (with `ctx.start`) does it answer `initialize` when started the way
 * the client starts it.
 * @param config the config file that holds it
 * @param entry the entry
 * @param ctx environment, home and options
 * @returns the checks and the worst status
 */
export async function diagnoseServer(
  config: DiscoveredConfig,
  entry: ServerEntry,
  ctx: DiagnoseContext,
): Promise<ServerDiagnosis> {
  const checks: DoctorCheck[] = [];
  const add = (c: DoctorCheck) => void checks.push(c);
  const out = (): ServerDiagnosis => ({
    client: config.client,
    file: config.file,
    scope: config.scope,
    server: entry.name,
    ...(entry.project ? { project: entry.project } : {}),
    ...(wrapped ? { wired: wrapped.mode } : {}),
    status: worstStatus(checks.map((c) => c.status)),
    checks,
  });
  const target = config.scope === "explicit" || config.client === "generic"
    ? `--path ${config.file}`
    : `--client ${config.client}`;
  const wrapped = entry.transport === "stdio" ? parseWrapped(entry.command, entry.args) : undefined;
  if (entry.disabled) {
    add({ id: "wired", status: "ok", detail: "disabled in the client: it is not started" });
    return out();
  }
  if (entry.transport === "remote") {
    const host = remoteHost(entry.url);
    add(
      entry.wrapped?.remote
        ? {
          id: "wired",
          status: "ok",
          detail: `wired (${entry.wrapped.mode}): the proxy bridges to the remote server at ${host}`,
        }
        : {
          id: "wired",
          status: "warn",
          detail: `not wired: the remote server at ${host} is reached without AgentPerms in between`,
          fix: `agentperms record ${target} (then enforce with a policy)`,
        },
    );
    return out();
  }
  const PATH = ctx.env.PATH ?? MINIMAL_PATH;
  const entryCwd = entry.cwd ? resolve(dirname(config.file), entry.cwd) : dirname(config.file);
  const command = entry.command ?? "";
  if (!wrapped) {
    add({
      id: "wired",
      status: "warn",
      detail: "not wired: it runs without AgentPerms in between",
      fix: `agentperms record ${target} (then enforce with a policy)`,
    });
    const found = locate(command, entryCwd, PATH);
    add(
      found ? { id: "command", status: "ok", detail: `command "${command}" is ${found}` } : {
        id: "command",
        status: "fail",
        detail: `command "${command}" does not exist${command.includes("/") ? "" : " on PATH"}`,
        fix: "install it, or correct the entry's command",
      },
    );
    if (ctx.start && found) await startCheck(entry, entryCwd, ctx, add);
    return out();
  }
  const mode = wrapped.mode;
  const opts = wiredOptions(entry.args, wrapped.proxyIndex + 3, wrapped.separatorIndex);
  const rewire = `run agentperms record/enforce again (here: agentperms ${mode} ${target}${
    mode === "enforce" && opts.policy ? ` --policy ${opts.policy}` : ""
  })`;
  add({ id: "wired", status: "ok", detail: `wired (${mode})` });

  // What the client starts: the launcher (or a compiled binary, or deno with the CLI entry).
  const found = locate(command, entryCwd, PATH);
  let carried: Record<string, string> = {};
  if (!found) {
    add({
      id: "command",
      status: "fail",
      detail: `the wired command "${command}" no longer exists`,
      fix: rewire,
    });
  } else {
    const launcher = parseLauncher(readText(found));
    const named: { what: string; path: string }[] = [];
    if (launcher) {
      carried = launcher.carried;
      const [bin, ...rest] = launcher.exec;
      named.push({ what: "the launcher's Deno binary", path: bin! });
      for (const a of rest) if (a.startsWith("/")) named.push({ what: "the launcher's CLI entry", path: a });
    } else if (/^deno(\.exe)?$/i.test(found.split("/").at(-1) ?? "")) {
      for (const a of entry.args.slice(0, wrapped.proxyIndex)) {
        if (a.startsWith("/")) named.push({ what: "the CLI entry", path: a });
      }
    }
    const missing = named.filter((n) => !isFile(n.path));
    if (missing.length > 0) {
      add({
        id: "launcher",
        status: "fail",
        detail: `${missing.map((m) => `${m.what} "${m.path}"`).join(" and ")} no longer exist${
          missing.length === 1 ? "s" : ""
        } (a cleared cache or a moved clone?)`,
        fix: `${rewire}${launcher ? `, or edit the exec line of ${found}` : ""}`,
      });
    } else {
      add({
        id: "command",
        status: "ok",
        detail: launcher ? `launcher ${found} → ${launcher.exec[0]}` : `command ${found}`,
      });
    }
  }

  // The server's own command, which the proxy starts.
  const original = wrapped.original ?? { command: "", args: [] };
  const serverCwd = opts.cwd ? resolve(entryCwd, opts.cwd) : entryCwd;
  const originalFound = locate(original.command, serverCwd, PATH);
  if (!originalFound) {
    add({
      id: "server-command",
      status: "fail",
      detail: `the server's own command "${original.command}" does not exist${
        original.command.includes("/") ? "" : " on PATH"
      }`,
      fix: "install it, or correct the command after -- in the entry",
    });
  }

  // The policy the proxy loads.
  let loaded: LoadedPolicy | undefined;
  if (opts.policy !== undefined) {
    const abs = resolve(ctx.cwd, opts.policy);
    let p = ctx.policies.get(abs);
    if (!p) {
      p = loadPolicy(abs, { cwd: ctx.cwd, home: ctx.home });
      ctx.policies.set(abs, p);
    }
    try {
      loaded = await p;
      const warnings = loaded.warnings.length;
      add({
        id: "policy",
        status: "ok",
        detail: `policy ${loaded.file} loads${warnings ? ` (${warnings} warning(s))` : ""}`,
      });
      if (mode === "enforce" && loaded.compiled.constrained && !loaded.compiled.servers.has(entry.name)) {
        add({
          id: "policy",
          status: "warn",
          detail: `"${entry.name}" is not in the policy: enforce denies every call to it`,
          fix: `add servers.${entry.name} to ${loaded.file} (agentperms infer writes it from a record trace)`,
        });
      }
    } catch (e) {
      const exists = isFile(abs);
      add({
        id: "policy",
        status: "fail",
        detail: `policy "${abs}" does not load: ${(e as Error).message}`,
        fix: exists
          ? "fix the policy where the error says"
          : `restore it, or ${rewire.replace(/--policy \S+/, "--policy NEW")}`,
      });
    }
  } else if (mode === "enforce") {
    add({
      id: "policy",
      status: "fail",
      detail: "wired for enforce without --policy: the proxy refuses to start",
      fix: `agentperms enforce ${target} --policy FILE`,
    });
  }
  if (opts.lock !== undefined) {
    const abs = resolve(ctx.cwd, opts.lock);
    if (!isFile(abs)) {
      add({
        id: "lock",
        status: "fail",
        detail: `lock file "${abs}" no longer exists`,
        fix: `agentperms lock, or ${rewire}`,
      });
    }
  }

  // Where its traces go: the wired --trace-dir, else the default (the launcher's carried XDG_STATE_HOME
  // counts when the environment here has none).
  let traceDir: string | undefined;
  try {
    const envForDefault = { ...carried, ...ctx.env };
    traceDir = opts.traceDir !== undefined
      ? resolve(entryCwd, opts.traceDir)
      : defaultTraceDir((n) => envForDefault[n]);
  } catch (e) {
    add({
      id: "trace-dir",
      status: "fail",
      detail: (e as Error).message,
      fix: `${rewire} with --trace-dir DIR`,
    });
  }
  if (traceDir !== undefined) {
    const w = writableFolder(traceDir);
    add(
      w.ok ? { id: "trace-dir", status: "ok", detail: `traces go to ${traceDir}` } : {
        id: "trace-dir",
        status: "fail",
        detail: `the trace folder "${traceDir}" cannot be written: ${w.detail}`,
        fix: `make it writable, or ${rewire} with --trace-dir DIR`,
      },
    );
  }

  add(containmentCheck(entry.name, mode, opts, loaded, [original.command, ...original.args], serverCwd, ctx));

  if (ctx.start && !checks.some((c) => c.status === "fail")) await startCheck(entry, entryCwd, ctx, add);
  return out();
}

function containmentCheck(
  name: string,
  mode: "record" | "enforce",
  opts: WiredOptions,
  loaded: LoadedPolicy | undefined,
  argv: string[],
  cwd: string,
  ctx: DiagnoseContext,
): DoctorCheck {
  if (opts.noContain) {
    return {
      id: "containment",
      status: "warn",
      detail: "NOT contained: the entry passes --no-contain",
      fix: "remove --no-contain from the entry (wiring never adds it)",
    };
  }
  const sb = loaded?.compiled.servers.get(name)?.sandbox;
  if (sb?.mode === "off") {
    return {
      id: "containment",
      status: "warn",
      detail: `NOT contained: servers.${name}.sandbox.mode is "off"`,
      fix: `remove sandbox.mode: off from servers.${name} in ${loaded!.file}`,
    };
  }
  if (sb?.mode !== undefined && sb.mode !== "os") {
    return {
      id: "containment",
      status: "ok",
      detail: `contained by Deno permissions (sandbox.mode: ${sb.mode}); see agentperms sandbox explain`,
    };
  }
  const fallback = sb?.fallback ?? (mode === "enforce" ? "refuse" : "uncontained");
  const support = checkOsSandbox(ctx.env, ctx.os);
  let why: string | undefined;
  let fix: string | undefined;
  if (!support.ok) [why, fix] = [support.reason, support.fix];
  else {
    try {
      const needs = runtimeNeeds(argv, { cwd, home: ctx.home, env: ctx.env });
      if (needs.uncontainable) why = needs.uncontainable;
    } catch (e) {
      why = `its command cannot be prepared for the sandbox: ${(e as Error).message}`;
    }
  }
  if (why === undefined) {
    const p = deriveProfile(loaded?.compiled, name, {
      mode,
      home: ctx.home,
      cwd,
      serverEnv: opts.serverEnv,
      realpath: hostRealpath,
    });
    return {
      id: "containment",
      status: "ok",
      detail: `contained (OS sandbox, ${mode}): reads ${p.read.length}, writes ${p.write.length}, hosts ${
        p.net.map((n) => n.value).join(", ") || "none"
      }`,
    };
  }
  const escape = `set servers.${name}.sandbox.fallback: uncontained to run it with your full rights`;
  return fallback === "refuse"
    ? {
      id: "containment",
      status: "fail",
      detail: `cannot be contained, so the proxy refuses to start it: ${why}`,
      fix: fix ? `${fix}; or ${escape}` : escape,
    }
    : {
      id: "containment",
      status: "warn",
      detail: `NOT contained (runs with your full rights): ${why}`,
      fix: fix ?? "see agentperms sandbox explain",
    };
}

async function startCheck(
  entry: ServerEntry,
  cwd: string,
  ctx: DiagnoseContext,
  add: (c: DoctorCheck) => void,
): Promise<void> {
  const start = ctx.start!;
  // As a client with a bare environment starts it: the entry's env, a minimal PATH and HOME. (Terminal
  // clients pass more; a server that works only with the shell's PATH fails here first.)
  const env: Record<string, string> = { PATH: MINIMAL_PATH, HOME: ctx.home, ...entry.env };
  const r = await probeInitialize({
    command: entry.command!,
    args: entry.args,
    env,
    cwd,
    timeoutMs: start.timeoutMs,
    clientVersion: start.clientVersion,
  });
  const tail = r.stderrTail.length > 0 ? r.stderrTail : undefined;
  const last = tail ? `; stderr: ${tail.slice(-3).join(" | ")}` : "";
  const fix = "see the stderr lines (doctor --format json has the last 10); agentperms sandbox explain " +
    `--server ${entry.name} shows what a contained server may reach`;
  switch (r.outcome) {
    case "answered":
      add({
        id: "start",
        status: "ok",
        detail: `answers initialize in ${r.ms} ms${
          r.serverInfo?.name
            ? ` (${r.serverInfo.name}${r.serverInfo.version ? ` ${r.serverInfo.version}` : ""})`
            : ""
        }`,
      });
      return;
    case "error":
      add({
        id: "start",
        status: "fail",
        detail: `initialize failed: ${r.error!.message}${
          r.error!.code !== undefined ? ` (${r.error!.code})` : ""
        }${last}`,
        fix,
        stderrTail: tail,
      });
      return;
    case "exited":
      add({
        id: "start",
        status: "fail",
        detail: `exited with code ${r.exitCode} before answering initialize${last}`,
        fix,
        stderrTail: tail,
      });
      return;
    case "timeout":
      add({
        id: "start",
        status: "fail",
        detail: `no answer to initialize within ${Math.round(start.timeoutMs / 1000)} s${last}`,
        fix: `a first start may download packages: try --timeout 120; else ${fix}`,
        stderrTail: tail,
      });
      return;
    case "spawn-failed":
      add({
        id: "start",
        status: "fail",
        detail: `cannot be started: ${r.detail}`,
        fix: "correct the entry's command",
      });
  }
}

/** The host of a remote URL, never its path or query (they may hold a secret, like a token in the path). */
function remoteHost(url: string | undefined): string {
  try {
    return new URL(url ?? "").host || "(no host)";
  } catch {
    return "(a URL that does not parse)";
  }
}
