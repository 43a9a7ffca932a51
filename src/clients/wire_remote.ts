import {
  applyEdits,
  findNodeAtLocation,
  modify,
  type Node as JsonNode,
  parse as parseJsonc,
  type ParseError,
  parseTree,
} from "jsonc-parser";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { isMap, parse as parseYaml, parseDocument, stringify as stringifyYaml } from "yaml";
import { Buffer } from "node:buffer";
import type { ClientId, ConfigFormat, ServerEntry } from "./types.ts";

/**
 * Environment names through which a wired remote entry hands its endpoint to the proxy. The URL and the
 * headers often hold secrets (a token, a secret path): in the environment they are readable only by the
 * user, where a command line is readable by every local user (`ps`, `/proc/<pid>/cmdline`).
 */
export const REMOTE_ENV = {
  /** The remote endpoint, as written in the config (the client expands its own variables first). */
  url: "AGENTPERMS_REMOTE_URL",
  /** Prefix of one variable per header: `AGENTPERMS_REMOTE_HEADER_0 = "Authorization: Bearer …"`. */
  headerPrefix: "AGENTPERMS_REMOTE_HEADER_",
  /** The original entry's exact text, base64: `--stop` puts it back byte for byte. */
  entry: "AGENTPERMS_WIRED_ENTRY",
} as const;

/** The proxy flag that marks a wired remote entry; its value is the transport. */
export const REMOTE_FLAG = "--remote";

/** How the proxy reaches a remote server: Streamable HTTP, the legacy HTTP+SSE transport, or try both. */
export type RemoteTransport = "auto" | "http" | "sse";

/** Thrown when an entry cannot be rewritten safely; the caller reports it as "not wired (…)". */
export class CannotWireRemote extends Error {}

/**
 * Keys of a remote entry that carry over to the proxy's stdio entry: whether the client starts it and how it
 * treats its tools. Anything else (an `envFile` that a client would load into the proxy's environment, a
 * `cwd`, keys of clients we do not know) is left out; `--stop` gives the entry back whole.
 */
const KEPT_KEYS = new Set([
  "name",
  "description",
  "disabled",
  "enabled",
  "autoApprove",
  "alwaysAllow",
  "trust",
  "timeout",
  "includeTools",
  "excludeTools",
  "startup_timeout_sec",
  "tool_timeout_sec",
  "enabled_tools",
  "disabled_tools",
]);

/** What the proxy needs to reach one remote server. */
export interface RemoteSpec {
  /** The endpoint as written. */
  url: string;
  /** Which transport the entry names. */
  transport: RemoteTransport;
  /** `Name: value` lines, values as written (`${env:X}` is expanded by the client or the proxy). */
  headers: string[];
  /** Variables the client must hand to the proxy (Codex forwards only the ones it is told to). */
  forwardEnv: string[];
}

/**
 * Reads how to reach a remote entry, in the client's own terms (Gemini's `httpUrl` is Streamable HTTP and its
 * `url` is SSE; Codex names the variables that hold its headers).
 * @param entry a remote entry
 * @param client the client whose config holds it
 * @returns the endpoint, transport and headers
 * @throws {CannotWireRemote} when the entry has no URL or a header the proxy cannot carry
 */
export function remoteSpec(entry: ServerEntry, client: ClientId | undefined): RemoteSpec {
  const raw = entry.raw as Record<string, unknown>;
  if (entry.url === undefined || entry.url === "") throw new CannotWireRemote("the entry has no URL");
  const type = typeof raw.type === "string" ? raw.type.toLowerCase() : "";
  let transport: RemoteTransport = "auto";
  if (type === "sse") transport = "sse";
  else if (type === "http" || type.startsWith("streamable")) transport = "http";
  else if (client === "gemini") transport = typeof raw.httpUrl === "string" ? "http" : "sse";
  const headers: string[] = [];
  const forwardEnv: string[] = [];
  for (const [k, v] of Object.entries(entry.headers ?? {})) headers.push(`${k}: ${v}`);
  const named = raw.env_http_headers;
  if (named !== undefined) {
    if (typeof named !== "object" || named === null || Array.isArray(named)) {
      throw new CannotWireRemote("env_http_headers is not a table");
    }
    for (const [k, v] of Object.entries(named)) {
      if (typeof v !== "string") throw new CannotWireRemote(`env_http_headers.${k} is not a variable name`);
      headers.push(`${k}: \${env:${v}}`);
      forwardEnv.push(v);
    }
  }
  if (typeof raw.bearer_token_env_var === "string") {
    headers.push(`Authorization: Bearer \${env:${raw.bearer_token_env_var}}`);
    forwardEnv.push(raw.bearer_token_env_var);
  }
  for (const h of headers) {
    if (/[\r\n]/.test(h)) throw new CannotWireRemote("a header holds a line break");
  }
  return { url: entry.url, transport, headers, forwardEnv };
}

