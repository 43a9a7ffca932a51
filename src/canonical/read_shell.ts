import sh from "mvdan-sh";

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
const syntax = (sh as { syntax: Node }).syntax;
const parser = syntax.NewParser();

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

function opName(src: string): number {
  return parser.Parse(src, "").Stmts[0].Redirs[0].Op;
}
/** Redirection operators whose word is not a file: fd duplication and here-strings. */
const DUP_OPS = new Set([opName("a >&2"), opName("a <&0")]);
const HERE_STRING_OP = opName("a <<< x");

const UNQUOTED_ESCAPE_REGEXP = /\\(\n|.)/gs;
const DQUOTED_ESCAPE_REGEXP = /\\([\\$`"\n])/g;
const BRACE_EXPANSION_REGEXP = /\{[^{}\s]*(?:,|\.\.)[^{}\s]*\}/;

/**
 * Reads a shell command as bash would parse it.
 * @param src the command string
 * @param opts the call's parse budget
 * @returns the static paths and URLs it names, and every reason it cannot be proven safe
 */
export function readShell(src: string, opts: ReadShellOptions): ShellReading {
  const out: ShellReading = { paths: [], urls: [], dynamic: [] };
  readInto(src, out, opts, 0, [""]);
  return out;
}

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

/** The word as the shell passes it, or undefined when part of it is only known at run time. */
function staticWord(w: Node, allowTilde = true): string | undefined {
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
  if (type === "CallExpr") {
    for (const a of cmd.Assigns) {
      const v = a.Value ? staticWord(a.Value) : "";
      if (v !== undefined && v !== "") addWord(v, out, bases, false);
    }
    // A process substitution `<(…)` passes a /dev/fd name; its command is read where the walk reaches it.
    words = (cmd.Args as Node[]).map((w) =>
      w.Parts.length === 1 && syntax.NodeType(w.Parts[0]) === "ProcSubst" ? "" : staticWord(w)
    );
  } else if (type === "DeclClause") {
    for (const a of cmd.Args) {
      const v = a.Value ? staticWord(a.Value) : a.Name ? "" : staticWord(a.Value);
      if (v !== undefined && v !== "") addWord(v, out, bases, false);
    }
  }
  // Skip wrappers (`sudo -u x env A=b nice -n 5 cmd`) to the program that runs.
  let i = 0;
  while (i < words.length && words[i] !== undefined && WRAPPERS.has(baseName(words[i]!))) {
    i++;
    while (
      i < words.length && words[i] !== undefined &&
      /^(?:-|[A-Za-z_][A-Za-z0-9_]*=|\d+[smhd]?$)/.test(words[i]!)
    ) {
      // `sudo -u root`, `env -u NAME`, `nice -n 5`, `timeout -s KILL`: these options take the next word.
      if (WRAPPER_OPTION_WITH_VALUE_REGEXP.test(words[i]!)) i++;
      i++;
    }
  }
  const name = i < words.length ? words[i] : "";
  if (words.length > 0 && name === undefined) note("the program's name is only known when it runs");
  const prog = baseName(name ?? "");
  const args = words.slice(i + 1);
  let script: string | undefined;
  let scriptDynamic = false;
  if (prog === "eval") {
    if (args.every((a) => a !== undefined)) script = args.join(" ");
    else scriptDynamic = true;
    note("eval runs a string as a command");
  } else if (SHELLS.has(prog)) {
    const c = args.findIndex((a) => a !== undefined && /^-[A-Za-z]*c[A-Za-z]*$/.test(a));
    if (c !== -1) {
      const s = args.slice(c + 1).find((a) => a === undefined || !a.startsWith("-"));
      if (s === undefined && args.slice(c + 1).some((a) => a === undefined)) scriptDynamic = true;
      else script = s;
    }
  }
  if (scriptDynamic) note("a shell string is only known when it runs");
  if (prog === "cd" || prog === "pushd") {
    const target = args.find((a) => a === undefined || !a.startsWith("-") || a === "-");
    if (target === undefined && args.length > 0 && args.some((a) => a === undefined)) {
      note("cd to a directory only known when it runs");
    } else if (target === "-") note("cd - returns to a directory only known when it runs");
    else addBase(target ?? "~", bases, note);
  }
  for (let j = 0; j < args.length; j++) {
    const a = args[j];
    if (a === undefined) {
      note("an argument is only known when it runs (an expansion, ~+, ~-, or a brace list)");
      continue;
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
    else addWord(a, out, bases, false);
  }
  if (name !== undefined && name !== "" && /[\\/]/.test(name)) addWord(name, out, bases, true);
  for (const r of stmt.Redirs ?? []) {
    if (r.Hdoc) {
      // A here-document fed to a shell is a script; to anything else it is data (scanned as text).
      if (SHELLS.has(prog) && script === undefined) {
        const body = staticWord(r.Hdoc, false);
        if (body === undefined) note("a here-document is only known when it runs");
        else script = body;
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
  if (base === "" || /^(?:\/|~|\$HOME)/.test(dir)) return dir;
  return `${base.replace(/\/+$/, "")}/${dir}`;
}

function addWord(w: string, out: ShellReading, bases: string[], isFile: boolean) {
  if (w === "") return;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(w)) {
    out.urls.push(w);
    return;
  }
  const flag = /^--?[A-Za-z][\w-]*=(.+)$/s.exec(w)?.[1];
  if (flag !== undefined) addWord(flag, out, bases, false);
  if (w.startsWith("-") && !isFile) return;
  const absolute = /^(?:~|\/|\$HOME\b)/.test(w);
  const explicit = absolute || /^\.{1,2}(?:$|\/)/.test(w);
  const dotdot = /(?:^|\/)\.\.(?:$|\/)/.test(w);
  const others = bases.filter((b) => b !== "");
  if (absolute) {
    out.paths.push({ word: w, bases: [], denyOnly: false });
    return;
  }
  // Bare words are judged when they look like a file (a `/`, a leading dot, a redirection or `@file`), or when
  // a `cd` / `-C` put the command somewhere else: there `cat id_rsa` opens a file under that folder.
  if (explicit || isFile || dotdot || /^\.|\//.test(w) || others.length > 0) {
    if (/\s/.test(w) && !explicit && !isFile) return; // a message or a script, not a file name
    out.paths.push({ word: w, bases: others, denyOnly: !(explicit || isFile || dotdot) });
  }
}
