import { createRequire } from "node:module";

/**
 * What a shell command string reaches, read with a real POSIX/bash parser (mvdan/sh, the parser behind shfmt).
 * Static words are resolved as the shell would (quotes and backslashes removed, `~` and `$HOME` kept for the
 * path resolver); every construct whose value is only known when it runs is reported in `dynamic`.
 */
export interface ShellReading {
  /** Words that name files: arguments, redirection targets, `-C` / `--git-dir` values, curl `@file`. */
  paths: ShellPath[];
  /** Words that look like URLs. */
  urls: string[];
  /**
   * Hosts the command connects to that are not URLs: operands of network programs (`curl 169.254.169.254/x`,
   * `nc host 80`, `ssh host`, `scp host:x .`, `git clone git@host:x`), what curl's `--resolve`, `--connect-to`,
   * `-x` name, and bash's `/dev/tcp/host/port`. Each is read as a bare host.
   */
  hosts: string[];
  /**
   * Offsets `[start, end)` of here-document bodies given to a program that only reads them as data (`cat`,
   * `tee`…): they are text, not paths, for the split-at-quotes reading (top-level command only).
   */
  dataRanges: [number, number][];
  /** Words the parser knows are no file here (a container's mount spec `./src:/app`), for the second reading. */
  notFiles: string[];
  /** Why the command cannot be proven safe (each a short reason); empty when every word is static. */
  dynamic: string[];
  /** Set when the parser rejects the command (a shell runs what it read before the error). */
  error?: string;
}

/** One file a command names, with the directories a relative name may be relative to. */
export interface ShellPath {
  /** The word as the shell passes it (quotes removed). */
  word: string;
  /** Directories (as written, absolute or `~`-based) the word is relative to besides the working directory. */
  bases: string[];
  /**
   * True for a bare relative word (`secrets/x`, `.env`) that may as well be a ref, a sed script or a message:
   * judged against denied paths and patterns only, never against an allowlist.
   */
  denyOnly: boolean;
}

/** Options for {@link readShell}. */
export interface ReadShellOptions {
  /** Characters the whole call may still parse (shared across every command in a call). */
  budget: { chars: number };
}

// deno-lint-ignore no-explicit-any
type Node = any;
// The parser (mvdan-sh, a GopherJS build) takes tens of milliseconds to evaluate, so it is not imported with
// this module: a proxy start answers `initialize` first and loads it while the server starts (issue 20 item 6).
// Set by useShellModule(); every reading goes through shellParser(), which loads it first if need be.
let syntax: Node;
let parser: Node;
let loading: Promise<void> | undefined;
let loadFailure: string | undefined;

const SHELLS = new Set([
  "sh",
  "bash",
  "dash",
  "zsh",
  "ksh",
  "mksh",
  "ash",
  "busybox",
  "rbash",
  "yash",
  "fish",
]);
/** Programs that run the rest of their arguments as a command. */
const WRAPPERS = new Set([
  "env",
  "sudo",
  "doas",
  "nohup",
  "time",
  "nice",
  "ionice",
  "timeout",
  "command",
  "builtin",
  "exec",
  "stdbuf",
  "xargs",
  "setsid",
  "chroot",
  "unbuffer",
  "strace",
  "watch",
  "flock",
]);
const WRAPPER_OPTION_WITH_VALUE_REGEXP = /^-(?:[ugnpCDhUrtsSkIEc]|-user|-group|-signal|-kill-after|-chdir)$/;
/** Programs whose `-C dir` changes the directory later relative paths are read from. */
const DASH_C_DIR = new Set(["git", "make", "gmake", "tar", "bsdtar", "ninja", "meson"]);
/** `--opt=dir` options that change the base of relative paths. */
const DIR_OPTION_REGEXP = /^--(?:git-dir|work-tree|directory|cwd|chdir|prefix|root|dir)=(.*)$/s;
/** Programs that read a file named by `@file` (`-d @/etc/passwd`, `-F x=@file`, httpie `f=@file`). */
const AT_FILE = new Set(["curl", "http", "https", "xh", "gh", "wget"]);
const MAX_DEPTH = 8;
const MAX_BASES = 32;

function opName(p: Node, src: string): number {
  return p.Parse(src, "").Stmts[0].Redirs[0].Op;
}
// The parser's operator numbers, read from the parser itself once it is loaded (see useShellModule).
/** Redirection operators whose word is not a file: fd duplication and here-strings. */
let DUP_OPS: ReadonlySet<number> = new Set();
let HERE_STRING_OP = -1;
let STDIN_OP = -1;
/** Redirections that write a file. */
let WRITE_OPS: ReadonlySet<number> = new Set();
/** Redirections of standard output to a file (nothing of the program's output goes on down a pipe). */
let STDOUT_FILE_OPS: ReadonlySet<number> = new Set();

/** Takes the loaded mvdan-sh module into use (once). */
function useShellModule(sh: unknown): void {
  if (parser !== undefined) return;
  const s = (sh as { syntax?: Node })?.syntax;
  if (typeof s?.NewParser !== "function") throw new Error("mvdan-sh has no syntax.NewParser");
  const p = s.NewParser();
  const op = (src: string) => opName(p, src);
  DUP_OPS = new Set([op("a >&2"), op("a <&0")]);
  HERE_STRING_OP = op("a <<< x");
  STDIN_OP = op("a < x");
  WRITE_OPS = new Set(["a > x", "a >> x", "a >| x", "a &> x", "a &>> x", "a <> x"].map(op));
  STDOUT_FILE_OPS = new Set(["a > x", "a >> x", "a >| x", "a &> x", "a &>> x"].map(op));
  // Last, so that a parser is only ever used with its operator numbers.
  syntax = s;
  parser = p;
}

/**
 * Loads the shell parser in the background: call it early (the proxy does once its server is spawned, the CLI
 * before any other command runs) so that no reading waits for it. Safe to call many times.
 * @returns settles when the parser is ready
 * @throws {Error} when mvdan-sh cannot be loaded (readings then fail closed: see `readShell`)
 */
export function loadShellParser(): Promise<void> {
  if (parser !== undefined) return Promise.resolve();
  // A literal specifier, so `deno compile` and `deno bundle` see the package and include it.
  loading ??= import("mvdan-sh").then((m) => useShellModule(m.default ?? m)).catch((e) => {
    loading = undefined;
    loadFailure = (e as Error).message;
    throw e;
  });
  return loading;
}

/**
 * Whether the shell parser is loaded (after `loadShellParser()` settled, or a reading loaded it).
 * @returns true when `readShell` reads without loading anything first
 */
export function shellParserLoaded(): boolean {
  return parser !== undefined;
}

/**
 * The parser, loaded synchronously when `loadShellParser()` has not finished (a library user or a test that
 * calls the canonicalizer directly). Undefined when it cannot be loaded: the reading then fails closed.
 */
function shellParser(): string | undefined {
  if (parser !== undefined) return undefined;
  try {
    // Deno's CommonJS loader shares its module cache with `import`: whichever comes first evaluates it once.
    useShellModule(createRequire(import.meta.url)("mvdan-sh"));
    return undefined;
  } catch (e) {
    const why = (loadFailure ?? (e as Error).message).split("\n")[0];
    return `the shell parser (mvdan-sh) could not be loaded: ${why}`;
  }
}

