import { isOptionShaped, optionKeyClass, optionValues, runsProgram } from "./read_option.ts";
import {
  isAnchoredPath,
  isBaseKey,
  isNameKey,
  MAX_EMBEDDED_JSON_CHARS,
  MAX_EMBEDDED_JSON_LEVELS,
  readEmbeddedJson,
  splitPathList,
} from "./read_placement.ts";
import { readShell } from "./read_shell.ts";
import { type ResolvedPath, type ResolveOptions, resolvePath } from "./resolve_path.ts";
import {
  HOST_PORT_REGEXP,
  looksLikeUrl,
  normalizedStart,
  type ResolvedUrl,
  resolveUrlReadings,
  urlText,
} from "./resolve_url.ts";

/** Which side sent the message: the client (agent) or the server. */
export type Direction = "client" | "server";

/** A raw call to canonicalize: what a JSON-RPC request says, plus which server it is for. */
export interface RawCall {
  /** The policy's name for the server (the client config's entry name). */
  server: string;
  /** JSON-RPC method, default `tools/call`. */
  method?: string;
  /** Tool name (for `tools/call`); for other methods it is taken from `params`. */
  tool?: string;
  /** Tool arguments (for `tools/call`). */
  arguments?: unknown;
  /** Full JSON-RPC params, when the call came from a message. */
  params?: unknown;
  /** Who sent it. Default client. */
  direction?: Direction;
}

/** A value found somewhere in the arguments. */
export interface FoundValue {
  /** JSON pointer into the arguments (`/paths/1`). */
  pointer: string;
  /** The nearest object key above the value (`paths`). */
  key: string;
}

/**
 * A path argument, resolved. `denyOnly` marks a bare word of a command (`secrets/x`, `.env`) that may name a
 * file or may be a ref or a script: denied paths and patterns judge it, allowlists do not.
 */
export type CanonicalPath = ResolvedPath & FoundValue & { denyOnly?: boolean };
/** A value whose meaning is only known when it runs (`$VAR`, `$(…)`, `eval`, `cd $X`): it proves nothing. */
export interface UnprovenValue extends FoundValue {
  /** Why it cannot be read before it runs. */
  reason: string;
}
/** A URL or host argument, resolved. */
export type CanonicalUrl = ResolvedUrl & FoundValue;
/** A ref-like argument (branch, revision, target) kept for the option-injection guard. */
export interface CanonicalRef extends FoundValue {
  /** The value as given. */
  value: string;
}

/** The one canonical form of a call that `decide()` judges. */
export interface CanonicalCall {
  /** Server name. */
  server: string;
  /** JSON-RPC method. */
  method: string;
  /** Who sent it. */
  direction: Direction;
  /** Tool name (tools/call) or prompt name (prompts/get); undefined otherwise. */
  tool?: string;
  /** Every path found anywhere in the arguments. */
  paths: CanonicalPath[];
  /** Every URL or host found anywhere in the arguments. */
  urls: CanonicalUrl[];
  /** Ref-like values (branch, revision, target...). */
  refs: CanonicalRef[];
  /**
   * Values a program would read as a command-line option (`-x`, `--upload-pack=…`): option-shaped values of
   * operand arguments (ref, branch, target, host, url, file, path, name…) on any server, and of every argument
   * but free text on a server that runs a program (git, kubectl, docker, ssh, curl, npm, rsync…).
   */
  options: CanonicalRef[];
  /** URLs with the `file:` scheme given where a network URL was expected. */
  fileUrls: FoundValue[];
  /**
   * Values that reach something only known when they run (a shell command's `$VAR`, `$(…)`, `eval`, a `cd`
   * to an unknown folder): a policy that limits paths or hosts cannot prove such a call safe.
   */
  unproven: UnprovenValue[];
  /** Set when the call is malformed (wrong types, too deep): always denied. */
  malformed?: string;
  /**
   * For method `deno/permission` (a Deno permission-broker check from a contained server): what the runtime
   * asked for. Paths are also in `paths` (realpath-resolved), hosts in `urls`.
   */
  permission?: PermissionRequest;
}

