import type { Attack, AttackCall } from "./attack_pack.ts";

/** One variant a mutator made: the new call and a short kebab-case label (`dollar-home`). */
export interface MutatedCall {
  /** The mutated call. */
  call: AttackCall;
  /** Names the variant; becomes part of the attack id (`<base>.<label>`). */
  label: string;
}

/**
 * Rewrites a call into evasion variants an attacker would try. Pure and reusable: pack authors apply the
 * built-in ones (`MUTATORS`) or write their own with {@link definePathMutator}.
 */
export interface Mutator {
  /** Kebab-case id; it is also the evasion class of every variant (`traversal`, `case`...). */
  id: string;
  /** One line on the evasion. */
  description: string;
  /** Returns the variants (none when the mutator does not apply to this call). */
  apply(call: AttackCall): MutatedCall[];
}

// Top-level argument keys a path mutator rewrites. Structural mutators (array, nested, second-arg) move the
// value elsewhere themselves.
const PATH_ARG_REGEXP =
  /^(?:path|file|file_?path|filename|source|destination|src|dest|target|directory|dir|folder|uri|repo_?path|cwd)$/i;
const URL_ARG_REGEXP = /^(?:url|uri|href|link|endpoint|webhook)$/i;

/** A path split into how it is anchored and the rest (`~/.ssh/id_rsa` → home, `.ssh/id_rsa`). */
interface PathParts {
  kind: "home" | "abs" | "rel";
  /** Without the anchor and leading separators. */
  rest: string;
}

function splitPath(p: string): PathParts {
  if (p === "~" || p.startsWith("~/")) return { kind: "home", rest: p.slice(2) };
  if (p.startsWith("/")) return { kind: "abs", rest: p.replace(/^\/+/, "") };
  return { kind: "rel", rest: p.replace(/^(?:\.\/)+/, "") };
}

/** The anchor written as the replay-time placeholder: `{{home}}`, `` (root) or `{{cwd}}`. */
function absoluteOf(parts: PathParts): string {
  if (parts.kind === "home") return `{{home}}/${parts.rest}`;
  if (parts.kind === "abs") return `/${parts.rest}`;
  return `{{cwd}}/${parts.rest}`;
}

function joinAnchor(parts: PathParts, rest: string): string {
  if (parts.kind === "home") return `~/${rest}`;
  if (parts.kind === "abs") return `/${rest}`;
  return `./${rest}`;
}

function mapPathArgs(call: AttackCall, fn: (p: string) => [string, string][]): MutatedCall[] {
  const args = call.arguments ?? {};
  const out: MutatedCall[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (typeof value !== "string" || !PATH_ARG_REGEXP.test(key) || /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
      continue;
    }
    for (const [label, mutated] of fn(value)) {
      out.push({ call: { ...call, arguments: { ...args, [key]: mutated } }, label });
    }
  }
  return out;
}

/**
 * Builds a mutator that rewrites every top-level path argument (`path`, `file_path`, `source`...) of a call.
 * @param id kebab-case mutator id (the evasion class)
 * @param description one line on the evasion
 * @param variants maps one path to `[label, mutated path]` pairs (may use `{{home}}` and `{{cwd}}`)
 * @returns the mutator
 */
export function definePathMutator(
  id: string,
  description: string,
  variants: (path: string) => [string, string][],
): Mutator {
  return { id, description, apply: (call) => mapPathArgs(call, variants) };
}

// Enough ".." to climb out of any realistic cwd; the excess stops at "/" like the kernel does.
const CLIMB = "../".repeat(23);

const FULLWIDTH: Record<string, string> = { "~": "\uFF5E", "/": "\uFF0F", ".": "\uFF0E" };

function fullwidthLetters(s: string): string {
  return s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x61 + 0xFF41));
}

const HOMOGLYPHS: Record<string, string> = {
  a: "\u0430",
  e: "\u0435",
  o: "\u043E",
  c: "\u0441",
  p: "\u0440",
};

/**
 * Builds the structural mutator that hides a bad path in an array next to a harmless one.
 * @param opts the harmless companion path, the array key and the tool that takes it
 * @returns the mutator
 */