const UNQUOTED_ESCAPE_REGEXP = /\\(\n|.)/gs;
const DQUOTED_ESCAPE_REGEXP = /\\([\\$`"\n])/g;
const BRACE_EXPANSION_REGEXP = /\{[^{}\s]*(?:,|\.\.)[^{}\s]*\}/;

/** A kept reading, and the characters of budget reading it took (the command and every nested script). */
interface KeptReading {
  reading: ShellReading;
  cost: number;
}
// Recent readings by command text, least recently used first (an agent repeats its commands: `ls -la src`, `git
// status`; parsing one costs ~0.3-0.5 ms, nearly all mvdan-sh). A reading is a pure function of the text and the
// budget (the parser and its operator numbers never change once loaded; nothing else is read), and the budget only
// matters when it runs out: a reading that took `cost` characters is the same under any budget of at least
// `cost`. So the key is the text alone, a kept reading is only used when the budget covers its cost, and a
// reading the budget cut short is not kept. Bounded in entries and in the length of a kept command.
const READINGS = new Map<string, KeptReading>();
const MAX_READINGS = 256;
const MAX_KEPT_COMMAND_CHARS = 8192;

/** Freezes a reading and everything in it: a kept reading is shared by every later call of the same command. */
function freezeReading(r: ShellReading): ShellReading {
  for (const p of r.paths) {
    Object.freeze(p.bases);
    Object.freeze(p);
  }
  for (const d of r.dataRanges) Object.freeze(d);
  for (const a of [r.paths, r.urls, r.hosts, r.dataRanges, r.notFiles, r.dynamic]) Object.freeze(a);
  return Object.freeze(r);
}

/**
 * Reads a shell command as bash would parse it. Loads the parser first when `loadShellParser()` has not; one that
 * cannot be loaded makes the reading an error (the command is unreadable, so its call is denied). Recent readings
 * are kept (a command read again costs a look-up, and the same budget), so the reading returned is frozen.
 * @param src the command string
 * @param opts the call's parse budget (what the command and its nested scripts take is subtracted)
 * @returns the static paths and URLs it names, and every reason it cannot be proven safe (frozen)
 */
export function readShell(src: string, opts: ReadShellOptions): ShellReading {
  const kept = READINGS.get(src);
  if (kept !== undefined && opts.budget.chars >= kept.cost) {
    READINGS.delete(src);
    READINGS.set(src, kept);
    opts.budget.chars -= kept.cost;
    return kept.reading;
  }
  const before = opts.budget.chars;
  const out = freezeReading(readShellOnce(src, opts));
  // Kept only when the parser read it (not "could not be loaded") within the budget (not cut short).
  if (parser !== undefined && opts.budget.chars >= 0 && src.length <= MAX_KEPT_COMMAND_CHARS) {
    if (READINGS.size >= MAX_READINGS) READINGS.delete(READINGS.keys().next().value!);
    READINGS.set(src, { reading: out, cost: before - opts.budget.chars });
  }
  return out;
}

function readShellOnce(src: string, opts: ReadShellOptions): ShellReading {
  const out: ShellReading = { paths: [], urls: [], hosts: [], dynamic: [], dataRanges: [], notFiles: [] };
  // Without the parser nothing is read: the command counts as unreadable, so the call is malformed (denied).
  const unavailable = shellParser();
  if (unavailable !== undefined) return { ...out, error: unavailable };
  const files: FileTrack = {
    written: new Map(),
    run: new Map(),
    links: [],
    mentioned: new Set(),
    blanked: new Set(),
  };
  tracks.set(out, files);
  readInto(src, out, opts, 0, [""]);
  tracks.delete(out);
  // A script the command writes and then runs (`cat > x.sh <<'E' … E; sh x.sh`, `printf … > x.py; python3
  // x.py`): its static text is a program, not data (read again as a shell script when a shell runs it, and
  // scanned whole by the split-at-quotes reading); a script the command downloads or generates
  // (`curl -o x.sh …; sh x.sh`, `base64 -d > x.sh`) is only known when it runs.
  // Here-document data written to a file the command then reads (`xargs cat < list`, `sh < f`) is not data.
  for (const b of files.blanked) if (files.mentioned.has(b)) out.dataRanges.length = 0;
  const download = files.written.get("*");
  for (const [r, by] of files.run) {
    const texts = files.written.has(r) ? files.written.get(r) : download === undefined ? undefined : null;
    if (texts === undefined) continue;
    out.dataRanges.length = 0;
    if (texts === null) {
      out.dynamic.push(`the command runs ${r}, a file it writes itself, only known when it runs`);
      break;
    }
    if (by === "shell") { for (const t of texts) readInto(t, out, opts, 1, [""]); }
  }
  return out;
}

/**
 * Files a command writes (by base name: the static texts written, or null when any write is unknown; `*` for a
 * download named after its URL), and the scripts and programs it runs (by base name: run by a shell or not).
 */
interface FileTrack {
  written: Map<string, string[] | null>;
  run: Map<string, "shell" | "other">;
  /** Links the command makes (`ln -s target link`): the link's name and its target, as written. */
  links: [string, string][];
  /** Base names of every word and redirection source of the command (a file read again after it is written). */
  mentioned: Set<string>;
  /** Base names of the files written from here-document data that is not scanned. */
  blanked: Set<string>;
}
const tracks = new WeakMap<ShellReading, FileTrack>();

function readInto(src: string, out: ShellReading, opts: ReadShellOptions, depth: number, bases: string[]) {
  if (depth > MAX_DEPTH) {
    out.dynamic.push("shell strings are nested too deeply to read");
    return;
  }
  opts.budget.chars -= src.length;
  if (opts.budget.chars < 0) {
    // Parsing is about 250 ms a megabyte: past the budget the command is not read, so it proves nothing.
    out.dynamic.push("the command is too long to read within the time a decision may take");
    return;
  }
  let file: Node;
  try {
    file = parser.Parse(src, "");
  } catch (e) {
    const text = (e as { Text?: unknown })?.Text;
    out.error = typeof text === "string" ? text : String(e);
    return;
  }
  const note = (why: string) => {
    if (!out.dynamic.includes(why)) out.dynamic.push(why);
  };
  syntax.Walk(file, (n: Node) => {
    if (n === null || n === undefined) return true;
    switch (syntax.NodeType(n)) {
      case "ParamExp":
        if (!(n.Param?.Value === "HOME" && n.Short)) {
          note(`"$${n.Param?.Value ?? ""}" is only known when it runs`);
        }
        break;
      case "CmdSubst":
        note("a command substitution is only known when it runs");
        break;
      case "ArithmExp":
        note("an arithmetic expansion is only known when it runs");
        break;
      case "ExtGlob":
      case "BraceExp":
        note("an extended glob or brace expansion is only known when it runs");
        break;
      case "SglQuoted":
        if (n.Dollar) note("a $'…' string is decoded by the shell");
        break;
      case "DblQuoted":
        if (n.Dollar) note('a $"…" string is translated by the shell');
        break;
      case "Stmt":
        readStmt(n, out, opts, depth, bases, note);
        break;
    }
    return true;
  });
}

/**
 * True when an unquoted literal holds a pathname-expansion character the shell expands (`*`, `?`, or a `[…]`
 * class), not escaped by a backslash.
 */
function litHasGlob(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === "\\") i++;
    else if (c === "*" || c === "?") return true;
    else if (c === "[" && v.indexOf("]", i + 2) !== -1) return true;
  }
  return false;
}

/**
 * The word as the shell passes it, or undefined when part of it is only known at run time. `info.glob` is set
 * when an unquoted part of it is a glob the shell expands against the file system.
 */
function staticWord(w: Node, allowTilde = true, info?: { glob: boolean }): string | undefined {
  if (w === null || w === undefined) return undefined;
  let s = "";
  const parts = w.Parts;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    switch (syntax.NodeType(p)) {
      case "Lit": {
        const v: string = p.Value;
        if (BRACE_EXPANSION_REGEXP.test(v)) return undefined;
        if (i === 0 && /^~[+-]/.test(v)) return undefined; // $PWD / $OLDPWD
        if (i === 0 && !allowTilde && v.startsWith("~")) return undefined;
        if (info !== undefined && !info.glob && litHasGlob(v)) info.glob = true;
        s += v.replace(UNQUOTED_ESCAPE_REGEXP, (_, c: string) => c === "\n" ? "" : c);
        break;
      }
      case "SglQuoted":
        if (p.Dollar) return undefined;
        s += p.Value;
        break;
      case "DblQuoted": {
        if (p.Dollar) return undefined;
        for (const q of p.Parts) {
          const t = syntax.NodeType(q);
          if (t === "Lit") {
            s += (q.Value as string).replace(DQUOTED_ESCAPE_REGEXP, (_, c) => c === "\n" ? "" : c);
          } else if (t === "ParamExp" && q.Param?.Value === "HOME" && q.Short && s === "") s += "$HOME";
          else return undefined;
        }
        break;
      }
      case "ParamExp":
        // `$HOME` at the start is kept for the path resolver; anything else is only known at run time.
        if (p.Param?.Value === "HOME" && p.Short && s === "") s += "$HOME";
        else return undefined;
        break;
      default:
        return undefined;
    }
  }
  return s;
}

