import {
  applyEdits,
  type Edit as JsonEdit,
  findNodeAtLocation,
  modify,
  type Node as JsonNode,
  parseTree,
} from "jsonc-parser";
import { isMap, isScalar, isSeq, parseDocument, type Scalar, type YAMLMap, type YAMLSeq } from "yaml";
import { parseConfig } from "./parse_config.ts";
import type { ClientId, ConfigFormat, ServerEntry, ServerLocator } from "./types.ts";
import {
  CannotWireRemote,
  locateEntry,
  originalRemoteText,
  outsideEntry,
  REMOTE_FLAG,
  remoteEnv,
  remoteSpec,
  setRemoteUrl,
  writeStdioEntry,
} from "./wire_remote.ts";
import { KEEP_EMPTY_ARGS_FLAG, parseWrapped } from "./wrapped.ts";
import { urlExposure } from "../telemetry/mod.ts";

/** What to do to each entry. */
export type WireMode = "record" | "enforce" | "stop";

/** Options for `wireText`. */
export interface WireTextOptions {
  /** The file's format. */
  format: ConfigFormat;
  /** Where its servers live. */
  locators: readonly ServerLocator[];
  /** The client whose file it is: remote entries are rewritten in its own stdio shape. */
  client?: ClientId;
  /** record / enforce wrap every entry (stdio and remote); stop restores them. */
  mode: WireMode;
  /** How to start AgentPerms (`selfCommand()`); absolute paths. */
  self: string[];
  /** Absolute policy file passed to the proxy. */
  policy?: string;
  /** Absolute trace directory passed to the proxy. */
  traceDir?: string;
  /** Pass `--trace-results`: traces keep a redacted summary of each result (off by default). */
  traceResults?: boolean;
  /** Pass `--otel`: each proxy exports its decisions to OpenTelemetry. */
  otel?: boolean;
  /** Absolute lock file passed to the proxy. */
  lock?: string;
}

/** What happened to one entry. */
export interface WireResult {
  /** Entry name. */
  server: string;
  /** Project directory for per-project entries. */
  project?: string;
  /** wired (new), rewired (mode or flags changed), unchanged, restored, not-wrapped (stop on a plain entry), skipped. */
  status: "wired" | "rewired" | "unchanged" | "restored" | "not-wrapped" | "skipped";
  /** Why an entry was skipped, e.g. "not wired (remote transport)". */
  reason?: string;
  /** Something the user should know about a wired entry (e.g. why it does not export telemetry). */
  note?: string;
}

interface Span {
  start: number;
  end: number;
}
interface Edit extends Span {
  text: string;
}

/** Where an entry's command and args sit in the text. */
interface EntryLoc {
  /** The command value. */
  command: Span;
  /** A `[...]` array (JSON, TOML, YAML flow) or a YAML block sequence. */
  args?: { kind: "flow"; open: number; close: number; items: Span[] } | {
    kind: "block";
    items: Span[];
    lineStarts: number[];
    indent: string;
  };
  /** Adds an empty `args` array when the entry has none; undefined when that is not possible. */
  addArgs?: () => string;
  /** Removes an `args` key that holds an empty array. */
  removeEmptyArgs?: () => string | undefined;
  /** Comment syntax for skipping between array items. */
  comments: "js" | "hash";
  /** True when plain YAML flow items cannot hold every raw value (they are quoted instead). */
  yamlFlow?: boolean;
}

class CannotWire extends Error {}

function applyAll(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  }
  return out;
}

function detectFormatting(text: string) {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const m = /\n([ \t]+)\S/.exec(text);
  const insertSpaces = !(m && m[1]!.startsWith("\t"));
  let tabSize = 2;
  if (m && insertSpaces) tabSize = Math.min(8, m[1]!.length) || 2;
  return { eol, insertSpaces, tabSize };
}

// ---------- JSON / JSONC ----------