/** The environment a wired remote entry gives the proxy. */
export function remoteEnv(spec: RemoteSpec, originalText: string): Record<string, string> {
  const env: Record<string, string> = { [REMOTE_ENV.url]: spec.url };
  spec.headers.forEach((h, i) => env[`${REMOTE_ENV.headerPrefix}${i}`] = h);
  env[REMOTE_ENV.entry] = Buffer.from(originalText, "utf8").toString("base64");
  return env;
}

/**
 * Reads the original entry text a wired remote entry keeps.
 * @param entry the wired entry (stdio, starting the proxy)
 * @returns the exact text the entry had before wiring
 * @throws {CannotWireRemote} when the text is missing or not readable
 */
export function originalRemoteText(entry: ServerEntry): string {
  const b64 = entry.env[REMOTE_ENV.entry];
  if (b64 === undefined) {
    throw new CannotWireRemote(
      `the original entry (${REMOTE_ENV.entry}) is missing: restore it from the backup`,
    );
  }
  const text = /^[A-Za-z0-9+/]*={0,2}$/.test(b64) ? Buffer.from(b64, "base64").toString("utf8") : undefined;
  if (text === undefined || Buffer.from(text, "utf8").toString("base64") !== b64) {
    throw new CannotWireRemote(`${REMOTE_ENV.entry} is not readable: restore the entry from the backup`);
  }
  return text;
}

/** The span of an entry's value in the config text. */
export interface EntrySpan {
  /** First character of the value. */
  start: number;
  /** One past its last character. */
  end: number;
}

/** What to write in place of a remote entry. */
export interface StdioShape {
  /** The proxy's command line (self command and its arguments). */
  argv: string[];
  /** Environment for the proxy. */
  env: Record<string, string>;
  /** Variables the client must forward (Codex `env_vars`). */
  forwardEnv: string[];
}

/**
 * Finds where an entry's value sits in the text.
 * @param text the config text
 * @param format its format
 * @param path the entry's key path
 * @returns the span to replace
 * @throws {CannotWireRemote} when the entry's layout is not one this can rewrite
 */
export function locateEntry(text: string, format: ConfigFormat, path: (string | number)[]): EntrySpan {
  if (format === "toml") return locateTomlTable(text, path);
  if (format === "yaml") {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new CannotWireRemote("YAML does not parse");
    const node = doc.getIn(path, true);
    if (!isMap(node) || !node.range) throw new CannotWireRemote("entry is not a YAML mapping");
    if (node.flow) return { start: node.range[0], end: node.range[1] };
    // A block mapping's value ends at the end of its last line; keep that line break outside the span.
    let end = node.range[1];
    while (end > node.range[0] && /[\r\n]/.test(text[end - 1]!)) end--;
    return { start: node.range[0], end };
  }
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const node: JsonNode | undefined = root && findNodeAtLocation(root, path);
  if (!node || node.type !== "object") throw new CannotWireRemote("entry not found in the file");
  return { start: node.offset, end: node.offset + node.length };
}

const TOML_KEY = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;
const TOML_HEADER_REGEXP = new RegExp(
  String.raw`^[ \t]*\[\[?[ \t]*(${TOML_KEY}(?:[ \t]*\.[ \t]*${TOML_KEY})*)`,
);

function tomlKeys(dotted: string): string[] {
  const out: string[] = [];
  for (const m of dotted.matchAll(new RegExp(TOML_KEY, "g"))) {
    const k = m[0];
    out.push(k.startsWith('"') ? JSON.parse(k) : k.startsWith("'") ? k.slice(1, -1) : k);
  }
  return out;
}