function baseName(s: string): string {
  return s.slice(s.lastIndexOf("/") + 1);
}

/** Interpreters that read a program: from `-c`/`-e` text, a script file, or else standard input. */
const INTERPRETER_REGEXP =
  /^(?:python[\d.]*|pypy[\d.]*|node|nodejs|bun|deno|perl[\d.]*|ruby[\d.]*|irb|php[\d.]*|lua[\d.]*|luajit|tclsh[\d.]*|wish|Rscript|R|pwsh|powershell|osascript|jshell|groovy|awk|gawk|mawk|nawk)$/;
/** Inline interpreter code that decodes or builds the code it runs. */
const RUNTIME_CODE_REGEXP =
  /\b(?:exec|eval|compile|execfile|b64decode|b32decode|a85decode|a2b_base64|unhexlify|fromhex|fromCharCode|atob|Function|__import__|importlib|chr|decompress|codecs)\s*[.(]/;

/** Names of standard input as a file. */
const STDIN_NAMES = new Set(["-", "/dev/stdin", "/dev/fd/0", "/proc/self/fd/0", "/proc/thread-self/fd/0"]);
/** An option of an interpreter that gives the program as text (`-c`, `-e`, `--eval`, `-m` a module). */
const CODE_OPTION_REGEXP =
  /^(?:-[A-Za-z]*[cemrEpf]|--(?:eval|print|command|file|module|exec)(?:=.*)?|-Command|-File|-EncodedCommand)$/s;
/** Options that ask for a version or help and run no program. */
const NO_PROGRAM_REGEXP = /^(?:--version|--help|-V|-v|-h|-\?|-version|-help)$/;
/** Shell options that take the next word (`-o pipefail`, `--rcfile f`). */
const SHELL_OPTION_WITH_VALUE_REGEXP = /^(?:[-+][oO]|--rcfile|--init-file)$/;
/** Programs that only read a here-document as data (never as a program or a list of names). */
const DATA_STDIN = new Set([
  "cat",
  "tee",
  "head",
  "tail",
  "wc",
  "sort",
  "uniq",
  "grep",
  "egrep",
  "fgrep",
  "rg",
  "tr",
  "cut",
  "tac",
  "rev",
  "nl",
  "fold",
  "fmt",
  "column",
  "less",
  "more",
  "md5sum",
  "sha1sum",
  "sha256sum",
  "sha512sum",
  "jq",
  "yq",
  "base64",
  "gzip",
  "mail",
  "sendmail",
  "wl-copy",
  "xclip",
  "pbcopy",
]);
/** Programs whose operands name a host they connect to (scheme-less, as `host`, `host:port` or `host/path`). */
const NET_PROGRAMS = new Set([
  "curl",
  "wget",
  "nc",
  "ncat",
  "netcat",
  "telnet",
  "ssh",
  "sftp",
  "mosh",
  "ping",
  "ping6",
  "traceroute",
  "tracepath",
  "mtr",
  "nmap",
  "ftp",
  "tftp",
  "http",
  "https",
  "xh",
  "openssl",
  "socat",
]);
/** Short options of a network program that take the next word as their value. */
const NET_SHORT_VALUES: Record<string, string> = {
  curl: "AbcCdDeEFHKmoPQrtTuUwxXyYz",
  wget: "OoaeiBtTwQPUlARDXI",
  nc: "psiwXxOIqTVec",
  ncat: "psiwXxOIqTVec",
  netcat: "psiwXxOIqTVec",
  ssh: "bcDEeFIiJLlmOopQRSWwB",
  sftp: "BbcDFiJloPRSs",
  mosh: "p",
  ping: "cifIlmMpQsStTW",
  ping6: "cifIlmMpQsStTW",
  traceroute: "fgimNpqswtz",
  nmap: "poiS",
  openssl: "",
};
/** Options of a network program whose value is itself a host (a proxy, a jump host, curl's redirections). */
const HOST_VALUE_OPTIONS = new Set([
  "-x",
  "--proxy",
  "--preproxy",
  "--socks4",
  "--socks4a",
  "--socks5",
  "--socks5-hostname",
  "-J",
  "--dns-servers",
  "--doh-url",
  "-connect",
  "--url",
  "-W",
]);
/** curl long options that take no value (any other long option takes the next word). */
const CURL_FLAGS = new Set([
  "--silent",
  "--show-error",
  "--location",
  "--location-trusted",
  "--insecure",
  "--fail",
  "--fail-with-body",
  "--compressed",
  "--verbose",
  "--include",
  "--head",
  "--remote-name",
  "--remote-name-all",
  "--remote-header-name",
  "--get",
  "--globoff",
  "--http1.0",
  "--http1.1",
  "--http2",
  "--http2-prior-knowledge",
  "--http3",
  "--no-buffer",
  "--no-keepalive",
  "--no-progress-meter",
  "--progress-bar",
  "--ipv4",
  "--ipv6",
  "--tcp-nodelay",
  "--tlsv1",
  "--tlsv1.2",
  "--tlsv1.3",
  "--ssl",
  "--ssl-reqd",
  "--junk-session-cookies",
  "--parallel",
  "--list-only",
  "--netrc",
  "--netrc-optional",
  "--append",
  "--use-ascii",
  "--proxytunnel",
  "--raw",
  "--create-dirs",
  "--digest",
  "--basic",
  "--ntlm",
  "--negotiate",
  "--anyauth",
  "--manual",
  "--version",
  "--help",
  "--disable",
  "--path-as-is",
  "--proxy-insecure",
  "--styled-output",
  "--xattr",
]);

/**
 * The hosts a network program's operands and host-valued options name. Unknown options are read as flags,
 * except curl's long options, which take a value unless they are known flags.
 */
function netHosts(prog: string, args: (string | undefined)[], out: ShellReading) {
  const shortValues = NET_SHORT_VALUES[prog] ?? "";
  let operands = 0;
  for (let j = 0; j < args.length; j++) {
    const a = args[j];
    if (a === undefined) continue;
    if (a === "--") {
      for (const rest of args.slice(j + 1)) if (rest !== undefined) addHost(prog, rest, operands++, out);
      return;
    }
    if (/^-./s.test(a) && !(prog === "socat" && /^-$/.test(a))) {
      const eq = a.indexOf("=");
      const name = a.startsWith("--") && eq > 0 ? a.slice(0, eq) : a;
      const inline = a.startsWith("--") && eq > 0 ? a.slice(eq + 1) : undefined;
      let value: string | undefined = inline;
      let takes = false;
      if (a.startsWith("--")) {
        takes = inline === undefined && prog === "curl" && !CURL_FLAGS.has(a);
      } else if (prog === "openssl") {
        takes = /^-(?:connect|proxy|servername|host)$/.test(a);
      } else {
        // `-sSLo file`: the last letter that takes a value takes the rest of the word or the next word.
        for (let k = 1; k < a.length; k++) {
          if (shortValues.includes(a[k]!)) {
            if (k < a.length - 1) value = a.slice(k + 1);
            else takes = true;
            if (HOST_VALUE_OPTIONS.has(`-${a[k]}`) && value !== undefined) {
              hostsOfOption(`-${a[k]}`, value, out);
            }
            break;
          }
        }
      }
      if (takes) {
        value = args[j + 1];
        j++;
      }
      if (value !== undefined) hostsOfOption(name, value, out);
      continue;
    }
    // httpie and xh: an optional METHOD, the URL, then request items (`name=value`, `Header:value`).
    if ((prog === "http" || prog === "https" || prog === "xh") && operands === 0 && /^[A-Z]+$/.test(a)) {
      continue;
    }
    if ((prog === "http" || prog === "https" || prog === "xh") && operands > 0) continue;
    addHost(prog, a, operands++, out);
  }
}

/** What a host-bearing option names: `--resolve h:p:addr`, `--connect-to h:p:h2:p2`, a proxy, a jump host. */
function hostsOfOption(name: string, value: string, out: ShellReading) {
  if (name === "--resolve") {
    const m = /^[+-]?((?:\[[^\]]*\])|[^:]*):[^:]*:(.*)$/s.exec(value);
    if (m) {
      out.hosts.push(m[1]!);
      for (const addr of m[2]!.split(",")) if (addr !== "") out.hosts.push(addr);
    }
  } else if (name === "--connect-to") {
    const m = /^((?:\[[^\]]*\])|[^:]*):[^:]*:((?:\[[^\]]*\])|[^:]*)(?::.*)?$/s.exec(value);
    if (m) { for (const h of [m[1]!, m[2]!]) if (h !== "") out.hosts.push(h); }
  } else if (name === "-L" || name === "-R") {
    // ssh -L [bind:]port:host:hostport, -R the same toward this side: the host is connected to.
    const parts = value.match(/\[[^\]]*\]|[^:]+/g) ?? [];
    if (parts.length >= 3) out.hosts.push(parts[parts.length - 2]!);
  } else if (name === "--dns-servers" || name === "-J") {
    for (const h of value.split(",")) if (h !== "") out.hosts.push(h);
  } else if (HOST_VALUE_OPTIONS.has(name)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) out.urls.push(value);
    else out.hosts.push(value);
  }
}