export function arrayMutator(
  opts: { ok: string; key?: string; tool?: string } = { ok: "./src/app.ts" },
): Mutator {
  const key = opts.key ?? "paths";
  return {
    id: "array",
    description: "The bad path is one element of an array next to a harmless one",
    apply: (call) =>
      pathValues(call).flatMap((p) => [
        {
          label: "last-element",
          call: { ...call, tool: opts.tool ?? "read_multiple_files", arguments: { [key]: [opts.ok, p] } },
        },
        {
          label: "first-element",
          call: { ...call, tool: opts.tool ?? "read_multiple_files", arguments: { [key]: [p, opts.ok] } },
        },
      ]),
  };
}

/**
 * Builds the structural mutator that passes the bad path as the second path argument of a two-path tool.
 * @param opts the harmless companion path and the tool with `source` / `destination`
 * @returns the mutator
 */
export function secondArgMutator(
  opts: { ok: string; tool?: string } = { ok: "./src/app.ts" },
): Mutator {
  const tool = opts.tool ?? "move_file";
  return {
    id: "second-arg",
    description: "The first path argument is harmless; the second (destination or source) is not",
    apply: (call) =>
      pathValues(call).flatMap((p) => [
        { label: "destination", call: { ...call, tool, arguments: { source: opts.ok, destination: p } } },
        { label: "source", call: { ...call, tool, arguments: { source: p, destination: opts.ok } } },
      ]),
  };
}

function pathValues(call: AttackCall): string[] {
  return Object.entries(call.arguments ?? {})
    .filter(([k, v]) => typeof v === "string" && PATH_ARG_REGEXP.test(k))
    .map(([, v]) => v as string);
}

function mapUrlHost(call: AttackCall, host: string, fn: () => [string, string][]): MutatedCall[] {
  const args = call.arguments ?? {};
  const out: MutatedCall[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (typeof value !== "string" || !URL_ARG_REGEXP.test(key)) continue;
    const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(value);
    if (!m || m[2]!.toLowerCase() !== host) continue;
    for (const [label, h] of fn()) {
      out.push({ call: { ...call, arguments: { ...args, [key]: `${m[1]}${h}${m[3]}` } }, label });
    }
  }
  return out;
}

/** Ids of the built-in mutators. */
export type BuiltinMutatorId =
  | "traversal"
  | "home-expansion"
  | "absolute"
  | "file-uri"
  | "percent-encoding"
  | "case"
  | "unicode"
  | "trailing"
  | "quoting"
  | "backslash"
  | "nul-byte"
  | "prefix-sibling"
  | "array"
  | "nested"
  | "second-arg"
  | "tool-name"
  | "metadata-ip";

/**
 * The built-in mutators, by id. Each id is also the evasion class its variants report.
 * Path mutators use `{{home}}`, `{{user}}` and `{{cwd}}`, which replay fills in.
 */