function locateTomlTable(text: string, path: (string | number)[]): EntrySpan {
  if (path.length !== 2) throw new CannotWireRemote("unsupported TOML layout");
  const want = path.map(String);
  let pos = 0;
  let start = -1;
  let end = text.length;
  for (const line of text.split("\n")) {
    const lineStart = pos;
    pos += line.length + 1;
    const m = TOML_HEADER_REGEXP.exec(line);
    if (!m) continue;
    const keys = tomlKeys(m[1]!);
    const inside = keys.length >= 2 && keys[0] === want[0] && keys[1] === want[1];
    if (start < 0) {
      if (inside && keys.length === 2 && !line.trimStart().startsWith("[[")) {
        start = Math.min(pos, text.length);
      }
    } else if (!inside) {
      end = lineStart;
      break;
    }
  }
  if (start < 0) {
    throw new CannotWireRemote(
      `no [${want.join(".")}] table (inline tables and dotted keys are not supported)`,
    );
  }
  // Blank lines and comments before the next table are the file's layout, not the entry's.
  const body = text.slice(start, end);
  const lines = body.split("\n");
  let keep = lines.length;
  while (keep > 0 && /^[ \t]*(#.*)?\r?$/.test(lines[keep - 1]!)) keep--;
  const trimmed = lines.slice(0, keep).join("\n");
  return { start, end: start + trimmed.length };
}

function detectEol(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

function lineIndent(text: string, at: number): string {
  return /^[ \t]*/.exec(text.slice(text.lastIndexOf("\n", at - 1) + 1))![0];
}

/**
 * Writes the stdio entry that starts the proxy in place of a remote entry, in the file's own format and
 * indentation. Keys that do not describe the transport (`disabled`, `timeout`, `autoApprove`…) are kept.
 * @param text the config text
 * @param format its format
 * @param client the client (OpenCode and Goose name their stdio keys differently)
 * @param span where the entry's value sits
 * @param entry the remote entry
 * @param shape the proxy command and environment
 * @returns the new text
 * @throws {CannotWireRemote} when the entry holds a key that cannot be carried over
 */
export function writeStdioEntry(
  text: string,
  format: ConfigFormat,
  client: ClientId | undefined,
  span: EntrySpan,
  entry: ServerEntry,
  shape: StdioShape,
): string {
  const raw = entry.raw as Record<string, unknown>;
  const kept = Object.keys(raw).filter((k) => KEPT_KEYS.has(k));
  const eol = detectEol(text);
  let body: string;
  if (format === "toml") {
    const lines = [
      `command = ${JSON.stringify(shape.argv[0])}`,
      `args = [${shape.argv.slice(1).map((a) => JSON.stringify(a)).join(", ")}]`,
      `env = { ${Object.entries(shape.env).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ")} }`,
    ];
    if (shape.forwardEnv.length > 0) {
      lines.push(`env_vars = [${shape.forwardEnv.map((v) => JSON.stringify(v)).join(", ")}]`);
    }
    const table = parseToml(text.slice(span.start, span.end)) as Record<string, unknown>;
    for (const k of kept) {
      const v = table[k];
      if (v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)) {
        throw new CannotWireRemote(`"${k}" is a table`);
      }
      lines.push(stringifyToml({ [k]: v }).trim());
    }
    body = lines.join(eol);
  } else if (format === "yaml") {
    const goose = client === "goose" || typeof raw.uri === "string";
    const map: Record<string, unknown> = {};
    if (raw.name !== undefined) map.name = raw.name;
    if (raw.type !== undefined) map.type = "stdio";
    map[goose ? "cmd" : "command"] = shape.argv[0];
    map.args = shape.argv.slice(1);
    map[goose ? "envs" : "env"] = shape.env;
    const node = parseDocument(text).getIn(entry.path, true);
    const json = isMap(node) ? node.toJSON() as Record<string, unknown> : raw;
    for (const k of kept) {
      if (k === "name") continue;
      map[k] = json[k];
    }
    const indent = " ".repeat(span.start - (text.lastIndexOf("\n", span.start - 1) + 1));
    if (isMap(node) && node.flow) {
      body = stringifyYaml(map, { lineWidth: 0, collectionStyle: "flow" }).replace(/\n$/, "");
    } else body = stringifyYaml(map, { lineWidth: 0 }).replace(/\n$/, "").split("\n").join(`${eol}${indent}`);
  } else {
    const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false })!;
    const node = findNodeAtLocation(root, entry.path)!;
    const base = lineIndent(text, node.offset);
    const unit = /\n([ \t]+)\S/.exec(text)?.[1]?.startsWith("\t") ? "\t" : "  ";
    const inner = base + unit;
    const props: string[] = [];
    const opencode = client === "opencode" || raw.type === "remote";
    if (raw.type !== undefined) props.push(`"type": ${JSON.stringify(opencode ? "local" : "stdio")}`);
    if (opencode) props.push(`"command": [${shape.argv.map((a) => JSON.stringify(a)).join(", ")}]`);
    else {
      props.push(`"command": ${JSON.stringify(shape.argv[0])}`);
      props.push(`"args": [${shape.argv.slice(1).map((a) => JSON.stringify(a)).join(", ")}]`);
    }
    const envLines = Object.entries(shape.env).map(([k, v]) =>
      `${inner}${unit}${JSON.stringify(k)}: ${JSON.stringify(v)}`
    );
    props.push(`"${opencode ? "environment" : "env"}": {${eol}${envLines.join(`,${eol}`)}${eol}${inner}}`);
    for (const child of node.children ?? []) {
      const key = child.children?.[0]?.value;
      if (typeof key !== "string" || !KEPT_KEYS.has(key)) continue;
      props.push(text.slice(child.offset, child.offset + child.length));
    }
    body = `{${eol}${props.map((p) => inner + p).join(`,${eol}`)}${eol}${base}}`;
  }
  return text.slice(0, span.start) + body + text.slice(span.end);
}