/** One operand of a network program: a URL, a host, or (for ports and commands after the host) nothing. */
function addHost(prog: string, a: string, index: number, out: ShellReading) {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) return; // a URL: read by addWord
  if (prog === "socat") {
    const m =
      /^(?:tcp[46]?|tcp[46]?-connect|udp[46]?|udp[46]?-connect|openssl|openssl-connect|ssl):((?:\[[^\]]*\])|[^:,]+)/i
        .exec(a);
    if (m) out.hosts.push(m[1]!);
    return;
  }
  if (prog === "openssl") return;
  // nc, telnet, ssh, mosh: the first operand is the host; what follows is a port or a remote command.
  if (["nc", "ncat", "netcat", "telnet", "ssh", "mosh", "ftp", "tftp", "sftp"].includes(prog) && index > 0) {
    return;
  }
  if (/\s/.test(a) || a === "" || /^\d+$/.test(a)) return; // a port (`nc -l 8080`), not a host
  out.hosts.push(a);
}

/** `user@host:path`, `host:path` (scp, rsync, git): the host part, or undefined when the word is not one. */
function scpLikeHost(w: string): string | undefined {
  const m = /^(?:[^@\/\s:]+@)?((?:\[[0-9A-Fa-f:.%\w]+\])|[A-Za-z0-9][A-Za-z0-9.-]*):(?!\/\/)/.exec(w);
  if (!m) return undefined;
  const host = m[1]!;
  // `C:\x`, `C:/x`: a drive letter, not a host.
  if (/^[A-Za-z]$/.test(host)) return undefined;
  return host;
}

/** The command text for a program read from standard input, a process substitution, or a file. */
type ProgramSource = "text" | "stdin" | "dynamic" | "file" | "none";

/**
 * Where a shell or an interpreter takes its program from: `-c`/`-e` text, a script file, a process
 * substitution (`bash <(curl …)`) or standard input (`… | sh`, `python3 -`).
 */
function programSource(
  prog: string,
  args: (string | undefined)[],
  procSubst: boolean[],
  shell: boolean,
): ProgramSource {
  for (let j = 0; j < args.length; j++) {
    const a = args[j];
    if (procSubst[j]) return "dynamic";
    if (a === undefined) return "dynamic";
    if (NO_PROGRAM_REGEXP.test(a) && !(shell && a === "-v") && !(prog.startsWith("python") && a === "-v")) {
      return "none";
    }
    if (a === "--") {
      const next = args[j + 1];
      if (procSubst[j + 1]) return "dynamic";
      return next === undefined
        ? (j + 1 < args.length ? "dynamic" : "stdin")
        : STDIN_NAMES.has(next)
        ? "stdin"
        : "file";
    }
    if (STDIN_NAMES.has(a)) return "stdin";
    if (shell) {
      if (/^-[A-Za-z]*c[A-Za-z]*$/.test(a)) return "text";
      if (/^-[A-Za-z]*s[A-Za-z]*$/.test(a)) return "stdin";
      if (SHELL_OPTION_WITH_VALUE_REGEXP.test(a)) {
        j++;
        continue;
      }
      if (/^[-+]/.test(a)) continue;
      return "file";
    }
    if (prog === "awk" || prog === "gawk" || prog === "mawk" || prog === "nawk") {
      // awk's program is its first operand, or `-f file`.
      if (a === "-f") return STDIN_NAMES.has(args[j + 1] ?? "") ? "stdin" : "file";
      if (/^-[vF]$/.test(a)) {
        j++;
        continue;
      }
      if (a.startsWith("-")) continue;
      return "text";
    }
    if (CODE_OPTION_REGEXP.test(a)) return "text";
    if (/^(?:-[WXrIM]|--require|--import|--loader|--experimental-loader)$/.test(a)) {
      j++;
      continue;
    }
    if (a.startsWith("-")) continue;
    return "file";
  }
  return "stdin";
}