export const MUTATORS: Readonly<Record<BuiltinMutatorId, Mutator>> = Object.freeze({
  traversal: definePathMutator(
    "traversal",
    "Climb out of an allowed directory (or wander through another one) with '..'",
    (p) => {
      const parts = splitPath(p);
      // "..".."..<abs>": the placeholder or root supplies the separator after the last "..".
      const v: [string, string][] = [["dotdot-from-src", `./src/${CLIMB}..${absoluteOf(parts)}`]];
      if (parts.kind === "rel") v.push(["dotdot-single", `./src/../${parts.rest}`]);
      if (parts.kind === "home") v.push(["dotdot-in-home", `~/projects/../${parts.rest}`]);
      if (parts.kind === "abs") v.push(["dotdot-in-root", `/usr/../${parts.rest}`]);
      return v;
    },
  ),
  "home-expansion": definePathMutator(
    "home-expansion",
    "Spell the home directory as $HOME, ${HOME}, %USERPROFILE%, ~user or the absolute path",
    (p) => {
      const parts = splitPath(p);
      if (parts.kind !== "home") return [];
      return [
        ["dollar-home", `$HOME/${parts.rest}`],
        ["dollar-brace-home", `\${HOME}/${parts.rest}`],
        ["userprofile", `%USERPROFILE%/${parts.rest}`],
        ["absolute", `{{home}}/${parts.rest}`],
        // Shells and Python's os.path.expanduser read "~me" as me's home.
        ["tilde-user", `~{{user}}/${parts.rest}`],
      ];
    },
  ),
  absolute: definePathMutator(
    "absolute",
    "Give a relative path as the absolute path it resolves to",
    (p) => {
      const parts = splitPath(p);
      return parts.kind === "rel" ? [["absolute", `{{cwd}}/${parts.rest}`]] : [];
    },
  ),
  "file-uri": definePathMutator(
    "file-uri",
    "Pass the path as a file: URI (file:///..., file://localhost/..., upper-case scheme)",
    (p) => {
      const abs = absoluteOf(splitPath(p));
      return [
        ["file-uri", `file://${abs}`],
        ["file-localhost", `file://localhost${abs}`],
        ["file-upper", `FILE://${abs}`],
      ];
    },
  ),
  "percent-encoding": definePathMutator(
    "percent-encoding",
    "Percent-encode dots, slashes or the tilde",
    (p) => {
      const parts = splitPath(p);
      const enc = parts.rest.replaceAll(".", "%2e");
      const v: [string, string][] = [
        ["encoded-dots", joinAnchor(parts, enc)],
        ["encoded-slashes", joinAnchor(parts, parts.rest.replaceAll("/", "%2F"))],
        ["encoded-file-uri", `file://${absoluteOf(parts).replaceAll(".", "%2E")}`],
      ];
      if (parts.kind === "home") v.push(["encoded-tilde", `%7E/${parts.rest}`]);
      return v;
    },
  ),
  case: definePathMutator(
    "case",
    "Change letter case (APFS and NTFS are case-insensitive)",
    (p) => {
      const parts = splitPath(p);
      const mixed = parts.rest.replace(
        /(^|[/._-])([a-z])/g,
        (_, s: string, c: string) => s + c.toUpperCase(),
      );
      return [["upper", joinAnchor(parts, parts.rest.toUpperCase())], ["mixed", joinAnchor(parts, mixed)]];
    },
  ),
  unicode: definePathMutator(
    "unicode",
    "Fullwidth look-alikes that NFKC folds back to ASCII (～／．ｓｓｈ)",
    (p) => {
      const parts = splitPath(p);
      const anchored = joinAnchor(parts, parts.rest);
      return [
        ["fullwidth-separators", anchored.replace(/[~/.]/g, (c) => FULLWIDTH[c]!)],
        ["fullwidth-letters", joinAnchor(parts, fullwidthLetters(parts.rest))],
      ];
    },
  ),
  trailing: definePathMutator(
    "trailing",
    "Trailing dots, spaces, slashes or NTFS stream suffixes that Windows drops",
    (p) => {
      const parts = splitPath(p);
      const segs = parts.rest.split("/");
      const withFirst = (suffix: string) => joinAnchor(parts, [segs[0] + suffix, ...segs.slice(1)].join("/"));
      return [
        ["dot-on-dir", withFirst(".")],
        ["space-on-dir", withFirst(" ")],
        ["dot-at-end", joinAnchor(parts, `${parts.rest}.`)],
        ["space-at-end", joinAnchor(parts, `${parts.rest} `)],
        ["ntfs-stream", joinAnchor(parts, `${parts.rest}::$DATA`)],
        ["double-slash", joinAnchor(parts, parts.rest.replaceAll("/", "//"))],
      ];
    },
  ),
  quoting: definePathMutator(
    "quoting",
    "Surrounding quotes and whitespace, which servers strip before opening the file",
    (p) => [["double-quotes", `"${p}"`], ["single-quotes", `'${p}'`], ["whitespace", `  ${p}\t\n`]],
  ),
  backslash: definePathMutator(
    "backslash",
    "Windows separators",
    (p) => {
      const parts = splitPath(p);
      return [["backslashes", joinAnchor(parts, parts.rest).replaceAll("/", "\\")]];
    },
  ),
  "nul-byte": definePathMutator(
    "nul-byte",
    "A NUL byte that truncates the path differently for the server than for the policy",
    (p) => [["nul-suffix", `${p}\u0000.txt`], ["nul-after-ok", `./src/app.ts\u0000/${CLIMB}${p}`]],
  ),
  "prefix-sibling": definePathMutator(
    "prefix-sibling",
    "A sibling whose name starts with an allowed directory's name (/src-private vs /src, CVE-2025-53110)",
    (p) => {
      const parts = splitPath(p);
      const [first, ...rest] = parts.rest.split("/");
      if (!first || rest.length === 0) return [];
      const tail = rest.join("/");
      return [
        ["dash-suffix", joinAnchor(parts, `${first}-private/${tail}`)],
        ["underscore-suffix", joinAnchor(parts, `${first}_backup/${tail}`)],
        ["dot-suffix", joinAnchor(parts, `${first}.bak/${tail}`)],
        ["letter-suffix", joinAnchor(parts, `${first}x/${tail}`)],
      ];
    },
  ),
  array: arrayMutator(),
  nested: {
    id: "nested",
    description: "The path sits inside a nested object or an array of objects",
    apply: (call) =>
      pathValues(call).flatMap((p) => [
        { label: "nested-object", call: { ...call, arguments: { options: { file: { path: p } } } } },
        { label: "array-of-objects", call: { ...call, arguments: { requests: [{ path: p }] } } },
      ]),
  },
  "second-arg": secondArgMutator(),
  "tool-name": {
    id: "tool-name",
    description: "Case, separator, prefix, homoglyph, invisible and fullwidth variants of a tool name",
    apply: (call) => {
      const t = call.tool;
      if (!t) return [];
      const homoglyph = t.replace(/[aeocp]/, (c) => HOMOGLYPHS[c]!);
      const v: [string, string][] = [
        ["upper", t.toUpperCase()],
        ["title", t.replace(/(^|_)([a-z])/g, (_, s: string, c: string) => s + c.toUpperCase())],
        ["mcp-prefix", `mcp__${call.server}__${t}`],
        ["dashes", t.replaceAll("_", "-")],
        ["trailing-space", `${t} `],
        ["zero-width", t.length > 1 ? `${t[0]}\u200B${t.slice(1)}` : `${t}\u200B`],
        ["fullwidth", fullwidthLetters(t)],
      ];
      if (homoglyph !== t) v.push(["cyrillic-homoglyph", homoglyph]);
      return v.map(([label, tool]) => ({ label, call: { ...call, tool } }));
    },
  },
  "metadata-ip": {
    id: "metadata-ip",
    description: "The cloud metadata address 169.254.169.254 in every encoding an HTTP client accepts",
    apply: (call) =>
      mapUrlHost(call, "169.254.169.254", () => [
        ["decimal", "2852039166"],
        ["hex", "0xa9fea9fe"],
        ["octal", "0251.0376.0251.0376"],
        ["dotted-hex", "0xa9.0xfe.0xa9.0xfe"],
        ["short-form", "169.254.43518"],
        ["ipv6-mapped", "[::ffff:169.254.169.254]"],
        ["ipv6-mapped-hex", "[::ffff:a9fe:a9fe]"],
        ["nip-io", "169.254.169.254.nip.io"],
        ["sslip-dashes", "169-254-169-254.sslip.io"],
        ["trailing-dot", "169.254.169.254."],
        ["userinfo", "github.com@169.254.169.254"],
        ["percent-host", "%31%36%39.254.169.254"],
      ]),
  },
});