const URL_KEYS = ["url", "serverUrl", "httpUrl", "uri"];

/**
 * Sets the URL of a restored remote entry to the one the wired entry held, when the user changed it while the
 * entry was wired: `--stop` keeps that edit. Only the URL's value is rewritten; everything else stays as it was.
 * @param text the config text with the original entry put back
 * @param format its format
 * @param path the entry's key path
 * @param url the URL the wired entry held
 * @returns the text with the entry's URL set
 * @throws {CannotWireRemote} when the URL cannot be found to rewrite
 */
export function setRemoteUrl(
  text: string,
  format: ConfigFormat,
  path: (string | number)[],
  url: string,
): string {
  if (format === "toml") {
    const span = locateTomlTable(text, path);
    const body = text.slice(span.start, span.end);
    const m = /^([ \t]*(?:url|"url")[ \t]*=[ \t]*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*')/m.exec(body);
    if (!m) throw new CannotWireRemote("cannot find the url to keep your edit");
    const at = span.start + m.index + m[1]!.length;
    return text.slice(0, at) + JSON.stringify(url) + text.slice(at + m[2]!.length);
  }
  if (format === "yaml") {
    const doc = parseDocument(text);
    const node = doc.getIn(path, true);
    if (!isMap(node)) throw new CannotWireRemote("entry is not a YAML mapping");
    for (const k of URL_KEYS) {
      const v = node.get(k, true) as { range?: [number, number, number] } | undefined;
      if (v?.range) return text.slice(0, v.range[0]) + JSON.stringify(url) + text.slice(v.range[1]);
    }
    throw new CannotWireRemote("cannot find the url to keep your edit");
  }
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const node = root && findNodeAtLocation(root, path);
  const key = URL_KEYS.find((k) => node && findNodeAtLocation(node, [k])?.type === "string");
  if (!key) throw new CannotWireRemote("cannot find the url to keep your edit");
  return applyEdits(text, modify(text, [...path, key], url, {}));
}

/**
 * The whole document with one entry's value taken out, as comparable text: an edit of that entry must leave it
 * unchanged (a restored text that closed its entry early could otherwise add a server that runs without the
 * proxy, or change any other setting).
 * @param text the config text
 * @param format its format
 * @param path the entry's key path
 * @returns canonical JSON of everything but the entry, or undefined when the text does not parse
 */
export function outsideEntry(
  text: string,
  format: ConfigFormat,
  path: (string | number)[],
): string | undefined {
  let doc: unknown;
  try {
    if (format === "toml") doc = parseToml(text);
    else if (format === "yaml") doc = parseYaml(text);
    else {
      const errors: ParseError[] = [];
      doc = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
      if (errors.length > 0) return undefined;
    }
  } catch {
    return undefined;
  }
  let at: unknown = doc;
  for (const k of path.slice(0, -1)) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string | number, unknown>)[k];
  }
  if (at === null || typeof at !== "object") return undefined;
  (at as Record<string | number, unknown>)[path.at(-1)!] = "(entry)";
  return JSON.stringify(
    doc,
    (_k, v) =>
      v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
        : v,
  );
}