function readStmt(
  stmt: Node,
  out: ShellReading,
  opts: ReadShellOptions,
  depth: number,
  bases: string[],
  note: (why: string) => void,
) {
  const cmd = stmt.Cmd;
  const type = cmd ? syntax.NodeType(cmd) : "";
  let words: (string | undefined)[] = [];
  /** Command strings the program runs besides its own (`GIT_SSH_COMMAND=…`, `git -c core.sshCommand=…`). */
  const extraScripts: string[] = [];
  let procSubst: boolean[] = [];
  let globs: boolean[] = [];
  if (type === "CallExpr") {
    for (const a of cmd.Assigns) {
      const v = a.Value ? staticWord(a.Value) : "";
      if (v !== undefined && v !== "") addWord(v, out, bases, false);
      if (v !== undefined && v !== "") extraScripts.push(...assignmentEffects(a.Name?.Value ?? "", v, out));
    }
    // A process substitution `<(…)` passes a /dev/fd name; its command is read where the walk reaches it.
    const argNodes = cmd.Args as Node[];
    procSubst = argNodes.map((w) => w.Parts.length === 1 && syntax.NodeType(w.Parts[0]) === "ProcSubst");
    globs = argNodes.map(() => false);
    words = argNodes.map((w, j) => {
      if (procSubst[j]) return "";
      const info = { glob: false };
      const v = staticWord(w, true, info);
      globs[j] = info.glob;
      return v;
    });
  } else if (type === "DeclClause") {
    for (const a of cmd.Args) {
      const v = a.Value ? staticWord(a.Value) : a.Name ? "" : staticWord(a.Value);
      if (v !== undefined && v !== "") addWord(v, out, bases, false);
      if (v !== undefined && v !== "") extraScripts.push(...assignmentEffects(a.Name?.Value ?? "", v, out));
    }
  }
  // Skip wrappers (`sudo -u x env A=b nice -n 5 cmd`) to the program that runs.
  let i = 0;
  let viaXargs = false;
  while (i < words.length && words[i] !== undefined && WRAPPERS.has(baseName(words[i]!))) {
    const wrapper = baseName(words[i]!);
    if (wrapper === "xargs") viaXargs = true;
    i++;
    while (
      i < words.length && words[i] !== undefined &&
      /^(?:-|[A-Za-z_][A-Za-z0-9_]*=|\d+[smhd]?$)/.test(words[i]!)
    ) {
      // `env -C dir`, `env --chdir=dir`, `sudo -D dir`: the program runs in that folder.
      const w = words[i]!;
      const chdir = /^--chdir=(.+)$/s.exec(w)?.[1] ??
        ((wrapper === "env" && (w === "-C" || w === "--chdir")) ||
            (wrapper === "sudo" && (w === "-D" || w === "--chdir"))
          ? words[i + 1]
          : undefined);
      if (chdir !== undefined) {
        addWord(chdir, out, bases, true);
        addBase(chdir, bases, note);
      } else if (/^--chdir=|^-[CD]$/.test(w) && words[i + 1] === undefined) {
        note("the program runs in a folder only known when it runs");
      }
      // `sudo -u root`, `env -u NAME`, `nice -n 5`, `timeout -s KILL`: these options take the next word.
      if (WRAPPER_OPTION_WITH_VALUE_REGEXP.test(words[i]!) || (wrapper !== "xargs" && w === "--chdir")) i++;
      const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(words[i]!);
      if (assign) extraScripts.push(...assignmentEffects(assign[1]!, assign[2]!, out));
      i++;
    }
  }
  // `busybox sh`, `busybox wget`: the applet is the program.
  if (i < words.length - 1 && words[i] !== undefined && baseName(words[i]!) === "busybox") i++;
  const name = i < words.length ? words[i] : "";
  if (words.length > 0 && name === undefined) note("the program's name is only known when it runs");
  const prog = baseName(name ?? "");
  const args = words.slice(i + 1);
  const argProc = procSubst.slice(i + 1);
  const argGlob = globs.slice(i + 1);
  let script: string | undefined;
  let scriptDynamic = false;
  /** Arguments that are the program text itself (read as a script, not as file names). */
  let scriptArgs = new Set<number>();
  if (prog === "eval") {
    if (args.every((a) => a !== undefined)) script = args.join(" ");
    else scriptDynamic = true;
    scriptArgs = new Set(args.keys());
    note("eval runs a string as a command");
  } else if (SHELLS.has(prog)) {
    const c = args.findIndex((a) => a !== undefined && /^-[A-Za-z]*c[A-Za-z]*$/.test(a));
    if (c !== -1) {
      const at = args.findIndex((a, j) => j > c && (a === undefined || !a.startsWith("-")));
      const s = at === -1 ? undefined : args[at];
      if (s === undefined && args.slice(c + 1).some((a) => a === undefined)) scriptDynamic = true;
      else script = s;
      if (at !== -1) scriptArgs.add(at);
    }
  }
  if (scriptDynamic) note("a shell string is only known when it runs");
  // A shell or an interpreter that reads its program from standard input (`… | sh`, `python3 -`, `bash -s`)
  // or from a process substitution (`bash <(curl …)`, `source <(…)`) runs code only known when it runs. A
  // here-document or here-string is read as the program (below), a `< file` redirection is a script file.
  const shellLike = SHELLS.has(prog);
  const interpreter = INTERPRETER_REGEXP.test(prog);
  const stdinRedirs = (stmt.Redirs ?? []).filter((r: Node) =>
    r.Hdoc || r.Op === HERE_STRING_OP || (r.Op === STDIN_OP && (r.N === null || r.N?.Value === "0"))
  );
  const track = tracks.get(out);
  if (track !== undefined) {
    // What runs: a program named by a path, a script file of a shell or an interpreter, a sourced file, a
    // Makefile; what is written: redirection targets, tee's files, curl's and wget's downloads.
    const runBy = shellLike || prog === "source" || prog === "." ? "shell" : "other";
    for (const a of args) if (a !== undefined) track.mentioned.add(baseName(a));
    for (const r of stmt.Redirs ?? []) {
      if (r.Hdoc || WRITE_OPS.has(r.Op) || r.Op === HERE_STRING_OP) continue;
      const w = staticWord(r.Word);
      if (w === undefined) continue;
      track.mentioned.add(baseName(w));
      // `sh < script.sh`: the file is the program.
      if ((shellLike || interpreter) && r.Op === STDIN_OP) track.run.set(baseName(w), runBy);
    }
    if (name !== undefined && /[\\/]/.test(name)) track.run.set(baseName(name), "shell");
    if (shellLike || interpreter || prog === "source" || prog === ".") {
      for (const a of args) if (a !== undefined && !a.startsWith("-")) track.run.set(baseName(a), runBy);
    }
    if (prog === "make" || prog === "gmake") {
      for (const m of ["Makefile", "makefile", "GNUmakefile"]) track.run.set(m, "other");
      const f = args.findIndex((a) => a === "-f" || a === "--file");
      if (f !== -1 && args[f + 1] !== undefined) track.run.set(baseName(args[f + 1]!), "other");
    }
    // The text this statement writes, when it is static: a here-document or here-string given to cat or tee,
    // or the words of echo and printf. Anything else (a download, a decoded or generated file) is unknown.
    let text: string[] | null = null;
    if (prog === "cat" || prog === "tee") {
      const here = (stmt.Redirs ?? []).find((r: Node) => r.Hdoc || r.Op === HERE_STRING_OP);
      const body = here === undefined
        ? undefined
        : here.Hdoc
        ? staticWord(here.Hdoc, false)
        : staticWord(here.Word);
      if (body !== undefined && args.every((a) => a !== undefined)) text = [body];
    } else if ((prog === "echo" || prog === "printf") && args.every((a) => a !== undefined)) {
      text = (args as string[]).filter((a) => !/^-[neE]+$/.test(a));
    }
    const wrote = (w: string) => {
      const prev = track.written.get(w);
      track.written.set(w, prev === null || text === null ? null : [...(prev ?? []), ...text]);
    };
    if (prog === "tee") {
      for (const a of args) if (a !== undefined && !a.startsWith("-")) wrote(baseName(a));
    }
    if (prog === "curl" || prog === "wget") {
      text = null;
      for (let j = 0; j < args.length; j++) {
        const a = args[j];
        if (a === undefined) continue;
        const v = /^--(?:output|output-document)=(.+)$/s.exec(a)?.[1] ??
          (/^-[A-Za-z]*[oO]$/.test(a) || a === "--output" || a === "--output-document"
            ? args[j + 1]
            : undefined);
        if (v !== undefined) wrote(baseName(v));
        if (prog === "curl" && /^-[A-Za-z]*O$|^--remote-name/.test(a)) wrote("*");
      }
    }
    for (const r of stmt.Redirs ?? []) {
      if (!r.Hdoc && WRITE_OPS.has(r.Op)) {
        const w = staticWord(r.Word);
        // Standard error carries no text of ours: `2> log` writes what the program reports.
        const fd = r.N?.Value;
        if (fd === "2" && text !== null) continue;
        if (w !== undefined && !STANDARD_DEVICE_REGEXP.test(w)) wrote(baseName(w));
      }
    }
  }
  if (shellLike || interpreter) {
    const src = programSource(prog, args, argProc, shellLike);
    if (src === "dynamic") note(`${prog} runs a program only known when it runs`);
    else if (src === "stdin" && stdinRedirs.length === 0) {
      note(`${prog} reads its program from standard input, only known when it runs`);
    } else if (src === "text" && interpreter) {
      // Inline code that builds its program at run time (`exec(b64decode(…))`, `eval(atob(…))`,
      // `pwsh -EncodedCommand …`) runs code not in the command's text.
      const code = args.filter((a) => a !== undefined).join(" ");
      if (
        RUNTIME_CODE_REGEXP.test(code) ||
        (/^(?:pwsh|powershell)$/i.test(prog) &&
          args.some((a) => a !== undefined && /^-(?:e|ec|enc|encodedcommand)$/i.test(a)))
      ) {
        note(`${prog} runs code it builds when it runs (exec, eval, a decoded string)`);
      }
    }
  } else if (prog === "source" || prog === ".") {
    if (argProc[0] || args[0] === undefined || STDIN_NAMES.has(args[0])) {
      note(`${prog} runs a file only known when it runs`);
    }
  }
  if (viaXargs && (shellLike || interpreter || prog === "eval")) {
    note("xargs builds a command from its input, only known when it runs");
  }
  if (prog === "cd" || prog === "pushd") {
    const target = args.find((a) => a === undefined || !a.startsWith("-") || a === "-");
    if (target === undefined && args.length > 0 && args.some((a) => a === undefined)) {
      note("cd to a directory only known when it runs");
    } else if (target === "-") note("cd - returns to a directory only known when it runs");
    else addBase(target ?? "~", bases, note);
  }
  if (NET_PROGRAMS.has(prog)) netHosts(prog, args, out);
  // `docker run -v ~:/host`, `--mount type=bind,source=~,…`: the container gets the host folder's whole tree.
  if (/^(?:docker|podman|nerdctl|finch)$/.test(prog)) {
    for (let j = 0; j < args.length; j++) {
      const a = args[j];
      if (a === undefined) continue;
      const v = /^--(?:volume|mount)=(.+)$/s.exec(a)?.[1] ??
        (a === "-v" || a === "--volume" || a === "--mount" ? args[j + 1] : undefined);
      if (v === undefined) continue;
      // The mount spec is not a file on this machine (its host folder is judged below).
      if (!a.includes("=")) scriptArgs.add(j + 1);
      out.notFiles.push(v);
      const src = /(?:^|,)(?:source|src)=([^,]+)/.exec(v)?.[1] ??
        (a.includes("mount") ? undefined : v.split(":")[0]);
      if (src !== undefined && /^(?:\/|~|\.|\$HOME\b)/.test(src)) {
        addWord(src, out, bases, true);
        addWord(`${src.replace(/\/+$/, "")}/**`, out, bases, false, true);
      }
    }
  }
  if (prog === "dig" || prog === "drill") {
    for (const a of args) if (a !== undefined && a.startsWith("@")) out.hosts.push(a.slice(1));
  } else if (prog === "nslookup" || prog === "host") {
    const ops = args.filter((a) => a !== undefined && !a.startsWith("-"));
    if (ops.length > 1 && ops[1] !== undefined) out.hosts.push(ops[1]!);
  }
  // `ln -s ~ src/h; cat src/h/.ssh/id_rsa`: a link the command makes is followed by later words under it.
  if (prog === "ln") {
    const ops = args.filter((a) => a !== undefined && !a.startsWith("-")) as string[];
    const track = tracks.get(out);
    if (track !== undefined && ops.length === 2) {
      const [target, link] = [ops[0]!, ops[1]!.replace(/\/+$/, "")];
      const dir = link.includes("/") ? link.slice(0, link.lastIndexOf("/")) : "";
      const abs = /^(?:\/|~|\$HOME\b)/.test(target) || dir === "" ? target : `${dir}/${target}`;
      track.links.push([link, abs]);
      track.links.push([`${link}/${baseName(target)}`, abs]);
    }
  }
  extraScripts.push(...optionScripts(prog, args, out, note));
  for (const w of recursiveOperands(prog, args)) {
    const tree = `${w.replace(/\/+$/, "")}/**`;
    // A bare folder name (`src`, `node_modules`) stays a word for denied paths and patterns, as it is alone.
    if (/^(?:~|\/|\$HOME\b|\.{1,2}(?:$|\/))/.test(w) || /(?:^|\/)\.\.(?:$|\/)/.test(w)) {
      addWord(tree, out, bases, false, true);
    } else out.paths.push({ word: tree, bases: bases.filter((b) => b !== ""), denyOnly: true });
  }
  for (let j = 0; j < args.length; j++) {
    const a = args[j];
    if (a === undefined) {
      note("an argument is only known when it runs (an expansion, ~+, ~-, or a brace list)");
      continue;
    }
    if (scriptArgs.has(j)) continue;
    // scp and rsync read `host:path`; git `user@host:path`, and `host:path` where a repository is expected
    // (`git clone`, `fetch`, `pull`, `push`, `ls-remote`, `remote add`, `submodule add`), not `HEAD:file`.
    const gitRepo = prog === "git" &&
      (a.includes("@") ||
        (args.some((x) =>
          x !== undefined && /^(?:clone|fetch|pull|push|ls-remote|remote|submodule)$/.test(x)
        ) &&
          /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+:|^localhost:/.test(a)));
    if (prog === "scp" || prog === "rsync" || prog === "sftp" || gitRepo) {
      const h = a.startsWith("-") ? undefined : scpLikeHost(a);
      if (h !== undefined) out.hosts.push(h);
    }
    const dir = DIR_OPTION_REGEXP.exec(a)?.[1];
    if (dir !== undefined) addBase(dir, bases, note);
    if (DASH_C_DIR.has(prog) && (a === "-C" || a === "--directory") && args[j + 1] !== undefined) {
      addBase(args[j + 1]!, bases, note);
    } else if (DASH_C_DIR.has(prog) && /^-C./.test(a)) addBase(a.slice(2), bases, note);
    if (AT_FILE.has(prog)) {
      const at = /^(?:[^=@<\s]*[=:])?[@<](.+)$/s.exec(a)?.[1] ?? /^[\w.-]+@(.+)$/s.exec(a)?.[1];
      if (at !== undefined && at !== "-") addWord(at, out, bases, true);
      if (/^--(?:post-file|body-file|input-file|upload-file)=(.+)$/s.test(a)) {
        addWord(a.slice(a.indexOf("=") + 1), out, bases, true);
      }
    }
    if (prog === "cd" || prog === "pushd" || prog === "popd") addWord(a, out, bases, true);
    else addWord(a, out, bases, false, argGlob[j]);
  }
  if (name !== undefined && name !== "" && /[\\/]/.test(name)) addWord(name, out, bases, true);
  const stdoutRedirs = (stmt.Redirs ?? []).filter((r: Node) =>
    !r.Hdoc && STDOUT_FILE_OPS.has(r.Op) && (r.N === null || r.N === undefined || r.N.Value === "1")
  );
  const stdoutToFile = stdoutRedirs.length > 0;
  const stdoutTargets = stdoutRedirs.map((r: Node) => staticWord(r.Word)).filter((w: string | undefined) =>
    w !== undefined
  ).map((w: string) => baseName(w));
  for (const r of stmt.Redirs ?? []) {
    if (r.Hdoc) {
      // A here-document fed to a shell is a script; to a program that only reads data it is text (the
      // split-at-quotes reading skips it); to anything else (an interpreter, xargs, patch) it is scanned.
      if (SHELLS.has(prog) && script === undefined) {
        const body = staticWord(r.Hdoc, false);
        if (body === undefined) note("a here-document is only known when it runs");
        else script = body;
      } else if (depth === 0 && DATA_STDIN.has(prog) && !viaXargs && stdoutToFile) {
        // Data written to a file (`cat > notes.md <<'E'`): nothing of it reaches another program's input,
        // unless the command reads that file again (checked at the end).
        out.dataRanges.push([r.Hdoc.Pos().Offset(), r.Hdoc.End().Offset()]);
        for (const t of stdoutTargets) track?.blanked.add(t);
      }
      continue;
    }
    const w = staticWord(r.Word);
    if (r.Op === HERE_STRING_OP) {
      if (SHELLS.has(prog) && script === undefined) {
        if (w === undefined) note("a here-string is only known when it runs");
        else script = w;
      }
      continue;
    }
    if (DUP_OPS.has(r.Op) && (w === undefined || /^(?:\d+|-)$/.test(w))) continue;
    if (w === undefined) note("a redirection target is only known when it runs");
    else addWord(w, out, bases, true);
  }
  if (script !== undefined) readInto(script, out, opts, depth + 1, bases);
  for (const x of extraScripts) readInto(x, out, opts, depth + 1, [...bases]);
}