function locateJson(text: string, path: (string | number)[]): EntryLoc {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const node = root && findNodeAtLocation(root, path);
  if (!node || node.type !== "object") throw new CannotWire("entry not found in the file");
  const cmd = findNodeAtLocation(node, ["command"]);
  if (!cmd || cmd.type !== "string") throw new CannotWire('"command" is not a string');
  const argsNode: JsonNode | undefined = findNodeAtLocation(node, ["args"]);
  const loc: EntryLoc = { command: { start: cmd.offset, end: cmd.offset + cmd.length }, comments: "js" };
  const fmt = { formattingOptions: detectFormatting(text) };
  if (argsNode) {
    if (argsNode.type !== "array") throw new CannotWire('"args" is not a list');
    const items = (argsNode.children ?? []).map((c) => {
      if (c.type !== "string") throw new CannotWire('"args" holds a value that is not a string');
      return { start: c.offset, end: c.offset + c.length };
    });
    loc.args = { kind: "flow", open: argsNode.offset, close: argsNode.offset + argsNode.length - 1, items };
    loc.removeEmptyArgs = () =>
      applyEdits(text, modify(text, [...path, "args"], undefined, fmt) as JsonEdit[]);
  } else {
    loc.addArgs = () => applyEdits(text, modify(text, [...path, "args"], [], fmt) as JsonEdit[]);
  }
  return loc;
}

// ---------- YAML ----------

function locateYaml(text: string, path: (string | number)[]): EntryLoc {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) {
    throw new CannotWire(`YAML does not parse: ${doc.errors[0]!.message.split("\n")[0]}`);
  }
  const node = doc.getIn(path, true);
  if (!isMap(node)) throw new CannotWire("entry is not a YAML mapping");
  const map = node as YAMLMap;
  const key = map.has("command") ? "command" : map.has("cmd") ? "cmd" : undefined;
  if (!key) throw new CannotWire("no command");
  const cmd = map.get(key, true);
  if (!isScalar(cmd) || typeof cmd.value !== "string" || !cmd.range) {
    throw new CannotWire("command is not a string");
  }
  const cmdSpan = { start: cmd.range[0], end: cmd.range[1] };
  if (
    text.slice(cmdSpan.start, cmdSpan.end).includes("\n") || cmd.type === "BLOCK_LITERAL" ||
    cmd.type === "BLOCK_FOLDED"
  ) {
    throw new CannotWire("command is a multi-line YAML scalar");
  }
  const loc: EntryLoc = { command: cmdSpan, comments: "hash" };
  const args = map.get("args", true);
  const pairOf = (k: string) => map.items.find((p) => isScalar(p.key) && (p.key as Scalar).value === k);
  if (args !== undefined && args !== null) {
    if (!isSeq(args) || !(args as YAMLSeq).range) throw new CannotWire("args is not a list");
    const seq = args as YAMLSeq;
    const items = seq.items.map((it) => {
      if (!isScalar(it) || typeof it.value !== "string" || !it.range) {
        throw new CannotWire("args holds a value that is not a string");
      }
      if (text.slice(it.range[0], it.range[1]).includes("\n")) {
        throw new CannotWire("an arg is a multi-line scalar");
      }
      return { start: it.range[0], end: it.range[1] };
    });
    if (seq.flow) {
      const open = text.indexOf("[", seq.range![0]);
      const close = text.lastIndexOf("]", seq.range![1]);
      if (open < 0 || close < open) throw new CannotWire("cannot find the args list");
      loc.args = { kind: "flow", open, close, items };
      loc.yamlFlow = true;
    } else {
      const lineStarts = items.map((s) => text.lastIndexOf("\n", s.start - 1) + 1);
      const indents = items.map((s, i) => {
        const m = /^([ \t]*)-[ \t]+$/.exec(text.slice(lineStarts[i]!, s.start));
        if (!m) throw new CannotWire("args items are not one per line");
        return m[1]!;
      });
      loc.args = { kind: "block", items, lineStarts, indent: indents[0] ?? "" };
    }
    loc.removeEmptyArgs = () => {
      const pair = pairOf("args");
      const k = pair?.key as Scalar | undefined;
      if (!k?.range) return undefined;
      const ls = text.lastIndexOf("\n", k.range[0] - 1) + 1;
      let le = text.indexOf("\n", k.range[0]);
      le = le < 0 ? text.length : le + 1;
      if (!/^[ \t]*args:[ \t]*\[\][ \t]*\r?\n?$/.test(text.slice(ls, le))) return undefined;
      return text.slice(0, ls) + text.slice(le);
    };
  } else if (!map.flow) {
    loc.addArgs = () => {
      const k = pairOf(key)!.key as Scalar;
      const ls = text.lastIndexOf("\n", k.range![0] - 1) + 1;
      const indent = text.slice(ls, k.range![0]);
      if (!/^[ \t]*(- )?[ \t]*$/.test(indent)) throw new CannotWire("cannot add args here");
      let le = text.indexOf("\n", cmd.range![1]);
      const eol = text.includes("\r\n") ? "\r\n" : "\n";
      if (le < 0) return `${text}${eol}${" ".repeat(indent.length)}args: []${eol}`;
      le += 1;
      return text.slice(0, le) + `${" ".repeat(indent.length)}args: []${eol}` + text.slice(le);
    };
  }
  return loc;
}