/** One permission check a Deno process asked its broker about (DENO_NOTES §2.2). */
export interface PermissionRequest {
  /** Permission kind: read, write, net, env, run, sys, ffi or import. */
  kind: string;
  /** The value as Deno sent it (a path, `host:port`, an env name); null when Deno gave none. */
  value: string | null;
}

/** Options for {@link canonicalizeCall}. */
export interface CanonicalizeOptions extends ResolveOptions {
  /** The tool's `inputSchema`, when known from `tools/list`; adds `format: uri` and path-described fields. */
  inputSchema?: unknown;
  /** The tool's description, when known from `tools/list`: a tool that says it runs a program is one. */
  toolDescription?: string;
}

const MAX_DEPTH = 64;
const MAX_VALUES = 20_000;
/** Folder arguments read per object (`dir`, `cwd`, `repo_path`…); more than this is not a real call. */
const MAX_BASES = 4;

const PATH_KEYS = new Set([
  "path",
  "paths",
  "file",
  "files",
  "filename",
  "filenames",
  "filepath",
  "filepaths",
  "dir",
  "dirs",
  "directory",
  "directories",
  "folder",
  "folders",
  "root",
  "roots",
  "cwd",
  "workdir",
  "workingdirectory",
  "source",
  "sources",
  "destination",
  "destinations",
  "dest",
  "src",
  "location",
  "attachment",
  "attachments",
  "savepath",
  "outputpath",
  "inputpath",
  "mediapath",
  "repopath",
  "outdir",
  "outfile",
  "infile",
  "from",
  "to",
]);
const URL_KEYS = new Set([
  "url",
  "urls",
  "uri",
  "uris",
  "href",
  "link",
  "links",
  "endpoint",
  "webhook",
  "callback",
]);
const HOST_KEYS = new Set(["host", "hostname", "hosts", "domain", "server_host"]);
const REF_KEYS = new Set([
  "ref",
  "refs",
  "branch",
  "branchname",
  "branches",
  "revision",
  "rev",
  "target",
  "commit",
  "tag",
  "base",
  "head",
  "refspec",
  "sha",
  "startpoint",
  // mcp-server-git: git_create_branch base_branch, git_branch contains / not_contains (CVE-2025-68144 class).
  "basebranch",
  "contains",
  "notcontains",
  "treeish",
  "remote",
  "upstream",
  "object",
]);
const CONTENT_KEYS = new Set([
  "content",
  "contents",
  "body",
  "text",
  "sql",
  "query",
  "message",
  "messages",
  "description",
  "title",
  "comment",
  "comments",
  "prompt",
  "code",
  "html",
  "markdown",
  "note",
  "notes",
  "summary",
  "subject",
  "diff",
  "patch",
  "newtext",
  "oldtext",
  "newstr",
  "oldstr",
  "data",
  "value",
  "input",
  "instructions",
  "search",
  "pattern",
  "regex",
  "excludepatterns",
]);
const COMMAND_KEYS = new Set([
  "command",
  "cmd",
  "commands",
  "script",
  "shell",
  "commandline",
]);
/**
 * Keys whose text is written or shown as is (file contents, messages): a JSON document there is data for the
 * file (`package.json`'s `files`, `tsconfig.json`'s `outDir`), not arguments, so it is not parsed.
 */
const WRITTEN_TEXT_KEYS = new Set([
  "content",
  "contents",
  "body",
  "text",
  "data",
  "code",
  "html",
  "markdown",
  "message",
  "messages",
  "description",
  "title",
  "comment",
  "comments",
  "note",
  "notes",
  "summary",
  "prompt",
  "diff",
  "patch",
  "newtext",
  "oldtext",
  "newstr",
  "oldstr",
  "newcontent",
  "filecontent",
  "filetext",
]);
/** Keys whose strings are argv elements, handed to a program without a shell. */
const ARGV_KEYS = new Set(["args", "argv", "arguments"]);

const PATH_START_REGEXP =
  /^(?:~(?:$|[\\/\u2215\u2216])|\/|\.{1,2}(?:$|[\\/\u2215\u2216\u00a5\u20a9])|\$HOME\b|\$\{HOME\}|%USERPROFILE%|%HOME%|[A-Za-z]:[\\/\u2215\u2216\u00a5\u20a9]|\\\\|\\\?\?\\|[\u2215\u2216]|file:)/i;