/** Proxy variables: the host every request of the command goes through. */
const PROXY_VAR_REGEXP = /^(?:https?|all|ftp|rsync|socks5?)_proxy$/i;
/** Variables whose value is a command a program runs (git's ssh, an editor or pager it starts). */
const COMMAND_VAR_REGEXP =
  /^(?:GIT_SSH_COMMAND|GIT_SSH|GIT_PROXY_COMMAND|GIT_EDITOR|GIT_PAGER|GIT_EXTERNAL_DIFF|GIT_ASKPASS|SSH_ASKPASS|EDITOR|VISUAL|PAGER|RSYNC_RSH|RSYNC_CONNECT_PROG|PROMPT_COMMAND|BASH_ENV|ENV)$/;

/** What an assignment `NAME=value` does besides its value: a proxy host, or a command run later. */
function assignmentEffects(name: string, value: string, out: ShellReading): string[] {
  if (PROXY_VAR_REGEXP.test(name)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) out.urls.push(value);
    else out.hosts.push(value);
    return [];
  }
  return COMMAND_VAR_REGEXP.test(name) ? [value] : [];
}

/** git `-c key=value` keys whose value is a command git runs. */
const GIT_COMMAND_KEY_REGEXP =
  /^(?:core\.(?:sshcommand|pager|editor|fsmonitor|gitproxy|askpass)|sequence\.editor|diff\..*\.(?:command|textconv)|filter\..*\.(?:clean|smudge|process)|merge\..*\.driver|credential(?:\..*)?\.helper|alias\..*|uploadpack\..*|remote\..*\.(?:uploadpack|receivepack|proxy)|.*\.(?:command|cmd))$/i;