// ---------- TOML ----------

const TOML_KEY = String.raw`(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')`;

function tomlKeyText(k: string): string {
  if (k.startsWith('"')) return JSON.parse(k);
  if (k.startsWith("'")) return k.slice(1, -1);
  return k;
}

function scanTomlString(text: string, i: number): number {
  const q = text[i];
  if (text.startsWith(q!.repeat(3), i)) throw new CannotWire("multi-line TOML strings are not supported");
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === "\n") break;
    if (q === '"' && c === "\\") {
      j += 2;
      continue;
    }
    if (c === q) return j + 1;
    j++;
  }
  throw new CannotWire("unterminated TOML string");
}

function locateToml(text: string, path: (string | number)[]): EntryLoc {
  if (path.length !== 2) throw new CannotWire("unsupported TOML layout");
  const [table, name] = path as [string, string];
  const header = new RegExp(
    String.raw`^[ \t]*\[[ \t]*(${TOML_KEY})[ \t]*\.[ \t]*(${TOML_KEY})[ \t]*\][ \t]*(#.*)?$`,
  );
  const lines: { start: number; text: string }[] = [];
  let pos = 0;
  for (const l of text.split("\n")) {
    lines.push({ start: pos, text: l.replace(/\r$/, "") });
    pos += l.length + 1;
  }
  let from = -1;
  let to = text.length;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.text;
    if (from < 0) {
      const m = header.exec(t);
      if (m && tomlKeyText(m[1]!) === table && tomlKeyText(m[2]!) === name) from = i + 1;
    } else if (/^[ \t]*\[/.test(t)) {
      to = lines[i]!.start;
      break;
    }
  }
  if (from < 0) {
    throw new CannotWire(`no [${table}.${name}] table (inline tables and dotted keys are not supported)`);
  }
  let command: Span | undefined;
  let args: EntryLoc["args"];
  let commandLineEnd = 0;
  let argsLine: { start: number; end: number } | undefined;
  for (let i = from; i < lines.length && lines[i]!.start < to; i++) {
    const l = lines[i]!;
    const cm = /^([ \t]*command[ \t]*=[ \t]*)(["'])/.exec(l.text);
    if (cm) {
      const s = l.start + cm[1]!.length;
      command = { start: s, end: scanTomlString(text, s) };
      commandLineEnd = l.start + l.text.length;
    }
    const am = /^([ \t]*args[ \t]*=[ \t]*)\[/.exec(l.text);
    if (am) {
      const open = l.start + am[1]!.length;
      const items: Span[] = [];
      let j = open + 1;
      for (;;) {
        const c = text[j];
        if (c === undefined) throw new CannotWire("unterminated args list");
        if (c === " " || c === "\t" || c === "\r" || c === "\n" || c === ",") j++;
        else if (c === "#") j = text.indexOf("\n", j) < 0 ? text.length : text.indexOf("\n", j);
        else if (c === '"' || c === "'") {
          const end = scanTomlString(text, j);
          items.push({ start: j, end });
          j = end;
        } else if (c === "]") break;
        else throw new CannotWire("args holds a value that is not a string");
      }
      args = { kind: "flow", open, close: j, items };
      const le = text.indexOf("\n", j);
      argsLine = { start: l.start, end: le < 0 ? text.length : le + 1 };
    }
  }
  if (!command) throw new CannotWire('no "command" string in the table');
  const loc: EntryLoc = { command, args, comments: "hash" };
  if (args && argsLine) {
    const line = argsLine;
    loc.removeEmptyArgs = () =>
      /^[ \t]*args[ \t]*=[ \t]*\[\][ \t]*\r?\n?$/.test(text.slice(line.start, line.end))
        ? text.slice(0, line.start) + text.slice(line.end)
        : undefined;
  } else {
    loc.addArgs = () => {
      const eol = text.includes("\r\n") ? "\r\n" : "\n";
      const indent = /^[ \t]*/.exec(text.slice(text.lastIndexOf("\n", command!.start - 1) + 1))![0];
      const at = commandLineEnd + (text[commandLineEnd] === "\n" ? 1 : 0);
      const nl = text[commandLineEnd] === "\n" ? "" : eol;
      return text.slice(0, at) + `${nl}${indent}args = []${eol}` + text.slice(at);
    };
  }
  return loc;
}

// ---------- shared edits ----------

function locate(text: string, format: ConfigFormat, path: (string | number)[]): EntryLoc {
  if (format === "yaml") return locateYaml(text, path);
  if (format === "toml") return locateToml(text, path);
  return locateJson(text, path);
}

function skipGap(text: string, i: number, comments: "js" | "hash"): number {
  for (;;) {
    const c = text[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\n") i++;
    else if (comments === "hash" && c === "#") i = (text.indexOf("\n", i) + 1) || text.length;
    else if (comments === "js" && text.startsWith("//", i)) i = (text.indexOf("\n", i) + 1) || text.length;
    else if (comments === "js" && text.startsWith("/*", i)) {
      i = text.indexOf("*/", i) < 0 ? text.length : text.indexOf("*/", i) + 2;
    } else return i;
  }
}

const YAML_FLOW_PLAIN_REGEXP = /^[^\s,[\]{}#&*!|>'"%@`:-][^,[\]{}#]*$/;

function wrapEdits(text: string, loc: EntryLoc, self: string[], prefix: string[]): Edit[] {
  if (!loc.args) throw new CannotWire("no args list");
  let rawCommand = text.slice(loc.command.start, loc.command.end);
  if (loc.yamlFlow && !/^["']/.test(rawCommand) && !YAML_FLOW_PLAIN_REGEXP.test(rawCommand)) {
    rawCommand = JSON.stringify(rawCommand);
  }
  const edits: Edit[] = [{ ...loc.command, text: JSON.stringify(self[0]) }];
  const items = [...prefix.map((a) => JSON.stringify(a)), rawCommand];
  if (loc.args.kind === "flow") {
    // Only a comma after our items: whatever followed "[" (space, newline or nothing) stays the user's, so
    // removing exactly our items and that comma gives the original bytes back.
    const tail = loc.args.items.length > 0 ? "," : "";
    edits.push({ start: loc.args.open + 1, end: loc.args.open + 1, text: items.join(", ") + tail });
  } else {
    const eol = text.includes("\r\n") ? "\r\n" : "\n";
    const { indent, lineStarts } = loc.args;
    const at = lineStarts[0]!;
    edits.push({ start: at, end: at, text: items.map((i) => `${indent}- ${i}${eol}`).join("") });
  }
  return edits;
}

function unwrapEdits(text: string, loc: EntryLoc, sep: number): { edits: Edit[]; empty: boolean } {
  const args = loc.args!;
  const cmdItem = args.items[sep + 1]!;
  const edits: Edit[] = [{ ...loc.command, text: text.slice(cmdItem.start, cmdItem.end) }];
  const empty = args.items.length === sep + 2;
  if (args.kind === "flow") {
    let end: number;
    // Wiring inserted our items right after "[" (plus a comma when the list had items): remove exactly that.
    if (empty) end = cmdItem.end;
    else {
      end = skipGap(text, cmdItem.end, loc.comments);
      if (text[end] !== ",") throw new CannotWire("cannot find the comma after the wrapped command");
      end++;
    }
    edits.push({ start: args.open + 1, end, text: "" });
  } else {
    let end: number;
    if (!empty) end = args.lineStarts[sep + 2]!;
    else {
      const nl = text.indexOf("\n", cmdItem.end);
      end = nl < 0 ? text.length : nl + 1;
    }
    edits.push({ start: args.lineStarts[0]!, end, text: "" });
  }
  return { edits, empty };
}

function proxyPrefix(
  opts: WireTextOptions,
  entry: ServerEntry,
  mode: "record" | "enforce",
  keepEmptyArgs: boolean,
): string[] {
  // The names (never the values) of the env vars the client sets for this server: containment starts the
  // server with a scrubbed environment, and these must still reach it (a token the user configured).
  const envNames = Object.keys(entry.env ?? {}).sort();
  return [
    ...opts.self.slice(1),
    ...proxyFlags(opts, entry, mode, opts.otel === true),
    ...(envNames.length > 0 ? ["--server-env", envNames.join(",")] : []),
    ...(keepEmptyArgs ? [KEEP_EMPTY_ARGS_FLAG] : []),
    "--",
  ];
}

function remotePrefix(
  opts: WireTextOptions,
  entry: ServerEntry,
  mode: "record" | "enforce",
  transport: string,
  url: string,
): string[] {
  return [
    // Deno would export this URL with every request it traces: no telemetry for a URL that holds a secret.
    ...proxyFlags(opts, entry, mode, opts.otel === true && urlExposure(url) === undefined),
    REMOTE_FLAG,
    transport,
  ];
}

/** The proxy's own flags, the same for a stdio and a remote entry. */
function proxyFlags(
  opts: WireTextOptions,
  entry: ServerEntry,
  mode: "record" | "enforce",
  otel: boolean,
): string[] {
  return [
    "proxy",
    "--mode",
    mode,
    "--server",
    entry.name,
    ...(opts.policy ? ["--policy", opts.policy] : []),
    ...(opts.traceDir ? ["--trace-dir", opts.traceDir] : []),
    ...(opts.traceResults ? ["--trace-results"] : []),
    ...(otel ? ["--otel"] : []),
    ...(opts.lock ? ["--lock", opts.lock] : []),
  ];
}

function otelNote(opts: WireTextOptions, url: string | undefined): { note?: string } {
  const why = opts.otel && url !== undefined ? urlExposure(url) : undefined;
  return why ? { note: `no --otel: ${why}, and Deno's HTTP tracing would export it` } : {};
}

/** Rewrites a remote entry as a stdio entry that starts the proxy, which bridges to the URL. */
function wrapRemoteOne(
  text: string,
  opts: WireTextOptions,
  entry: ServerEntry,
  mode: "record" | "enforce",
): string {
  const spec = remoteSpec(entry, opts.client);
  const span = locateEntry(text, opts.format, entry.path);
  const argv = [...opts.self, ...remotePrefix(opts, entry, mode, spec.transport, spec.url)];
  const env = remoteEnv(spec, text.slice(span.start, span.end));
  const out = writeStdioEntry(text, opts.format, opts.client, span, entry, {
    argv,
    env,
    forwardEnv: spec.forwardEnv,
  });
  const after = findEntry(out, opts, entry.path);
  if (
    !after || after.wrapped?.remote?.transport !== spec.transport || after.url !== spec.url ||
    after.command !== argv[0] || !sameList(after.args, argv.slice(1))
  ) throw new CannotWire("the rewritten entry did not read back as the proxy command");
  const outside = outsideEntry(text, opts.format, entry.path);
  if (outside === undefined || outside !== outsideEntry(out, opts.format, entry.path)) {
    throw new CannotWire("rewriting the entry would change more than this entry");
  }
  return out;
}

/** Puts back the exact text a wired remote entry had. */
function unwrapRemoteOne(text: string, opts: WireTextOptions, entry: ServerEntry): string {
  const original = originalRemoteText(entry);
  const span = locateEntry(text, opts.format, entry.path);
  let out = text.slice(0, span.start) + original + text.slice(span.end);
  const restored = findEntry(out, opts, entry.path);
  // The user changed the URL while the entry was wired: keep that change.
  if (restored && entry.url !== undefined && restored.url !== entry.url) {
    out = setRemoteUrl(out, opts.format, entry.path, entry.url);
  }
  const after = findEntry(out, opts, entry.path);
  if (!after || after.transport !== "remote" || after.wrapped || after.url !== entry.url) {
    throw new CannotWire("restoring the entry did not give back the remote entry");
  }
  const outside = outsideEntry(text, opts.format, entry.path);
  if (outside === undefined || outside !== outsideEntry(out, opts.format, entry.path)) {
    throw new CannotWire("the kept original would change more than this entry: restore it from the backup");
  }
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function findEntry(text: string, opts: WireTextOptions, path: (string | number)[]): ServerEntry | undefined {
  const parsed = parseConfig(text, { format: opts.format, locators: opts.locators });
  const key = JSON.stringify(path);
  return parsed.servers.find((s) => JSON.stringify(s.path) === key);
}

function unwrapOne(text: string, opts: WireTextOptions, entry: ServerEntry): string {
  const info = parseWrapped(entry.command, entry.args)!;
  const loc = locate(text, opts.format, entry.path);
  if (!loc.args || loc.args.items.length !== entry.args.length) {
    throw new CannotWire("args list does not match");
  }
  const { edits, empty } = unwrapEdits(text, loc, info.separatorIndex);
  let out = applyAll(text, edits);
  if (empty && !info.keepEmptyArgs) {
    // The entry had no args before wiring (wiring added the key): drop the empty list again.
    const again = locate(out, opts.format, entry.path);
    out = again.removeEmptyArgs?.() ?? out;
  }
  const after = findEntry(out, opts, entry.path);
  if (
    !after || after.command !== info.original?.command || !sameList(after.args, info.original?.args ?? [])
  ) throw new CannotWire("restoring the entry did not give back the original command");
  return out;
}

function wrapOne(
  text: string,
  opts: WireTextOptions,
  entry: ServerEntry,
  mode: "record" | "enforce",
): string {
  let loc = locate(text, opts.format, entry.path);
  let base = text;
  // An explicit `args: []` is marked, so that --stop gives it back instead of dropping the key.
  const keepEmptyArgs = loc.args !== undefined && entry.args.length === 0;
  if (!loc.args) {
    if (!loc.addArgs) throw new CannotWire("cannot add an args list to this entry");
    base = loc.addArgs();
    loc = locate(base, opts.format, entry.path);
  }
  const prefix = proxyPrefix(opts, entry, mode, keepEmptyArgs);
  const out = applyAll(base, wrapEdits(base, loc, opts.self, prefix));
  const after = findEntry(out, opts, entry.path);
  const want = [...prefix, entry.command!, ...entry.args];
  if (!after || after.command !== opts.self[0] || !sameList(after.args, want)) {
    throw new CannotWire("the rewritten entry did not read back as the proxy command");
  }
  return out;
}

/**
 * Rewrites the stdio entries of one config text so they start the AgentPerms proxy (record / enforce), or
 * restores them from the original command stored after `--` (stop). Edits are targeted text edits: comments,
 * key order, indentation, line endings and every other entry and key stay as they are, and each edit is
 * verified by parsing the result again.
 *
 * @param text the config file's text
 * @param opts format, locators, mode, self command and proxy flags
 * @returns the new text and one result per entry
 */
export function wireText(text: string, opts: WireTextOptions): { text: string; results: WireResult[] } {
  const initial = parseConfig(text, { format: opts.format, locators: opts.locators });
  const results: WireResult[] = [];
  let cur = text;
  for (const e0 of initial.servers) {
    const base: WireResult = {
      server: e0.name,
      status: "skipped",
      ...(e0.project ? { project: e0.project } : {}),
    };
    if (e0.transport === "remote") {
      try {
        const entry = findEntry(cur, opts, e0.path)!;
        const wired = entry.wrapped?.remote !== undefined;
        if (opts.mode === "stop") {
          if (!wired) results.push({ ...base, status: "not-wrapped" });
          else {
            cur = unwrapRemoteOne(cur, opts, entry);
            results.push({ ...base, status: "restored" });
          }
        } else if (!wired) {
          cur = wrapRemoteOne(cur, opts, entry, opts.mode);
          results.push({ ...base, status: "wired", ...otelNote(opts, entry.url) });
        } else {
          const want = [
            ...opts.self.slice(1),
            ...remotePrefix(opts, entry, opts.mode, entry.wrapped!.remote!.transport, entry.url ?? ""),
          ];
          if (entry.command === opts.self[0] && sameList(entry.args, want)) {
            results.push({ ...base, status: "unchanged" });
            continue;
          }
          const plain = unwrapRemoteOne(cur, opts, entry);
          cur = wrapRemoteOne(plain, opts, findEntry(plain, opts, entry.path)!, opts.mode);
          results.push({ ...base, status: "rewired", ...otelNote(opts, entry.url) });
        }
      } catch (e) {
        if (!(e instanceof CannotWire) && !(e instanceof CannotWireRemote)) throw e;
        results.push({ ...base, reason: `not wired (${e.message})` });
      }
      continue;
    }
    const entry = findEntry(cur, opts, e0.path);
    const type = (e0.raw as Record<string, unknown>).type;
    if (type === "builtin" || type === "platform" || type === "frontend") {
      results.push({ ...base, reason: "not wired (built-in extension)" });
      continue;
    }
    if (!entry || entry.command === undefined) {
      results.push({ ...base, reason: "not wired (no command to wrap)" });
      continue;
    }
    const wrapped = parseWrapped(entry.command, entry.args);
    try {
      if (opts.mode === "stop") {
        if (!wrapped) results.push({ ...base, status: "not-wrapped" });
        else {
          cur = unwrapOne(cur, opts, entry);
          results.push({ ...base, status: "restored" });
        }
        continue;
      }
      if (wrapped) {
        const prefix = proxyPrefix(opts, entry, opts.mode, wrapped.keepEmptyArgs);
        if (
          entry.command === opts.self[0] && sameList(entry.args.slice(0, wrapped.separatorIndex + 1), prefix)
        ) {
          results.push({ ...base, status: "unchanged" });
          continue;
        }
        const plain = unwrapOne(cur, opts, entry);
        const plainEntry = findEntry(plain, opts, entry.path)!;
        cur = wrapOne(plain, opts, plainEntry, opts.mode);
        results.push({ ...base, status: "rewired" });
      } else {
        const rawCommand = (entry.raw as Record<string, unknown>).command;
        if (Array.isArray(rawCommand)) {
          throw new CannotWire("the command is a list; wiring it is not supported yet");
        }
        if (typeof rawCommand === "object" && rawCommand !== null) {
          throw new CannotWire("legacy command object (move path/args/env up to the entry)");
        }
        cur = wrapOne(cur, opts, entry, opts.mode);
        results.push({ ...base, status: "wired" });
      }
    } catch (e) {
      if (!(e instanceof CannotWire)) throw e;
      results.push({ ...base, reason: `not wired (${e.message})` });
    }
  }
  return { text: cur, results };
}