const MAILTO_REGEXP = /^[^\s@]+@[^\s@]+$/;
const NAMED_MAILTO_REGEXP = /^[^<>]*<([^<>]+)>$/;
/** Longer than any host a resolver accepts (253 characters, or an IDN's percent-encoded or Unicode form). */
const MAX_HOST_CHARS = 2048;

/**
 * True when `from` / `to` holds mail addresses (`a@b.io`, `Ann <a@b.io>`, several split by `,` or `;`), which
 * are not paths. Anything else under those keys is judged as a path, relative ones included (`.ssh/id_rsa`).
 */
function isMailRecipients(s: string): boolean {
  const parts = s.split(/[,;]/).map((p) => p.trim()).filter((p) => p !== "");
  // Nothing a path could use to leave the working directory, display name included ("../x/<a@b.c>"): no
  // separator, no leading ~ $ % or dot.
  return parts.length > 0 && parts.every((p) =>
    !/[\\/]/.test(p) && !/^[~$%.]/.test(p) &&
    MAILTO_REGEXP.test(NAMED_MAILTO_REGEXP.exec(p)?.[1]?.trim() ?? p)
  );
}

function isPathLikeKey(k: string): boolean {
  if (k === "profile" || k === "direction") return false;
  return /(?:path|paths|file|files|filename|filenames|dir|dirs|directory|directories|folder|folders)$/.test(
    k,
  ) ||
    /^(?:file|path|folder|dirpath|dirname)/.test(k);
}

function normKey(k: string): string {
  return k.toLowerCase().replace(/[-_\s]/g, "");
}

/**
 * A call with nothing found in it yet: what `canonicalizeCall` starts from, and the whole call for messages
 * that carry no data (lifecycle, lists, server-to-client requests, a tool name judged on its own).
 * @param server the server's policy name
 * @param method the JSON-RPC method
 * @param direction who sent it
 * @returns a call with no paths, URLs or refs
 */
export function bareCall(server: string, method: string, direction: Direction): CanonicalCall {
  return {
    server,
    method,
    direction,
    paths: [],
    urls: [],
    refs: [],
    options: [],
    fileUrls: [],
    unproven: [],
  };
}

/**
 * True when a bare string clearly names a filesystem location.
 * @param s a string value
 * @returns whether to judge it as a path
 */
