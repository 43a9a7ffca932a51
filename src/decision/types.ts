/** allow, deny, or approve (= require human approval). */
export type Verdict = "allow" | "deny" | "approve";

/** The result of `decide()`. */
export interface Decision {
  /** The verdict. */
  verdict: Verdict;
  /** The rules that decided it, e.g. `servers.filesystem.denied_paths[0]`, `guard/metadata-host`. */
  ruleIds: string[];
  /** One sentence a user can act on. */
  reason: string;
  /** Rules that threw while deciding (each forces a deny). */
  errors: string[];
}

/** Facts from outside the policy and the call. Everything `decide()` needs that is not pure data. */
export interface DecisionContext {
  /**
   * Tools whose identity drifted from `mcp.lock` (tool name → what changed). Calls to them are denied
   * in enforce mode.
   */
  drift?: ReadonlyMap<string, string>;
  /**
   * What a contained server may do at the OS level, derived from the policy by `src/sandbox` (the same data
   * its Deno flags are built from). Needed to judge `deno/permission` checks; without it they are denied.
   */
  permissions?: PermissionGrants;
  /**
   * For a `deno/permission` net check from the egress proxy: the IP addresses the host name resolved to
   * (DNS is I/O, so it comes in here). Each is judged with the metadata guard, and a name that resolves to
   * a loopback, private or link-local address is refused unless the grant names that address (or
   * `localhost`) itself.
   */
  addresses?: readonly string[];
}

/** One granted value: an absolute path, `host[:port]`, an env name or program; `*` means unscoped. */
export interface PermissionGrant {
  /** The value granted. */
  value: string;
  /** The rule that grants it, e.g. `servers.fs.allowed_paths[0]` or `sandbox/minimum-env`. */
  ruleId: string;
}

/** Per-kind grants for `deno/permission` checks. Kinds without an entry are denied. */
export interface PermissionGrants {
  /** Readable roots (absolute, literal and realpath forms). */
  read: PermissionGrant[];
  /** Writable roots. */
  write: PermissionGrant[];
  /** Hosts (`host`, `host:port`, `*.domain`). */
  net: PermissionGrant[];
  /** Environment variable names (`PREFIX_*` allowed). */
  env: PermissionGrant[];
  /** Programs the server may spawn (`*` = any). Children are never contained. */
  run: PermissionGrant[];
  /** `sys` info names (`*` = any). */
  sys: PermissionGrant[];
}