/** git `-c key=value` keys whose value is a proxy host. */
const GIT_PROXY_KEY_REGEXP = /^(?:https?(?:\..*)?\.proxy|remote\..*\.proxy|core\.gitproxy)$/i;

/**
 * Command strings a program runs because of its options (`git -c core.sshCommand=…`, `git clone
 * --upload-pack=…`, `ssh -o ProxyCommand=…`, `rsync -e …`, `su -c …`, `watch …`), and hosts named there
 * (`git -c http.proxy=…`, `ssh -o ProxyJump=…`). A file of options (`curl -K f`, `wget -i f`) is unproven.
 */
function optionScripts(
  prog: string,
  args: (string | undefined)[],
  out: ShellReading,
  note: (why: string) => void,
): string[] {
  const scripts: string[] = [];
  const valueOf = (j: number, a: string, long: string, short?: string): string | undefined => {
    if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
    if (a === long || (short !== undefined && a === short)) return args[j + 1] ?? undefined;
    if (short !== undefined && a.startsWith(short) && a.length > short.length && !a.startsWith("--")) {
      return a.slice(short.length);
    }
    return undefined;
  };
  for (let j = 0; j < args.length; j++) {
    const a = args[j];
    if (a === undefined) continue;
    if (prog === "git") {
      if (a === "-c" && args[j + 1] !== undefined) {
        const kv = /^([^=]+)=(.*)$/s.exec(args[j + 1]!);
        if (kv && GIT_PROXY_KEY_REGEXP.test(kv[1]!)) assignmentEffects("http_proxy", kv[2]!, out);
        else if (kv && GIT_COMMAND_KEY_REGEXP.test(kv[1]!)) scripts.push(kv[2]!.replace(/^!/, ""));
      }
      for (const opt of ["--upload-pack", "--receive-pack", "--exec"]) {
        const v = valueOf(j, a, opt);
        if (v !== undefined) scripts.push(v);
      }
      if (a === "-u" && args[j + 1] !== undefined) scripts.push(args[j + 1]!);
    } else if (prog === "ssh" || prog === "scp" || prog === "sftp" || prog === "rsync") {
      const o = valueOf(j, a, "-o", "-o");
      const kv = o === undefined ? undefined : /^([A-Za-z]+)\s*[= ]\s*(.*)$/s.exec(o);
      if (kv && /^(?:ProxyCommand|LocalCommand|KnownHostsCommand|RemoteCommand)$/i.test(kv[1]!)) {
        scripts.push(kv[2]!);
      } else if (kv && /^(?:ProxyJump|HostName)$/i.test(kv[1]!)) {
        for (const h of kv[2]!.split(",")) if (h !== "") out.hosts.push(h);
      }
      if (prog === "rsync") {
        const rsh = valueOf(j, a, "--rsh", "-e");
        if (rsh !== undefined) scripts.push(rsh);
      }
    } else if (prog === "curl" && (a === "-K" || a.startsWith("--config") || /^-[A-Za-z]*K/.test(a))) {
      note("curl reads options (URLs, hosts, files) from a config file, only known when it runs");
    } else if (prog === "wget" && (a === "-e" || a === "--execute") && args[j + 1] !== undefined) {
      const kv = /^([A-Za-z_]+)\s*=\s*(.*)$/s.exec(args[j + 1]!);
      if (kv) assignmentEffects(kv[1]!, kv[2]!, out);
    } else if (prog === "wget" && (/^-[A-Za-z]*i/.test(a) || a.startsWith("--input-file"))) {
      note("wget reads its URLs from a file, only known when it runs");
    } else if (
      (prog === "su" || prog === "runuser" || prog === "script" || prog === "flock") &&
      (a === "-c" || a === "--command")
    ) {
      if (args[j + 1] !== undefined) scripts.push(args[j + 1]!);
      else note("a command string is only known when it runs");
    }
  }
  if (prog === "watch") {
    const rest = args.filter((x) => x === undefined || !x.startsWith("-"));
    if (rest.every((x) => x !== undefined)) scripts.push(rest.join(" "));
  }
  return scripts;
}

/** Programs that read (or change) a folder's whole tree, always or with a recursive option. */
const ALWAYS_RECURSIVE = new Set(["find", "rg", "ag", "ack", "tree", "rclone", "fd", "fdfind"]);
const RECURSIVE_WITH_OPTION = new Set([
  "grep",
  "egrep",
  "fgrep",
  "cp",
  "scp",
  "rsync",
  "rm",
  "chmod",
  "chown",
  "chgrp",
  "ls",
  "zip",
  "mv",
  "tar",
  "bsdtar",
  "7z",
  "7za",
  "setfacl",
]);
/** The short options that make a program recursive. */
const RECURSIVE_LETTERS: Record<string, string> = {
  cp: "rRa",
  rsync: "ra",
  scp: "r",
  zip: "r",
  chmod: "R",
  chown: "R",
  chgrp: "R",
  setfacl: "R",
  ls: "R",
};

/** Short options that take the next word, per program (so that the word is not read as an operand). */
const RECURSIVE_SHORT_VALUES: Record<string, string> = {
  grep: "efmABCdD",
  egrep: "efmABCdD",
  fgrep: "efmABCdD",
  rg: "efgmtTABCjM",
  ag: "gGmABC",
  ack: "mABC",
  cp: "tS",
  mv: "tS",
  rsync: "efTB",
  scp: "cFiJlPSoD",
  zip: "binxti",
  tar: "fCTXbNgHK",
  bsdtar: "fCTXbNgHK",
  find: "",
  tree: "LPIo",
  fd: "etdEcxX",
  fdfind: "etdEcxX",
};

/**
 * The operands of a command that reads, copies or changes a folder's whole tree (`grep -r x ~`, `tar czf a.tgz
 * ~`, `cp -a ~ /tmp`, `find ~ -exec cat {} +`, `zip -r a.zip ~`, `rm -rf dir`): each stands for everything below
 * it, so it is judged as `dir/**` (a denied folder inside it denies).
 */