export function looksLikePath(s: string): boolean {
  const t = s.trim().replace(/^["'`]/, "");
  // NFKC never produces or removes a newline, so the raw string can be searched for one.
  return t.length > 0 && !t.includes("\n") && PATH_START_REGEXP.test(normalizedStart(t));
}

/**
 * The words of a command string split at every quote and operator: a second reading beside the parser's,
 * which finds `/etc/passwd` inside `python -c "open('/etc/passwd')"` and in here-document data. A word with
 * `=` also gives what follows it.
 */
function quoteSplitWords(s: string): string[] {
  const out = new Set<string>();
  for (const t of s.split(/[\s;|&<>()`'"]+/)) {
    if (t.length === 0) continue;
    out.add(t);
    const eq = t.indexOf("=");
    if (eq > 0 && eq < t.length - 1) out.add(t.slice(eq + 1));
  }
  return [...out];
}

/**
 * Characters of command text one call may read: the parser and its tree walk cost about 6 ms a kilobyte (GopherJS),
 * so past this a command is not read and proves nothing. TODO(#16): walk the tree without syntax.Walk.
 */
const MAX_SHELL_CHARS = 16 * 1024;

/**
 * Finds every path, URL, host and ref in a call's arguments, anywhere in the tree, and resolves them.
 * Content-like keys (content, body, text, sql, query...) are not read as paths; command strings are split
 * into shell words and each path-like word is judged.
 *
 * @param raw the call: server, method, tool, arguments or params
 * @param opts cwd, home, realpath and optionally the tool's input schema
 * @returns the canonical call
 */
export function canonicalizeCall(raw: RawCall, opts: CanonicalizeOptions): CanonicalCall {
  const method = raw.method ?? "tools/call";
  const call = bareCall(raw.server, method, raw.direction ?? "client");
  let args: unknown = raw.arguments;
  const params = raw.params;
  if (params !== undefined && (params === null || typeof params !== "object" || Array.isArray(params))) {
    call.malformed = "params is not an object";
    return call;
  }
  const p = (params ?? {}) as Record<string, unknown>;
  if (method === "tools/call" || method === "prompts/get") {
    const name = raw.tool ?? p.name;
    if (typeof name !== "string") {
      call.malformed = `${method === "tools/call" ? "tool" : "prompt"} name is missing or not a string`;
      return call;
    }
    call.tool = name;
    if (args === undefined) args = p.arguments;
  } else if (method === "resources/read" || method === "resources/subscribe") {
    if (typeof p.uri !== "string") {
      call.malformed = "resource uri is missing or not a string";
      return call;
    }
    args = { uri: p.uri };
  } else if (method === "completion/complete") {
    const ref = (p.ref ?? {}) as Record<string, unknown>;
    const argument = (p.argument ?? {}) as Record<string, unknown>;
    const context = ((p.context ?? {}) as Record<string, unknown>).arguments ?? {};
    args = {
      ...(typeof ref.uri === "string" ? { uri: ref.uri } : {}),
      ...(typeof argument.name === "string" ? { [argument.name]: argument.value } : {}),
      context,
    };
    if (typeof ref.name === "string") call.tool = ref.name;
  } else if (args === undefined) {
    args = params;
  }
  if (args === undefined || args === null) args = {};
  if (typeof args !== "object" || Array.isArray(args)) {
    call.malformed = "arguments is not an object";
    return call;
  }
  const schemaProps = schemaHints(opts.inputSchema);
  let count = 0;
  const uriIsPath = method === "resources/read" || method === "resources/subscribe" ||
    method === "completion/complete";

  const shellBudget = { chars: MAX_SHELL_CHARS };
  // File-system look-ups are cached for the call: a list of paths under one folder asks about it once.
  opts = { ...opts, ...cachedHostFunctions(opts) };
  const pushUrls = (s: string, found: FoundValue, bareHost: boolean) => {
    for (const u of resolveUrlReadings(s, { bareHost })) call.urls.push({ ...u, ...found });
  };

  const schemaDescription = (opts.inputSchema as { description?: unknown } | undefined)?.description;
  const onProgram = runsProgram(
    raw.server,
    call.tool,
    opts.toolDescription ?? (typeof schemaDescription === "string" ? schemaDescription : undefined),
  );

  const jsonBudget = { chars: MAX_EMBEDDED_JSON_CHARS };
  const visitString = (s: string, pointer: string, key: string, hint: string | undefined, at: Place) => {
    const k = normKey(key);
    const found = { pointer, key };
    if (at.jsonLevel < MAX_EMBEDDED_JSON_LEVELS && !WRITTEN_TEXT_KEYS.has(k)) {
      // A JSON document inside a string (`{"config": "{\"path\": \"/etc/passwd\"}"}`): a server that parses
      // it reads its values, so they are read here too, under the same key, budget and depth limits.
      const doc = readEmbeddedJson(s, jsonBudget);
      if (doc !== undefined) {
        walk(doc, `${pointer}/(json)`, key, at.depth + 1, hint, { ...at, jsonLevel: at.jsonLevel + 1 });
      }
    }
    if (REF_KEYS.has(k)) call.refs.push({ ...found, value: s });
    let optionRead = false;
    if (isOptionShaped(s) && !ARGV_KEYS.has(k) && !COMMAND_KEYS.has(k)) {
      const cls = optionKeyClass(key, onProgram);
      if (cls === "operand" || (cls === "other" && onProgram)) call.options.push({ ...found, value: s });
      if (cls !== "free") {
        // `--output=/tmp/x`, `-o/etc/passwd`, `--url=http://…`: what the option carries is judged too.
        optionRead = true;
        for (const w of optionValues(s)) {
          if (looksLikePath(w)) call.paths.push({ ...resolveArgPath(w, opts), ...found });
          else if (looksLikeUrl(w)) pushUrls(w, found, false);
        }
      }
    }
    if (HOST_KEYS.has(k)) {
      if (!bareHostTooLong(s)) pushUrls(s, found, true);
      return;
    }
    const isUrlKey = URL_KEYS.has(k) || k.endsWith("url") || k.endsWith("uri") || hint === "url";
    if (isUrlKey || looksLikeUrl(s)) {
      if (/^file:/i.test(normalizedStart(urlText(s.trim())))) {
        if (isUrlKey && !(uriIsPath || k.endsWith("uri")) && hint !== "path") call.fileUrls.push(found);
        call.paths.push({ ...resolveArgPath(s, opts), ...found });
        return;
      }
      if (looksLikeUrl(s)) {
        // Every reading a client could make (WHATWG, Python's urlsplit): each host is judged.
        pushUrls(s, found, false);
        return;
      }
      // Not a URL, yet under a URL key or schema hint: a path there is still a path (`{"uri":"/etc/passwd"}`
      // opens a file on many servers), and anything else is read as a bare host, as fetch tools that add
      // "https://" read it (`localhost:3000/x` is a host and a port, `//evil.com` a host). Neither way may it
      // go unjudged.
      const pathKey = PATH_KEYS.has(k) || isPathLikeKey(k) || hint === "path";
      const t = urlText(s.trim());
      if (looksLikePath(s)) {
        call.paths.push({ ...resolveArgPath(s, opts), ...found });
        // `//host/x`, `\\host\share`, `\/host`: a path to some, a host to a client that adds a scheme.
        if (!pathKey && /^[\\/]{2}/.test(t) && !bareHostTooLong(s)) pushUrls(s, found, true);
        return;
      }
      if (!pathKey) {
        if (bareHostTooLong(s)) return;
        // `mailto:`, `urn:`, `data:`: a scheme, read by WHATWG (a host of "" when it has none); `host:port`
        // and anything without a colon: a bare host.
        const scheme = /^[a-z][a-z0-9+.-]*:/i.test(t) && !HOST_PORT_REGEXP.test(t);
        pushUrls(s, found, !scheme);
        return;
      }
    }
    if (ARGV_KEYS.has(k)) {
      // One argv element: passed to the program as is, never through a shell.
      const flagValue = /^--?[A-Za-z][\w-]*=(.*)$/s.exec(s)?.[1];
      for (const w of flagValue === undefined ? [s] : [s, flagValue]) {
        if (looksLikePath(w)) call.paths.push({ ...resolveArgPath(w, opts), ...found });
        else if (looksLikeUrl(w)) pushUrls(w, found, false);
      }
      return;
    }
    if (COMMAND_KEYS.has(k)) {
      const sh = readShell(s, { budget: shellBudget });
      if (sh.error !== undefined) {
        // A shell runs what it can read before it reports the error, so an unreadable command is not judged
        // on half of its words: fail closed.
        call.malformed ??= `the command at ${pointer} cannot be read as a shell would read it: ${sh.error}`;
        return;
      }
      for (const why of sh.dynamic) call.unproven.push({ ...found, reason: why });
      for (const p of sh.paths) {
        // A `cwd` / `workdir` argument beside the command is where it runs: relative words are judged there,
        // and in the server's own folder for denied paths and patterns only.
        const start = at.bases.length === 0 ? [opts.cwd] : at.bases.map((b) => b.forms[0] ?? opts.cwd);
        const anchored = /^(?:~|\/|\$HOME\b)/.test(p.word);
        const readings = p.bases.length === 0 || anchored ? start : [
          ...start,
          ...start.flatMap((c) => p.bases.map((b) => resolveArgPath(b, { ...opts, cwd: c }).forms[0] ?? c)),
        ];
        for (const cwd of new Set(readings)) {
          const r = { ...resolveArgPath(p.word, { ...opts, cwd }), ...found };
          call.paths.push(p.denyOnly ? { ...r, denyOnly: true } : r);
        }
        if (at.bases.length > 0 && !anchored) {
          call.paths.push({ ...resolveArgPath(p.word, opts), ...found, denyOnly: true });
        }
      }
      for (const u of sh.urls) if (looksLikeUrl(u)) pushUrls(u, found, false);
      if (sh.dynamic.some((d) => d.startsWith("the command is too long"))) return;
      const seen = new Set(sh.paths.map((p) => p.word));
      for (const tok of quoteSplitWords(s)) {
        if (seen.has(tok)) continue;
        if (looksLikePath(tok)) call.paths.push({ ...resolveArgPath(tok, opts), ...found });
        else if (looksLikeUrl(tok)) pushUrls(tok, found, false);
      }
      return;
    }
    if (at.bases.length > 0 && isNameKey(k) && s.trim() !== "" && !isAnchoredPath(s)) {
      // `savePath` + `filename`, `dir` + `name`, `repo_path` + `files[]`, `cwd` + `path`: the server joins the
      // name onto the folder, so that is the reading every rule judges. The working-directory reading is
      // kept for denied paths and patterns only (a server that ignores the folder).
      for (const base of at.bases) {
        for (const cwd of base.forms) call.paths.push({ ...resolveArgPath(s, { ...opts, cwd }), ...found });
      }
      call.paths.push({ ...resolveArgPath(s, opts), ...found, denyOnly: true });
      for (const piece of splitPathList(s)) {
        if (++count > MAX_VALUES) throw new TooLarge("arguments hold too many values");
        for (const base of at.bases) {
          const cwd = isAnchoredPath(piece) ? opts.cwd : base.forms[0] ?? opts.cwd;
          call.paths.push({ ...resolveArgPath(piece, { ...opts, cwd }), ...found });
        }
      }
      return;
    }
    if (CONTENT_KEYS.has(k) && hint !== "path") return;
    const isPathKey = hint === "path" || PATH_KEYS.has(k) || isPathLikeKey(k);
    if (isPathKey && (k === "from" || k === "to") && isMailRecipients(s)) return; // not paths
    if (isPathKey && s.trim() !== "") {
      call.paths.push({ ...resolveArgPath(s, opts), ...found });
      // `"a.txt,/etc/passwd"`, one path a line, `PATH`-style `src:/home/u/.ssh`: a server that splits the
      // value opens each piece.
      for (const piece of splitPathList(s)) {
        if (++count > MAX_VALUES) throw new TooLarge("arguments hold too many values");
        call.paths.push({ ...resolveArgPath(piece, opts), ...found });
      }
      return;
    }
    const flagValue = optionRead ? undefined : /^--?[A-Za-z][\w-]*=(.*)$/s.exec(s)?.[1];
    if (looksLikePath(s)) call.paths.push({ ...resolveArgPath(s, opts), ...found });
    else if (flagValue !== undefined && looksLikePath(flagValue)) {
      call.paths.push({ ...resolveArgPath(flagValue, opts), ...found });
    }
  };

  function walk(
    v: unknown,
    pointer: string,
    key: string,
    depth: number,
    hint: string | undefined,
    at: Place,
  ): void {
    if (++count > MAX_VALUES) throw new TooLarge("arguments hold too many values");
    if (depth > MAX_DEPTH) throw new TooLarge("arguments are nested too deeply");
    const here = { ...at, depth };
    if (typeof v === "string") visitString(v, pointer, key, hint, here);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${pointer}/${i}`, key, depth + 1, hint, at));
    else if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      // A folder argument applies to the name arguments beside it (and inside them: `files[]`).
      const bases = entries.filter(([k, x]) =>
        typeof x === "string" && x.trim() !== "" && isBaseKey(normKey(k))
      )
        // At most MAX_BASES folders per object: every name is read once per folder, so the cost stays linear.
        .slice(0, MAX_BASES).map(([, x]) => resolveArgPath(x as string, opts));
      const inner = bases.length > 0 ? { ...at, bases } : at;
      const pathParent = PATH_KEYS.has(normKey(key)) || isPathLikeKey(normKey(key));
      const textParent = CONTENT_KEYS.has(normKey(key));
      for (const [k, x] of entries) {
        const kp = `${pointer}/${escapePointer(k)}`;
        // A key can be the path (`{"files": {"/home/u/.bashrc": "…"}}`): one that starts like a path anywhere
        // but in text, and one with a separator or a dot under a path-like key (`{"files": {"../x": …}}`).
        if (!textParent && (looksLikePath(k) || (pathParent && /[\/.~]/.test(k)))) {
          if (++count > MAX_VALUES) throw new TooLarge("arguments hold too many values");
          visitString(k, kp, key === "" ? "path" : key, "path", { ...inner, depth });
        }
        walk(
          x,
          kp,
          k,
          depth + 1,
          depth === 0 ? schemaProps.get(k) : undefined,
          isNameKey(normKey(k)) || COMMAND_KEYS.has(normKey(k)) ? inner : at,
        );
      }
    }
  }
  try {
    walk(args, "", "", 0, undefined, { depth: 0, jsonLevel: 0, bases: [] });
  } catch (e) {
    if (e instanceof TooLarge) call.malformed = e.message;
    else throw e;
  }
  // A path with a reading no rule can be checked against (a Windows device, a share on this machine): the
  // call cannot be proven safe.
  for (const p of call.paths) {
    if (p.unproven !== undefined) call.unproven.push({ pointer: p.pointer, key: p.key, reason: p.unproven });
  }
  return call;
}

class TooLarge extends Error {}

/**
 * The longest path value read: no OS opens a path past PATH_MAX (4,096 bytes on Linux, 1,024 on macOS),
 * so a value many times that long is no path a server can use as given, and reading every form of it costs
 * seconds on a multi-megabyte value. It cannot be proven safe: the call is refused as malformed.
 */
const MAX_PATH_CHARS = 32 * 1024;

function resolveArgPath(input: string, opts: ResolveOptions): ResolvedPath {
  if (input.length > MAX_PATH_CHARS) {
    throw new TooLarge(
      `a path value is ${input.length} characters long, past what any OS opens (${MAX_PATH_CHARS})`,
    );
  }
  return resolvePath(input, opts);
}

/** Where the walk is: its depth, how many JSON-in-a-string levels down, and the folder arguments around it. */
interface Place {
  depth: number;
  jsonLevel: number;
  bases: ResolvedPath[];
}

/**
 * True when the part of a value before any `/ \\ ? #` is too long to be a host: parsing 5 MB of text as a host
 * percent-encodes all of it (about 0.9 s), and no host is that long. Measured as a URL parser reads it: C0
 * controls at the ends and tabs and newlines inside do not count.
 */
function bareHostTooLong(s: string): boolean {
  const t = urlText(s.trim());
  const h = /[\t\n\r]/.test(t) ? t.replace(/[\t\n\r]/g, "") : t;
  const hostEnd = h.replace(/^[\\/]+/, "").search(/[/\\?#]/);
  return (hostEnd === -1 ? h.length : hostEnd) > MAX_HOST_CHARS;
}

/**
 * The call's own cache of the host functions: one realpath (and password-database) look-up per distinct
 * value, however many paths share a folder.
 */
function cachedHostFunctions(opts: CanonicalizeOptions): Pick<CanonicalizeOptions, "realpath" | "userHome"> {
  const rp = opts.realpath;
  const uh = opts.userHome ?? (rp as { userHome?: (n: string) => string | undefined } | undefined)?.userHome;
  const memo = <T>(f: (x: string) => T) => {
    const seen = new Map<string, T>();
    return (x: string): T => {
      if (seen.has(x)) return seen.get(x)!;
      const v = f(x);
      seen.set(x, v);
      return v;
    };
  };
  return { realpath: rp && memo(rp), userHome: uh && memo(uh) };
}

function escapePointer(k: string): string {
  return k.replaceAll("~", "~0").replaceAll("/", "~1");
}

function schemaHints(schema: unknown): Map<string, string> {
  const hints = new Map<string, string>();
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!props || typeof props !== "object") return hints;
  for (const [name, raw] of Object.entries(props)) {
    const s = raw as { format?: unknown; description?: unknown; items?: { format?: unknown } };
    const format = s?.format ?? s?.items?.format;
    if (format === "uri" || format === "uri-reference" || format === "url" || format === "iri") {
      hints.set(name, "url");
    } else if (
      typeof s?.description === "string" && /\b(path|file|directory|folder)s?\b/i.test(s.description)
    ) {
      hints.set(name, "path");
    }
  }
  return hints;
}
