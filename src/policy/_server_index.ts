import { firstAccepted, GlobSet } from "./_glob_set.ts";
import { PathIndex } from "./_path_index.ts";
import {
  type ApprovalRule,
  type CompiledServer,
  type HostRule,
  type PathRule,
  pathRuleCovers,
  type PatternRule,
  type ToolRule,
} from "./compile_policy.ts";

/**
 * One server's rules compiled together. Each look-up returns the rule a scan of the list in policy order
 * would return first (the lowest index that matches), at a cost that does not grow with the list.
 */
export interface ServerIndex {
  /** The first denied_tools entry with this folded name. */
  deniedTool(folded: string): ToolRule | undefined;
  /** The first denied_paths entry covering a lowercased absolute path. */
  deniedPath(absLower: string): PathRule | undefined;
  /** The first denied_patterns entry matching a lowercased absolute path. */
  deniedPattern(absLower: string): PatternRule | undefined;
  /** The first allowed_paths entry covering an absolute path (undefined also when there is no list). */
  allowedPath(abs: string): PathRule | undefined;
  /** The first denied_hosts entry that `accept` confirms among those that could match one of `names`. */
  deniedHost(names: readonly string[], accept: (r: HostRule) => boolean): HostRule | undefined;
  /** The first allowed_hosts entry that `accept` confirms among those that could match one of `names`. */
  allowedHost(names: readonly string[], accept: (r: HostRule) => boolean): HostRule | undefined;
}

/** The approval list by tool: the first entry for a call, as a scan of the list would find it. */
export interface ApprovalIndex {
  /** The first approval entry for `server`'s tool (`folded` = its folded name, `joined` = `server.tool`). */
  first(server: string, folded: string, joined: string): ApprovalRule | undefined;
}

/**
 * Compiles one server's rule lists into look-up structures.
 * @param s the server's compiled rule lists
 * @returns the index
 */
export function buildServerIndex(s: Omit<CompiledServer, "index">): ServerIndex {
  const deniedTools = new Map<string, ToolRule>();
  for (const r of s.deniedTools) if (!deniedTools.has(r.folded)) deniedTools.set(r.folded, r);
  const deniedPaths = pathLookup(s.deniedPaths, true);
  const allowedPaths = s.allowedPaths ? pathLookup(s.allowedPaths, false) : undefined;
  const patterns = s.deniedPatterns;
  const of = (mode: "name" | "path") =>
    patterns.flatMap((p, index) => (p.mode === mode ? [{ index, glob: p.glob }] : []));
  const nameSet = new GlobSet(of("name"), { mode: "name", nocase: true });
  const pathSet = new GlobSet(of("path"), { mode: "path", nocase: true });
  const hosts = (list: HostRule[] | undefined) => {
    if (!list) return () => undefined;
    const set = new GlobSet(list.map((r, index) => ({ index, glob: r.pattern })), {
      mode: "name",
      nocase: true,
    });
    return (names: readonly string[], accept: (r: HostRule) => boolean) => {
      const cands: number[] = [];
      for (const n of names) set.candidates(n, cands);
      const i = firstAccepted(cands, (j) => accept(list[j]!));
      return i < 0 ? undefined : list[i];
    };
  };
  return {
    deniedTool: (folded) => deniedTools.get(folded),
    deniedPath: (abs) => deniedPaths.first(abs),
    allowedPath: (abs) => allowedPaths?.first(abs),
    deniedPattern(abs) {
      if (patterns.length === 0) return undefined;
      const cands: number[] = [];
      nameSet.candidates(abs.slice(abs.lastIndexOf("/") + 1), cands);
      pathSet.candidates(abs, cands);
      const i = firstAccepted(cands, (j) => patterns[j]!.test(abs));
      return i < 0 ? undefined : patterns[i];
    },
    deniedHost: hosts(s.deniedHosts),
    allowedHost: hosts(s.allowedHosts),
  };
}

/** A path index over one list of path rules. */
function pathLookup(rules: PathRule[], nocase: boolean): { first(abs: string): PathRule | undefined } {
  const index = new PathIndex(rules, { nocase });
  const covers = (i: number, abs: string) => pathRuleCovers(rules[i]!, abs);
  return {
    first(abs) {
      if (rules.length === 0) return undefined;
      const i = index.first(abs, covers);
      return i < 0 ? undefined : rules[i];
    },
  };
}

/**
 * Compiles the approval list.
 * @param approvals the list in policy order
 * @returns the index
 */
export function buildApprovalIndex(approvals: readonly ApprovalRule[]): ApprovalIndex {
  const bare = new Map<string, number>();
  // Server, then folded tool name: no key is built per call.
  const scoped = new Map<string, Map<string, number>>();
  const joined = new Map<string, number>();
  const first = (m: Map<string, number>, k: string, i: number) => {
    if (!m.has(k)) m.set(k, i);
  };
  approvals.forEach((a, i) => {
    if (a.server === undefined) first(bare, a.folded, i);
    else {
      let m = scoped.get(a.server);
      if (m === undefined) scoped.set(a.server, m = new Map());
      first(m, a.folded, i);
      first(joined, a.joined, i);
    }
  });
  if (approvals.length === 0) return { first: () => undefined };
  return {
    first(server, folded, join) {
      const i = Math.min(
        bare.get(folded) ?? Infinity,
        scoped.get(server)?.get(folded) ?? Infinity,
        joined.size === 0 ? Infinity : joined.get(join) ?? Infinity,
      );
      return i === Infinity ? undefined : approvals[i];
    },
  };
}
