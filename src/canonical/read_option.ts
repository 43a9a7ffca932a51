import { normalizedStart } from "./resolve_url.ts";

/**
 * Programs that MCP servers commonly wrap by building a command line from the arguments. A server or tool
 * whose name holds one of these as a word (`git_checkout`, `mcp-server-kubernetes`, `dockerRun`) hands its
 * string arguments to that program, so any of them may be read as an option.
 */
const PROGRAMS = new Set([
  "git",
  "gh",
  "glab",
  "hg",
  "svn",
  "kubectl",
  "kube",
  "kubernetes",
  "k8s",
  "helm",
  "minikube",
  "docker",
  "podman",
  "compose",
  "ssh",
  "scp",
  "sftp",
  "rsync",
  "curl",
  "wget",
  "httpie",
  "npm",
  "npx",
  "pnpm",
  "yarn",
  "bun",
  "pip",
  "pipx",
  "uv",
  "poetry",
  "cargo",
  "gem",
  "brew",
  "apt",
  "tar",
  "zip",
  "unzip",
  "ffmpeg",
  "ffprobe",
  "imagemagick",
  "magick",
  "pandoc",
  "psql",
  "mysql",
  "sqlite3",
  "terraform",
  "tofu",
  "ansible",
  "aws",
  "gcloud",
  "gsutil",
  "az",
  "make",
  "openssl",
  "gpg",
  "nmap",
  "ping",
  "dig",
  "nslookup",
  "whois",
  "traceroute",
  "nc",
  "netcat",
  "grep",
  "rg",
  "ripgrep",
  "jq",
  "yq",
  "systemctl",
  "journalctl",
  "mvn",
  "gradle",
  "dotnet",
  "bash",
  "sh",
  "zsh",
  "pwsh",
  "powershell",
  "shell",
  "exec",
  "execute",
  "spawn",
  "subprocess",
  "cli",
  "terminal",
]);

/** A description that says the tool runs a program (`Runs git log`, `wraps kubectl`, `command line`). */
const PROGRAM_DESCRIPTION_REGEXP = new RegExp(
  `\\b(?:${
    [...PROGRAMS].filter((p) => p.length > 2 && !["shell", "exec", "execute", "cli"].includes(p)).join("|")
  }|command[- ]line|CLI)\\b`,
  "i",
);

/**
 * Last words of an argument name whose value is never handed over as an option: free text, and the keys that
 * exist to carry options (`args`, `flags`). `contains` is free text except on a program (git branch --contains).
 */
const FREE_WORDS = new Set([
  "query",
  "queries",
  "q",
  "pattern",
  "patterns",
  "regex",
  "search",
  "keyword",
  "keywords",
  "term",
  "terms",
  "message",
  "messages",
  "msg",
  "body",
  "text",
  "description",
  "content",
  "contents",
  "title",
  "comment",
  "comments",
  "prompt",
  "note",
  "notes",
  "summary",
  "subject",
  "instructions",
  "question",
  "answer",
  "caption",
  "code",
  "sql",
  "html",
  "markdown",
  "diff",
  "patch",
  "data",
  "value",
  "values",
  "input",
  "str",
  "args",
  "argv",
  "arguments",
  "flags",
  "options",
  "opts",
  "command",
  "cmd",
  "commands",
  "script",
  "commandline",
]);
/** Free text on most servers, a ref on a program (`git branch --contains <ref>`). */
const PROGRAM_REF_WORDS = new Set(["contains"]);

/**
 * Last words of an argument name whose value is a ref, target, host, URL, file, path or name: a value a server
 * passes on as an operand wherever it runs a program, so one starting with `-` is an option on any server.
 */
const OPERAND_WORDS = new Set([
  "ref",
  "refs",
  "refspec",
  "branch",
  "branches",
  "revision",
  "revisions",
  "rev",
  "revs",
  "commit",
  "commits",
  "sha",
  "tag",
  "tags",
  "treeish",
  "startpoint",
  "remote",
  "upstream",
  "target",
  "targets",
  "host",
  "hosts",
  "hostname",
  "server",
  "url",
  "urls",
  "uri",
  "uris",
  "endpoint",
  "path",
  "paths",
  "pathspec",
  "file",
  "files",
  "filename",
  "filepath",
  "dir",
  "directory",
  "folder",
  "cwd",
  "source",
  "src",
  "dest",
  "destination",
  "name",
  "names",
  "repo",
  "repository",
  "image",
  "container",
  "pod",
  "namespace",
  "context",
  "cluster",
  "package",
  "packages",
  "pkg",
  "module",
  "user",
  "username",
  "identity",
  "key",
  "keyfile",
  "resource",
  "object",
  "base",
  "head",
  "version",
]);

/** `--name=value` / `-n=value`: the value after the first `=`. */
const LONG_FLAG_VALUE_REGEXP = /^\s*--?[A-Za-z][\w.-]*=(.*)$/s;
/** `-oValue`: a short option with its value attached. */
const SHORT_FLAG_VALUE_REGEXP = /^\s*-[A-Za-z](.+)$/s;
/** A value a program's option parser takes as an option: `-x`, `--x`, `--`, not `-` (stdin) or `- item`. */
const OPTION_REGEXP = /^-(?:-|[^\s\d-]|\d+[^\d.,\s])/;

