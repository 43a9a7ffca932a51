/** The classes a tool can have (#18 item 5). Policies name them as `class:<name>`. */
export const TOOL_CLASS_NAMES = ["read", "write", "delete", "exec", "send", "network", "admin"] as const;

/** One tool class. */
export type ToolClassName = typeof TOOL_CLASS_NAMES[number];

/**
 * Where a scope value is in a tool's arguments: a JSON pointer (`/owner`, `/cc/*`, `/files/*\/path`; an array
 * at the pointer counts item by item), or an object with a server default and a flag form.
 */
export type ValueRef = string | {
  /** JSON pointer, `*` for every item. */
  from: string;
  /** The value the server uses when the argument is absent (kubectl's namespace `default`). */
  default?: string;
  /** For a boolean argument: the value it stands for when `true` (`allNamespaces: true` → `*`). */
  ifTrue?: string;
};

/** How a repository is named in the arguments. */
export type RepoRef =
  | { owner: ValueRef; repo: ValueRef }
  | { fullName: ValueRef }
  | { url: ValueRef };

/** Which arguments of a tool carry which scope. Every key is optional; absent arguments carry nothing. */
export interface ScopeSpec {
  /** Repositories (owner+name, full names, URLs and git remotes). */
  repos?: RepoRef | RepoRef[];
  /** Mail and message recipients: to, cc, bcc, forwarding addresses. */
  recipients?: ValueRef[];
  /** Chat channels. */
  channels?: ValueRef[];
  /** SQL tables: from a statement (parsed) and/or named directly. */
  tables?: { sql?: ValueRef; dialect?: "postgres" | "mysql" | "sqlite"; names?: ValueRef[] };
  /** Kubernetes namespaces. */
  namespaces?: ValueRef[];
  /** Kubernetes resource kinds (`pods`, `secrets`). */
  kinds?: ValueRef[];
  /** Kubernetes manifests (YAML or JSON text): each document adds its kind and namespace. */
  manifests?: ValueRef[];
  /** Hosts, from URLs or host names. */
  hosts?: ValueRef[];
}

/** What a profile knows about one tool (or every tool a glob names). */
export interface ToolProfile {
  /** Classes the server's documented behavior gives the tool. */
  classes?: ToolClassName[];
  /** Which arguments carry which scope. */
  scopes?: ScopeSpec;
  /** The tool's result carries content from outside the user's control (an issue body, a web page, a mail). */
  untrusted?: boolean;
}

/** One sample call and the scopes it must yield, checked whenever the profile is validated. */
export interface ProfileSample {
  /** The tool called. */
  tool: string;
  /** Its arguments. */
  args: Record<string, unknown>;
  /** Expected lists (only the keys given are compared; order does not matter). */
  want: Partial<Omit<ExtractedScopes, "matched" | "sql">>;
}

/** A server profile: which server it describes and which argument of which tool carries which scope. */
export interface ServerProfileDescriptor {
  /** Profile API version; only 1 exists. */
  apiVersion: 1;
  /** Kebab-case server id (`github`, `mcp-server-git`). */
  server: string;
  /** The profile's own version. */
  version?: string;
  /** One line on the server. */
  description?: string;
  /** Where the tool and argument names were read (repository URLs). */
  sources?: string[];
  /** How to recognize the server. */
  match: {
    /** Basenames of the command that starts it (globs). */
    commands?: string[];
    /** npm or PyPI packages or container images among its arguments (version and tag ignored). */
    packages?: string[];
    /** Remote server URLs (globs). */
    urls?: string[];
    /** Server names in client configs (globs), the weakest hint. */
    names?: string[];
  };
  /** Tools by exact name or glob (`*`, `?`); an exact name wins, then globs in order. */
  tools: Record<string, ToolProfile>;
  /** Sample calls with the scopes they must yield. */
  samples?: ProfileSample[];
}

/** One SQL statement found in a call, classified. */
export interface SqlFinding {
  /** Where it was (`/sql`). */
  at: string;
  /** One statement that only reads. */
  readOnly: boolean;
  /** Statement count. */
  statements: number;
  /** Why not read-only. */
  problems: string[];
}

/** The scopes of one call: plain data `decide()` judges. All lists sorted, unique, lowercase (tables as the
 *  SQL parser reads them). */
export interface ExtractedScopes {
  /** The profile's tool key that matched (`create_issue`, `*`), or undefined when the profile does not know
   *  the tool. */
  matched?: string;
  /** `owner/name` on github.com, `host/path` elsewhere. */
  repos: string[];
  /** Full addresses. */
  recipients: string[];
  /** Domains of `recipients`. */
  recipientDomains: string[];
  /** Channel names or ids. */
  channels: string[];
  /** Tables (`schema.table` when qualified). */
  tables: string[];
  /** Kubernetes namespaces (`*` = all). */
  namespaces: string[];
  /** Kubernetes kinds. */
  kinds: string[];
  /** Hosts. */
  hosts: string[];
  /** Each SQL statement found, classified. */
  sql: SqlFinding[];
  /** Values that should carry a scope but could not be read (pointer: why). `decide()` fails closed. */
  unreadable: string[];
}