function recursiveOperands(prog: string, args: (string | undefined)[]): string[] {
  const always = ALWAYS_RECURSIVE.has(prog);
  if (!always && !RECURSIVE_WITH_OPTION.has(prog)) return [];
  const shortValues = RECURSIVE_SHORT_VALUES[prog] ?? "";
  let recursive = always || prog === "mv";
  let patternGiven = false;
  let tarCreate = false;
  const operands: string[] = [];
  let endOfOptions = false;
  for (let j = 0; j < args.length; j++) {
    const a = args[j];
    if (a === undefined || a === "") continue;
    // find: the operands are the starting points before the first expression (`-name`, `(`, `!`).
    if (prog === "find" && (/^[-(!]/.test(a) && a !== "-" || a === ")")) break;
    if (prog === "tar" || prog === "bsdtar") {
      // `tar czf out.tgz dir` and `tar -czf out.tgz dir`: the first word is the options; `f` takes a name.
      if (j === 0 && !a.startsWith("-") && /^[A-Za-z]+$/.test(a)) {
        tarCreate = /[cru]/.test(a);
        if (a.includes("f")) j++;
        continue;
      }
      if (/^-[A-Za-z]*[cru]/.test(a) || a === "--create" || a === "--append" || a === "--update") {
        tarCreate = true;
      }
    }
    if (prog === "7z" || prog === "7za") {
      if (j === 0) {
        tarCreate = a === "a" || a === "u";
        continue;
      }
    }
    if (!endOfOptions && a === "--") {
      endOfOptions = true;
      continue;
    }
    if (!endOfOptions && a.startsWith("-") && a !== "-") {
      const letters = RECURSIVE_LETTERS[prog] ?? "rR";
      if (/^--(?:recursive|archive|directories=recurse)$/.test(a)) recursive = true;
      else if ((a === "-d" || a === "--directories") && args[j + 1] === "recurse") recursive = true;
      else if (!a.startsWith("--") && [...a.slice(1)].some((c) => letters.includes(c))) recursive = true;
      if (/^-(?:[A-Za-z]*[ef]|-regexp|-file)$/.test(a) || /^--(?:regexp|file)=/.test(a)) patternGiven = true;
      if (!a.startsWith("--")) {
        for (let k = 1; k < a.length; k++) {
          if (shortValues.includes(a[k]!)) {
            if (k === a.length - 1) j++;
            break;
          }
        }
      }
      continue;
    }
    operands.push(a);
  }
  if (prog === "tar" || prog === "bsdtar" || prog === "7z" || prog === "7za") {
    if (!tarCreate) return [];
    recursive = true;
  }
  if (!recursive) return [];
  let ops = operands;
  // grep, rg, ag, ack: the first operand is the pattern unless `-e` / `-f` gave it.
  if (["grep", "egrep", "fgrep", "rg", "ag", "ack", "fd", "fdfind"].includes(prog) && !patternGiven) {
    ops = ops.slice(1);
  }
  // zip and 7z: the first operand is the archive.
  if (prog === "zip" || prog === "7z" || prog === "7za") ops = ops.slice(1);
  // chmod, chown, chgrp, setfacl: the first operand is the mode or the owner.
  if (["chmod", "chown", "chgrp", "setfacl"].includes(prog)) ops = ops.slice(1);
  // rg, ag, ack, fd, tree, find without a folder: the working folder.
  if (ops.length === 0 && (always || ["grep", "egrep", "fgrep"].includes(prog))) {
    return prog === "grep" || prog === "egrep" || prog === "fgrep" ? (recursive ? ["."] : []) : ["."];
  }
  return ops.filter((o) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(o) && scpLikeHost(o) === undefined);
}

function addBase(dir: string, bases: string[], note: (why: string) => void) {
  const next = new Set(bases);
  for (const b of bases) next.add(joinBase(b, dir));
  if (next.size > MAX_BASES) {
    note("the command changes directory too often to follow");
    return;
  }
  bases.length = 0;
  bases.push(...next);
}

/** `dir` read relative to `base` ("" = the working directory); absolute and `~` forms stand alone. */
function joinBase(base: string, dir: string): string {
  // Absolute, home-relative, a drive, UNC or `%VAR%` (cmd.exe) forms do not depend on the base.
  if (base === "" || /^(?:\/|~|\$HOME|[A-Za-z]:|\\\\|%[A-Za-z_][\w()]*%)/.test(dir)) return dir;
  return `${base.replace(/\/+$/, "")}/${dir}`;
}

/** Devices every program may open: the null device, the terminal, standard streams, random sources. */
const STANDARD_DEVICE_REGEXP = /^\/dev\/(?:null|zero|full|tty|random|urandom|stdin|stdout|stderr|fd\/[0-2])$/;

/** bash opens `/dev/tcp/host/port` and `/dev/udp/host/port` as a connection to the host. */
const DEV_NET_REGEXP = /^\/dev\/(?:tcp|udp)\/([^/]+)\/?/;

function addWord(w: string, out: ShellReading, bases: string[], isFile: boolean, glob = false) {
  if (w === "") return;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(w)) {
    out.urls.push(w);
    return;
  }
  const net = DEV_NET_REGEXP.exec(w)?.[1];
  if (net !== undefined) out.hosts.push(net);
  const flag = /^--?[A-Za-z][\w-]*=(.+)$/s.exec(w)?.[1];
  if (flag !== undefined) addWord(flag, out, bases, false);
  // `--proxy=host:port`, `--https-proxy=…` (npm, pip, git, wget): every request goes through that host.
  const proxy = /^--(?:https?-|all-|socks5?-)?proxy=(.+)$/is.exec(w)?.[1];
  if (proxy !== undefined) assignmentEffects("http_proxy", proxy, out);
  // A word under a link the command made (`ln -s ~ h; cat h/.ssh/id_rsa`) is also the file under its target.
  const links = tracks.get(out)?.links;
  if (links !== undefined && links.length > 0 && !w.startsWith("-")) {
    for (const [link, target] of links) {
      const rel = w.replace(/^\.\//, "");
      if (rel === link || rel.startsWith(`${link}/`)) {
        const through = target + rel.slice(link.length);
        if (through !== w) {
          out.paths.push({
            word: through,
            bases: bases.filter((b) => b !== ""),
            denyOnly: false,
          });
        }
      }
    }
  }
  if (w.startsWith("-") && !isFile) return;
  const absolute = /^(?:~|\/|\$HOME\b)/.test(w);
  const explicit = absolute || /^\.{1,2}(?:$|\/)/.test(w);
  const dotdot = /(?:^|\/)\.\.(?:$|\/)/.test(w);
  const others = bases.filter((b) => b !== "");
  if (absolute) {
    // `2>/dev/null`, `>/dev/stderr`: the standard devices are no file an allowlist is about (denied paths still
    // judge them).
    out.paths.push({ word: w, bases: [], denyOnly: STANDARD_DEVICE_REGEXP.test(w) });
    return;
  }
  // A glob is expanded by the shell against the file system, so it names files wherever it is: judged in
  // full (the canonicalizer adds the folder it lists), never as a word that might not be a file.
  if (glob) {
    out.paths.push({ word: w, bases: others, denyOnly: false });
    return;
  }
  // Bare words are judged when they look like a file (a `/`, a leading dot, a redirection or `@file`), or when
  // a `cd` / `-C` put the command somewhere else: there `cat id_rsa` opens a file under that folder. A word
  // with a space is judged too (`'a b/../../etc/passwd'` is a file to `cat`): for denied paths and patterns
  // only, unless it climbs with `..` or is a redirection target.
  if (explicit || isFile || dotdot || /^\.|\//.test(w) || others.length > 0) {
    out.paths.push({ word: w, bases: others, denyOnly: !(explicit || isFile || dotdot) });
  }
}
