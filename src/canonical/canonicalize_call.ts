import { CONTENT_KEYS, isCommandKey, isPathLikeKey, normKey, PATH_KEYS } from "./argument_keys.ts";
import { looksLikePath } from "./looks_like_path.ts";
import { runsProgram } from "./read_option.ts";
import { isBaseKey, isNameKey, MAX_EMBEDDED_JSON_CHARS } from "./read_placement.ts";
import { type ResolvedPath, type ResolveOptions, resolvePath } from "./resolve_path.ts";
import { type ResolvedUrl, resolveUrlReadings } from "./resolve_url.ts";
import type { Place, Sink } from "./readers/reader.ts";
import { READERS } from "./readers/readers.ts";

export { looksLikePath };

/** Which side sent the message: the client (agent) or the server. */
export type Direction = "client" | "server";

/**
 * A raw call to canonicalize, the one shape every caller hands over: the proxy builds it from a JSON-RPC
 * message (`{ server, method, params }`); `check`, `check --session`, attack packs and `replay` read it from
 * JSON with `rawCallOf` (`{ server, tool, arguments }` or `{ server, method, params }`); `infer` builds it from
 * a trace event.
 */
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
  const countOne = () => {
    if (++count > MAX_VALUES) throw new TooLarge("arguments hold too many values");
  };
  // File-system look-ups are cached for the call: a list of paths under one folder asks about it once.
  const callOpts: CanonicalizeOptions = { ...opts, ...cachedHostFunctions(opts) };
  const schemaDescription = (opts.inputSchema as { description?: unknown } | undefined)?.description;
  const facts = {
    uriIsPath: method === "resources/read" || method === "resources/subscribe" ||
      method === "completion/complete",
    onProgram: runsProgram(
      raw.server,
      call.tool,
      opts.toolDescription ?? (typeof schemaDescription === "string" ? schemaDescription : undefined),
    ),
  };

  const sink: Sink = {
    opts: callOpts,
    shellBudget: { chars: MAX_SHELL_CHARS },
    jsonBudget: { chars: MAX_EMBEDDED_JSON_CHARS },
    path(value, at, how = {}) {
      const base = how.cwd === undefined ? callOpts : { ...callOpts, cwd: how.cwd };
      const opts = how.exact ? { ...base, exact: true } : base;
      const p: CanonicalPath = { ...resolveArgPath(value, opts), pointer: at.pointer, key: at.key };
      call.paths.push(how.denyOnly ? { ...p, denyOnly: true } : p);
    },
    resolve: (value, cwd) => resolveArgPath(value, cwd === undefined ? callOpts : { ...callOpts, cwd }),
    url(value, at, bareHost) {
      for (const u of resolveUrlReadings(value, { bareHost })) {
        call.urls.push({ ...u, pointer: at.pointer, key: at.key });
      }
    },
    ref: (value, at) => void call.refs.push({ pointer: at.pointer, key: at.key, value }),
    option: (value, at) => void call.options.push({ pointer: at.pointer, key: at.key, value }),
    fileUrl: (at) => void call.fileUrls.push({ pointer: at.pointer, key: at.key }),
    unproven: (reason, at) => void call.unproven.push({ pointer: at.pointer, key: at.key, reason }),
    malformed(reason) {
      call.malformed ??= reason;
    },
    walk(doc, at) {
      walk(doc, `${at.pointer}/(json)`, at.key, at.depth + 1, at.hint, {
        depth: at.depth,
        jsonLevel: at.jsonLevel + 1,
        bases: at.bases,
      });
    },
    count: countOne,
  };

  /** A string value (or an object key read as a path) through the table of readers, top to bottom. */
  const visitString = (s: string, pointer: string, key: string, hint: string | undefined, at: WalkPlace) => {
    const place: Place = { pointer, key, k: normKey(key), hint, ...at, call: facts };
    for (const reader of READERS) {
      if (reader.matches(s, place) && reader.read(s, place, sink) === "done") return;
    }
  };

  function walk(
    v: unknown,
    pointer: string,
    key: string,
    depth: number,
    hint: string | undefined,
    at: WalkPlace,
  ): void {
    countOne();
    if (depth > MAX_DEPTH) throw new TooLarge("arguments are nested too deeply");
    const here = { ...at, depth };
    if (typeof v === "string") visitString(v, pointer, key, hint, here);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${pointer}/${i}`, key, depth + 1, hint, at));
    else if (v !== null && typeof v === "object") {
      const entries = Object.entries(v);
      // `{"base": "main", "Base": "prod"}`: Go's encoding/json and other readers match names without case and
      // keep the last, so the server could act on a value other than the one judged.
      const clash = entries.length > 1 ? foldedKeyClash(entries) : undefined;
      if (clash) {
        throw new TooLarge(
          `argument keys "${clash[0]}" and "${clash[1]}" differ only in case (a server may read either)`,
        );
      }
      // A folder argument applies to the name arguments beside it (and inside them: `files[]`).
      const bases = entries.filter(([k, x]) => typeof x === "string" && x.trim() !== "" && traitsOf(k).base)
        // At most MAX_BASES folders per object: every name is read once per folder, so the cost stays linear.
        .slice(0, MAX_BASES).map(([, x]) => resolveArgPath(x as string, callOpts));
      // `{"path": "~", "recursive": true}`: the tool works on the folder's whole tree.
      const recursive = entries.some(([k, x]) => traitsOf(k).recursive && (x === true || x === "true"));
      const inner = bases.length > 0 ? { ...at, bases } : at;
      // `{"path": "~", "pattern": "**/id_rsa"}`: a search lists what the glob matches under its root, so the
      // joined glob is judged by denied paths and patterns (a search pattern may also be plain text).
      const roots = entries.filter(([k, x]) => typeof x === "string" && traitsOf(k).searchRoot);
      for (const [k, x] of entries) {
        if (typeof x !== "string" || !traitsOf(k).searchGlob || x.length > 4096) continue;
        if (!/[*?[\/]/.test(x) || /^\s*(?:[\/~]|[A-Za-z]:)/.test(x)) continue;
        for (const [, r] of roots.slice(0, MAX_BASES)) {
          countOne();
          sink.path(`${(r as string).replace(/[\\/]+$/, "")}/${x}`, {
            pointer: `${pointer}/${escapePointer(k)}`,
            key: k,
            k: normKey(k),
            ...at,
            depth,
            call: facts,
          }, { denyOnly: true });
        }
      }
      const parent = traitsOf(key);
      const pathParent = parent.pathKey;
      const textParent = parent.contentKey;
      for (const [k, x] of entries) {
        const kp = `${pointer}/${escapePointer(k)}`;
        // A key can be the path (`{"files": {"/home/u/.bashrc": "…"}}`): one that starts like a path anywhere
        // but in text, one with a separator or a dot under a path-like key (`{"files": {"../x": …}}`), and a
        // dotfile name whose value is text, under any key (`{"changes": {".env": "…"}}`).
        if (
          !textParent &&
          (traitsOf(k).looksLikePath || (pathParent && traitsOf(k).pathChars) ||
            (typeof x === "string" && traitsOf(k).dotfile))
        ) {
          countOne();
          visitString(k, kp, key === "" ? "path" : key, "path", { ...inner, depth });
        }
        const place = traitsOf(k).takesBases ? inner : at;
        walk(
          x,
          kp,
          k,
          depth + 1,
          depth === 0 ? schemaProps.get(k) : undefined,
          recursive ? { ...place, recursive: true } : place,
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

/** What the walk asks of an object key; each a pure function of the key, worked out once per key. */
interface KeyTraits {
  base: boolean;
  recursive: boolean;
  searchRoot: boolean;
  searchGlob: boolean;
  pathKey: boolean;
  contentKey: boolean;
  looksLikePath: boolean;
  pathChars: boolean;
  dotfile: boolean;
  takesBases: boolean;
}

// Keys repeat on every call; bounded (keys come from the agent), short keys only.
const TRAITS = new Map<string, KeyTraits>();

function traitsOf(k: string): KeyTraits {
  let t = TRAITS.get(k);
  if (t !== undefined) return t;
  const n = normKey(k);
  t = {
    base: isBaseKey(n),
    recursive: RECURSIVE_KEY_REGEXP.test(n),
    searchRoot: SEARCH_ROOT_KEY_REGEXP.test(n),
    searchGlob: SEARCH_GLOB_KEY_REGEXP.test(n),
    pathKey: PATH_KEYS.has(n) || isPathLikeKey(n),
    contentKey: CONTENT_KEYS.has(n),
    looksLikePath: looksLikePath(k),
    pathChars: /[\/.~]/.test(k),
    dotfile: DOTFILE_KEY_REGEXP.test(k),
    takesBases: isNameKey(n) || isCommandKey(n),
  };
  if (k.length <= 256) {
    if (TRAITS.size >= 4096) TRAITS.clear();
    TRAITS.set(k, t);
  }
  return t;
}

/** A dotfile's name (`.env`, `.npmrc`, `.git-credentials`), as an object key. */
const DOTFILE_KEY_REGEXP = /^\.[A-Za-z0-9_][\w.-]{0,254}$/;

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
  return withGlobFolders(resolvePath(input, opts));
}

/** A segment with a pathname-expansion character: `*`, `?` or a `[…]` class. */
const GLOB_SEGMENT_REGEXP = /[*?]|\[[^\]/]*\]/;

/**
 * A path with a glob in it names, to a shell or a server that expands it, any entry of the folder above the
 * glob (`./*` followed by `/secrets.txt` is every folder of `.`, not only the allowed ones): that folder is judged too, so an
 * allowlist accepts the glob only when every expansion is inside it. A glob that is a literal name (a file
 * named `[id].tsx`) gains a reading of its own folder, which changes no verdict of a file inside an allowlist.
 */
function withGlobFolders(p: ResolvedPath): ResolvedPath {
  let extra: string[] | undefined;
  for (const f of p.forms) {
    if (!GLOB_SEGMENT_REGEXP.test(f)) continue;
    const segs = f.split("/");
    const first = segs.findIndex((s) => GLOB_SEGMENT_REGEXP.test(s));
    if (first < 0) continue;
    const folder = segs.slice(0, first).join("/") || "/";
    if (!p.forms.includes(folder)) (extra ??= []).push(folder);
  }
  return extra === undefined ? p : { ...p, forms: [...p.forms, ...new Set(extra)] };
}

/** Where the walk is: its depth, how many JSON-in-a-string levels down, and the folder arguments around it. */
type WalkPlace = Pick<Place, "depth" | "jsonLevel" | "bases" | "recursive">;

/** Keys naming the folder a search starts from, and keys holding the glob it lists. */
const SEARCH_ROOT_KEY_REGEXP =
  /^(?:path|dir|directory|folder|root|rootdir|rootpath|cwd|basepath|basedir|searchpath|searchroot|searchdir)$/;
const SEARCH_GLOB_KEY_REGEXP =
  /^(?:pattern|patterns|glob|globs|include|includes|filepattern|namepattern|filter)$/;

/** Keys that ask a tool to work on a folder's whole tree. */
const RECURSIVE_KEY_REGEXP =
  /^(?:recursive|recurse|recursively|deep|includesubdirs|includesubdirectories|subdirectories)$/;

/**
 * The call's own cache of the host functions: one realpath (and password-database) look-up per distinct
 * value, however many paths share a folder.
 */
function cachedHostFunctions(opts: CanonicalizeOptions): Pick<CanonicalizeOptions, "realpath" | "userHome"> {
  const rp = opts.realpath;
  const uh = opts.userHome ?? (rp as { userHome?: (n: string) => string | undefined } | undefined)?.userHome;
  // The host's realpath shares its existence tests and realpaths across the call's look-ups (forCall).
  const perCall = (rp as { forCall?: () => (abs: string) => string | undefined } | undefined)?.forCall?.() ??
    rp;
  const memo = <T>(f: (x: string) => T) => {
    const seen = new Map<string, T>();
    return (x: string): T => {
      if (seen.has(x)) return seen.get(x)!;
      const v = f(x);
      seen.set(x, v);
      return v;
    };
  };
  return { realpath: perCall && memo(perCall), userHome: uh && memo(uh) };
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

/** Two keys equal once case is folded (`base`/`Base`, `kind`/`\u212aind`); over-folds (`ß`/`ss`): a refusal. */
function foldedKeyClash(entries: [string, unknown][]): [string, string] | undefined {
  if (!entries.some(([k]) => /[A-Z\u0080-\uffff]/.test(k))) return undefined;
  const seen = new Map<string, string>();
  for (const [k] of entries) {
    const f = k.toUpperCase().toLowerCase();
    const other = seen.get(f);
    if (other !== undefined) return [other, k];
    seen.set(f, k);
  }
  return undefined;
}
