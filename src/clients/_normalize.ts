import type { ServerEntry } from "./types.ts";
import { REMOTE_ENV } from "./wire_remote.ts";
import { parseWrapped } from "./wrapped.ts";

const REMOTE_TYPES = new Set([
  "http",
  "sse",
  "streamablehttp",
  "streamable-http",
  "streamable_http",
  "remote",
]);
const URL_KEYS = ["url", "serverUrl", "httpUrl", "uri"] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, what: string, errors: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || v === null) return out;
  if (!isRecord(v)) {
    errors.push(`${what} is not a map`);
    return out;
  }
  for (const [k, val] of Object.entries(v)) {
    out[k] = typeof val === "string" ? val : JSON.stringify(val);
  }
  return out;
}

/**
 * Turns one raw entry into a `ServerEntry`, whatever the client's shape (`command`/`cmd`, Zed's legacy
 * `command: {path,args,env}`, `env`/`envs`, remote `url`/`serverUrl`/`httpUrl`/`uri`).
 * @param name the entry's name
 * @param raw the entry as parsed
 * @param path its key path in the document
 * @param errors receives one sentence per problem
 * @returns the entry, or undefined when it is not an object
 */
export function normalizeEntry(
  name: string,
  raw: unknown,
  path: (string | number)[],
  errors: string[],
): ServerEntry | undefined {
  if (!isRecord(raw)) {
    errors.push(`Server "${name}" is not an object`);
    return undefined;
  }
  const problems: string[] = [];
  let command: string | undefined;
  let args: string[] = [];
  let env: Record<string, string> = {};
  const rawCommand = raw.command ?? raw.cmd;
  if (typeof rawCommand === "string") command = rawCommand;
  else if (isRecord(rawCommand) && typeof rawCommand.path === "string") {
    // Zed's legacy shape nests the process description.
    command = rawCommand.path;
    if (Array.isArray(rawCommand.args)) args = rawCommand.args.map(String);
    env = stringMap(rawCommand.env, `server "${name}" command.env`, problems);
  } else if (Array.isArray(rawCommand) && rawCommand.length > 0) {
    command = String(rawCommand[0]);
    args = rawCommand.slice(1).map(String);
  }
  if (raw.args !== undefined) {
    if (Array.isArray(raw.args)) args = raw.args.map((a) => (typeof a === "string" ? a : JSON.stringify(a)));
    else problems.push(`server "${name}" args is not a list`);
  }
  env = { ...env, ...stringMap(raw.env ?? raw.envs ?? raw.environment, `server "${name}" env`, problems) };
  let url: string | undefined;
  for (const k of URL_KEYS) {
    if (typeof raw[k] === "string") {
      url = raw[k] as string;
      break;
    }
  }
  const type = typeof raw.type === "string" ? raw.type.toLowerCase() : undefined;
  const remote = command === undefined &&
    (url !== undefined || (type !== undefined && REMOTE_TYPES.has(type)));
  const headersRaw = raw.headers ?? raw.http_headers;
  const entry: ServerEntry = {
    name,
    transport: remote ? "remote" : "stdio",
    args,
    env,
    raw,
    path,
  };
  if (command !== undefined) entry.command = command;
  if (typeof raw.cwd === "string") entry.cwd = raw.cwd;
  if (url !== undefined) entry.url = url;
  if (headersRaw !== undefined) entry.headers = stringMap(headersRaw, `server "${name}" headers`, problems);
  if (raw.disabled === true || raw.enabled === false) entry.disabled = true;
  const approve = [raw.autoApprove, raw.alwaysAllow].filter(Array.isArray).flat().map(String);
  if (raw.trust === true) approve.push("*");
  if (approve.length > 0) entry.autoApprove = approve;
  const parsed = parseWrapped(command, args);
  // A wired remote entry carries its URL in its env; without it the entry reaches nothing through the proxy
  // and is reported as the unwired server it is.
  const wrapped = parsed?.remote && env[REMOTE_ENV.url] === undefined ? undefined : parsed;
  if (wrapped?.remote) {
    // A wired remote entry is still a remote server: the proxy reaches the URL kept in its environment.
    entry.wrapped = { mode: wrapped.mode, remote: wrapped.remote };
    entry.transport = "remote";
    const kept = env[REMOTE_ENV.url];
    if (kept !== undefined) entry.url = kept;
    const headers = Object.entries(env).filter(([k]) => k.startsWith(REMOTE_ENV.headerPrefix));
    if (headers.length > 0) {
      entry.headers = Object.fromEntries(headers.map(([, v]) => {
        const at = v.indexOf(":");
        return at < 0 ? [v, ""] : [v.slice(0, at).trim(), v.slice(at + 1).trim()];
      }));
    }
  } else if (wrapped) entry.wrapped = { mode: wrapped.mode, original: wrapped.original };
  // Goose's built-in extensions run inside Goose: nothing to start, nothing to report.
  const builtin = type === "builtin" || type === "platform" || type === "frontend";
  if (command === undefined && !remote && !builtin) {
    problems.push(`server "${name}" has neither a command nor a url`);
  }
  errors.push(...problems.map((p) => p[0]!.toUpperCase() + p.slice(1)));
  return entry;
}