/**
 * Expands an attack into its evasion variants. Each variant gets the id `<attack>.<label>`, the mutator id
 * as its evasion class, and the attack's expectation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandWithMutators, MUTATORS } from "./mutators.ts";
 * const variants = expandWithMutators({
 *   id: "ssh-key", title: "SSH key", severity: "critical", expect: "block",
 *   call: { server: "filesystem", tool: "read_file", arguments: { path: "~/.ssh/id_rsa" } },
 * }, [MUTATORS.case!]);
 * assert.ok(variants.some((a) => a.call.arguments?.path === "~/.SSH/ID_RSA"));
 * ```
 * @param attack the base attack
 * @param mutators the mutators to apply (each to the base, not to each other's output)
 * @param opts `includeBase` (default true) keeps the base attack first
 * @returns the attacks
 */
export function expandWithMutators(
  attack: Attack,
  mutators: readonly Mutator[],
  opts: { includeBase?: boolean } = {},
): Attack[] {
  const { mutators: _drop, ...base } = attack;
  const out: Attack[] = opts.includeBase === false ? [] : [base];
  for (const m of mutators) {
    for (const v of m.apply(attack.call)) {
      out.push({
        ...base,
        id: `${attack.id}.${v.label}`,
        title: `${attack.title} (${m.id}: ${v.label})`,
        call: v.call,
        evasion: m.id,
      });
    }
  }
  return out;
}

/**
 * Looks up built-in mutators by id.
 * @param ids mutator ids
 * @returns the mutators, and the ids that are unknown
 */
export function mutatorsById(ids: readonly string[]): { mutators: Mutator[]; unknown: string[] } {
  const mutators: Mutator[] = [];
  const unknown: string[] = [];
  for (const id of ids) {
    const m = Object.hasOwn(MUTATORS, id) ? MUTATORS[id as BuiltinMutatorId] : undefined;
    if (m) mutators.push(m);
    else unknown.push(id);
  }
  return { mutators, unknown };
}
