/** Every MCP client AgentPerms knows how to find; "generic" is a file given with `--path` that matches none. */
export type ClientId =
  | "claude-desktop"
  | "claude-code"
  | "cursor"
  | "vscode"
  | "windsurf"
  | "gemini"
  | "codex"
  | "zed"
  | "cline"
  | "continue"
  | "goose"
  | "amazonq"
  | "kiro"
  | "copilot"
  | "lmstudio"
  | "junie"
  | "opencode"
  | "generic";

/** Where a config file sits: user-wide, in a project, per-project inside a user file, admin-managed, or given by `--path`. */
export type ConfigScope = "user" | "project" | "local" | "managed" | "explicit";

/** How a config file is written. JSON files are always read as JSONC (comments, trailing commas). */
export type ConfigFormat = "json" | "jsonc" | "toml" | "yaml";

/** One MCP server entry, normalised across clients. Values are exactly as written: variables are never expanded. */
export interface ServerEntry {
  /** The entry's key (or `name` in list-shaped configs such as Continue). */
  name: string;
  /** stdio when the client starts a process, remote for HTTP/SSE entries. */
  transport: "stdio" | "remote";
  /** The program the client starts (stdio). */
  command?: string;
  /** Its arguments (stdio); a non-array value is reported in `DiscoveredConfig.errors`. */
  args: string[];
  /** Environment given to the server, values as written (may hold `${input:…}`, `${env:…}`, `$VAR`). */
  env: Record<string, string>;
  /** Working directory, when the client supports one. */
  cwd?: string;
  /** The endpoint of a remote entry (`url`, `serverUrl`, `httpUrl` or `uri`). */
  url?: string;
  /** HTTP headers of a remote entry. */
  headers?: Record<string, string>;
  /** The entry exactly as parsed. */
  raw: unknown;
  /** Set when the entry already starts the AgentPerms proxy; `original` is what it wraps. */
  wrapped?: {
    mode: "record" | "enforce";
    /** The stdio command it wraps; undefined for a wired remote entry (see `remote`). */
    original?: { command: string; args: string[] };
    /** Set for a wired remote entry: the transport the proxy bridges to (the URL is in `url`). */
    remote?: { transport: "auto" | "http" | "sse" };
  };
  /** True when the client will not start it (`disabled: true`, `enabled: false`). */
  disabled?: boolean;
  /** Tools the client runs without asking (`autoApprove`, `alwaysAllow`; `["*"]` for `trust: true`). */
  autoApprove?: string[];
  /** Key path of the entry inside the parsed document (used to edit it in place). */
  path: (string | number)[];
  /** For per-project entries in `~/.claude.json`: the project directory. */
  project?: string;
}

/** One config file that was found and parsed. */
export interface DiscoveredConfig {
  /** Which client reads it. */
  client: ClientId;
  /** Absolute path. */
  file: string;
  /** Its scope. */
  scope: ConfigScope;
  /** Its format. */
  format: ConfigFormat;
  /** The server entries it holds (none when it could not be parsed). */
  servers: ServerEntry[];
  /** Parse errors and entries that could not be understood, one sentence each. */
  errors: string[];
}

/** Where a client keeps a server map inside its config document. */
export type ServerLocator =
  /** A map of name → entry at this key path (`["mcpServers"]`, `["mcp", "servers"]`). */
  | { kind: "map"; at: string[] }
  /** A list of entries with a `name` field at this key path (Continue). */
  | { kind: "list"; at: string[] }
  /** `projects[<dir>].<key>` maps (Claude Code's `~/.claude.json`). */
  | { kind: "projects"; at: string[]; key: string };

/** One place a client may keep a config file. */
export interface CandidateFile {
  /** Absolute path. */
  file: string;
  /** Its scope. */
  scope: ConfigScope;
}

/** What per-OS path data needs to know. */
export interface PathContext {
  /** Home directory. */
  home: string;
  /** Operating system. */
  os: "linux" | "darwin" | "windows";
  /** The workspace (current directory). */
  cwd: string;
  /** Reads an environment variable (`APPDATA`, `CODEX_HOME`, …). */
  env: (name: string) => string | undefined;
}

/** A client's description as data: its files per OS and scope, format and where the servers live. */
export interface ClientSpec {
  /** Id used by `--client`. */
  id: ClientId;
  /** Human name. */
  label: string;
  /** The format of its files (`json` files are parsed as JSONC anyway). */
  format: ConfigFormat;
  /** Where servers live in a document. */
  locators: ServerLocator[];
  /** User- and managed-scope files for an OS. */
  userFiles(ctx: PathContext): CandidateFile[];
  /** Project-relative files (POSIX separators), searched in the workspace and in `--path` directories. */
  projectFiles: string[];
  /** File names (or path suffixes) that identify this client's file when given with `--path`. */
  matches: string[];
}