/**
 * The words of an identifier: `git_checkout` → git, checkout; `dockerRun` → docker, run; `mcp-server-k8s` →
 * mcp, server, k8s. Linear in the name.
 * @param name a server, tool or argument name
 * @returns lower-case words
 */
export function nameWords(name: string): readonly string[] {
  let words = WORDS.get(name);
  if (words === undefined) {
    words = Object.freeze(
      name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/).filter((w) => w !== ""),
    );
    if (name.length > MAX_MEMO_NAME) return words;
    if (WORDS.size >= MAX_MEMO) WORDS.clear();
    WORDS.set(name, words);
  }
  return words;
}

// Server, tool and argument names repeat on every call: their words are read once. The memo is bounded (names
// come from the agent) and holds only short names.
const WORDS = new Map<string, readonly string[]>();
const PROGRAM_CALLS = new Map<string, boolean>();
const PROGRAM_DESCRIPTIONS = new Map<string, boolean>();
const MAX_MEMO = 4096;
const MAX_MEMO_NAME = 256;

/**
 * True when a server builds a command line from the call: its name, the tool's name or the tool's description
 * names a program (git, kubectl, docker, ssh, curl, npm, rsync, …) or a shell.
 * @param server the policy's server name
 * @param tool the tool name, if any
 * @param description the tool's description, when known from `tools/list`
 * @returns whether every non-free-text argument may reach a program's argv
 */
export function runsProgram(server: string, tool: string | undefined, description?: string): boolean {
  const key = `${server}\u0000${tool ?? ""}`;
  let named = PROGRAM_CALLS.get(key);
  if (named === undefined) {
    named = [...nameWords(server), ...nameWords(tool ?? "")].some((w) => PROGRAMS.has(w));
    if (PROGRAM_CALLS.size >= MAX_MEMO) PROGRAM_CALLS.clear();
    PROGRAM_CALLS.set(key, named);
  }
  if (named) return true;
  // A description is prose: only its first 2 KiB is read, so the cost stays bounded.
  if (description === undefined) return false;
  // The proxy hands the same description (from tools/list) on every call of a tool: read once.
  let says = PROGRAM_DESCRIPTIONS.get(description);
  if (says === undefined) {
    says = PROGRAM_DESCRIPTION_REGEXP.test(description.slice(0, 2048));
    if (PROGRAM_DESCRIPTIONS.size >= 1024) PROGRAM_DESCRIPTIONS.clear();
    PROGRAM_DESCRIPTIONS.set(description, says);
  }
  return says;
}

/**
 * How an argument name is read for option injection: `free` text is never an option (query, message,
 * pattern, args…), an `operand` (ref, branch, target, host, url, file, path, name…) is an option when it starts
 * with `-` on any server, anything else only on a server that runs a program. The last word of the name
 * decides (`commit_message` is free text, `repo_path` an operand).
 * @param key the nearest object key above the value
 * @param onProgram whether the server runs a program ({@link runsProgram})
 * @returns the reading
 */
export function optionKeyClass(key: string, onProgram: boolean): "free" | "operand" | "other" {
  const words = nameWords(key);
  const last = words[words.length - 1] ?? "";
  const joined = words.join("");
  if (PROGRAM_REF_WORDS.has(last)) return onProgram ? "operand" : "free";
  if (FREE_WORDS.has(last) || FREE_WORDS.has(joined)) return "free";
  if (OPERAND_WORDS.has(last) || OPERAND_WORDS.has(joined)) return "operand";
  return "other";
}

/**
 * True when a program's option parser would read the value as an option: it starts with `-` (after leading
 * whitespace, which a server that joins a command line drops, and after NFKC, which folds `－`) and is not a
 * lone `-`, a negative number or a `- list item`.
 * @param value a string argument
 * @returns whether it is option-shaped
 */
export function isOptionShaped(value: string): boolean {
  const t = value.trimStart();
  return OPTION_REGEXP.test(t) || OPTION_REGEXP.test(normalizedStart(t));
}

/**
 * The values an option carries (`--output=/tmp/x` → `/tmp/x`, `-o/etc/passwd` → `/etc/passwd`,
 * `-oProxyCommand=x` → `ProxyCommand=x` and `x`): each is judged as a path or URL too.
 * @param value an option-shaped string
 * @returns the carried values, possibly none
 */
export function optionValues(value: string): string[] {
  const out: string[] = [];
  const long = LONG_FLAG_VALUE_REGEXP.exec(value)?.[1];
  if (long !== undefined) out.push(long);
  const short = /^\s*--/.test(value) ? undefined : SHORT_FLAG_VALUE_REGEXP.exec(value)?.[1];
  if (short !== undefined) {
    out.push(short);
    const eq = short.indexOf("=");
    if (eq >= 0 && short.slice(eq + 1) !== long) out.push(short.slice(eq + 1));
  }
  return out.filter((v) => v.trim() !== "");
}
