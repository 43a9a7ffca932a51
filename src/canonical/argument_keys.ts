/**
 * The argument names the readers know (normalized with {@link normKey}: lower case, no `-`, `_` or spaces):
 * which keys hold paths, URLs, hosts, refs, commands, argv elements and free text.
 * @module
 */

/**
 * An argument name as the key sets below spell it: `save_path`, `savePath` and `Save-Path` are `savepath`.
 * @param k an object key
 * @returns the normalized key
 */
export function normKey(k: string): string {
  let n = NORM.get(k);
  if (n === undefined) {
    n = k.toLowerCase().replace(/[-_\s]/g, "");
    // Keys repeat on every call; the memo is bounded (keys come from the agent) and holds only short keys.
    if (k.length > 256) return n;
    if (NORM.size >= 4096) NORM.clear();
    NORM.set(k, n);
  }
  return n;
}

const NORM = new Map<string, string>();

/** Keys whose value is a path. */
export const PATH_KEYS: ReadonlySet<string> = new Set([
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

/** Keys whose value is a URL. */
export const URL_KEYS: ReadonlySet<string> = new Set([
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

/** Keys whose value is a bare host. */
export const HOST_KEYS: ReadonlySet<string> = new Set([
  "host",
  "hostname",
  "hosts",
  "domain",
  "serverhost",
  "remotehost",
  "proxyhost",
  "ip",
  "ips",
  "ipaddress",
  "ipaddr",
  "ipv4",
  "ipv6",
]);

/**
 * True when a key's value is a bare host: one of {@link HOST_KEYS}, or a name ending in `host`, `hostname`,
 * `hosts` (`db_host`, `smtpHost`, `redis_hostname`) or naming an IP (`server_ip`, `target_ip_address`).
 * @param k a normalized key
 * @returns whether the value is read as a host
 */
export function isHostKey(k: string): boolean {
  return HOST_KEYS.has(k) ||
    (/host(?:name|names|s)?$/.test(k) && !/^(?:ghost|ghosts|localhost|vhosts?|hostnames?file)$/.test(k)) ||
    /^(?:server|remote|target|host|client|peer|proxy|public|private|local|bind|listen|source|dest|destination|gateway|dns|node|device|instance|endpoint)ip(?:s|address|addr|v4|v6)?$/
      .test(k);
}

/**
 * Keys whose value is a host when it is shaped like one (`evil.example.com`, `10.0.0.1:443`, `[::1]`): a
 * `server` or an `address` may as well be a name (`prod`) or a mail address, which are not read as hosts.
 */
export const MAYBE_HOST_KEYS: ReadonlySet<string> = new Set([
  "server",
  "servers",
  "address",
  "addresses",
  "addr",
  "serveraddress",
  "remote",
  "remoteaddress",
  "proxy",
  "peer",
  "upstream",
  "registry",
  "mirror",
  "dnsserver",
  "nameserver",
  "resolver",
  "gateway",
  "broker",
  "brokers",
  "bindaddress",
  "listenaddress",
  "targetaddress",
  "proxyaddress",
  "hostaddress",
  "peeraddress",
  "repository",
  "repo",
]);

/** Keys whose value is a git ref or another operand a program reads (kept for the option-injection guard). */
export const REF_KEYS: ReadonlySet<string> = new Set([
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

/** Keys whose value is free text: not read as a path unless the tool's schema says it is one. */
export const CONTENT_KEYS: ReadonlySet<string> = new Set([
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

/**
 * True when a key's value is a shell command line: one of {@link COMMAND_KEYS}, or a name ending in `command`,
 * `commands`, `cmd` or `cmdline` (`shell_command`, `bashCommand`, `run_cmd`), but not a SQL or chat command.
 * @param k a normalized key
 * @returns whether the value is parsed as a shell command
 */
export function isCommandKey(k: string): boolean {
  return COMMAND_KEYS.has(k) ||
    (/(?:command|commands|cmd|cmdline)$/.test(k) && !/^(?:sql|query|slash|chat|bot|voice|db)/.test(k));
}

/** Keys whose value is a shell command line. */
export const COMMAND_KEYS: ReadonlySet<string> = new Set([
  "command",
  "cmd",
  "commands",
  "script",
  "shell",
  "commandline",
  "bash",
  "sh",
  "zsh",
  "shellscript",
  "bashscript",
  "entrypoint",
]);

/**
 * Keys whose text is written or shown as is (file contents, messages): a JSON document there is data for the
 * file (`package.json`'s `files`, `tsconfig.json`'s `outDir`), not arguments, so it is not parsed.
 */
export const WRITTEN_TEXT_KEYS: ReadonlySet<string> = new Set([
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
export const ARGV_KEYS: ReadonlySet<string> = new Set(["args", "argv", "arguments"]);

/**
 * True when a normalized key names a path by its shape (`sourcePath`, `configFile`, `outputDir`, `fileName`).
 * @param k a normalized key
 * @returns whether its value is read as a path
 */
export function isPathLikeKey(k: string): boolean {
  if (k === "profile" || k === "direction") return false;
  return /(?:path|paths|file|files|filename|filenames|dir|dirs|directory|directories|folder|folders)$/.test(
    k,
  ) ||
    /^(?:file|path|folder|dirpath|dirname)/.test(k);
}
