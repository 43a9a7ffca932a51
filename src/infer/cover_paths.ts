import { isTooBroadPath } from "./sensitive_paths.ts";

/** One entry of an inferred allowlist, with its evidence. */
export interface CoverEntry {
  /** Absolute path of the entry. */
  path: string;
  /** "used" when the agent used this exact path, "generalized" when several entries under it were used. */
  kind: "used" | "generalized";
  /** Calls that used a path under this entry. */
  calls: number;
  /** Distinct used paths under this entry. */
  distinct: number;
  /** Up to three example used paths, sorted. */
  examples: string[];
}

/** Options for {@link coverPaths}. */
export interface CoverOptions {
  /** Home directory: it and its ancestors are never generalized to. */
  home: string;
  /** Distinct entries directly under a directory needed to generalize to it (default 3). */
  minEntries?: number;
  /**
   * Folders never generalized to, like the home: the working folders the calls resolved relative names in (a
   * bare `README.md` there beside `src/` and `docs/` must not give the whole workspace, `.git/hooks` and all).
   */
  roots?: Iterable<string>;
}

/**
 * The smallest covering set that is still tight: used paths, with a directory replacing its entries only when at
 * least `minEntries` distinct entries directly under it were used or generalized, deepest first (a file used
 * alone never widens to its folder's parent). Never generalizes to `/`, a
 * top-level directory, the home directory (or above it) or one of `roots` (the working folders). A path used
 * alone stays that path. Deterministic:
 * the result is sorted by path.
 *
 * @param used distinct absolute paths used, with the number of calls for each
 * @param opts home and threshold
 * @returns the entries, sorted
 */
export function coverPaths(used: ReadonlyMap<string, number>, opts: CoverOptions): CoverEntry[] {
  const min = Math.max(2, opts.minEntries ?? 3);
  const roots = new Set([...(opts.roots ?? [])].map((r) => r.length > 1 ? r.replace(/\/+$/, "") : r));
  let entries = new Map<string, CoverEntry>();
  for (const [path, calls] of [...used].sort(([a], [b]) => cmp(a, b))) {
    entries.set(path, { path, kind: "used", calls, distinct: 1, examples: [path] });
  }
  entries = absorbNested(entries);
  for (let round = 0; round < 256; round++) {
    // Entries directly under each directory. Only an entry counts for its own parent: a file used alone deeper
    // down is no evidence for widening to an ancestor (`docs/guide.md` and `README.md` beside `src/` must not
    // give the whole workspace). A directory is generalized first, from its own entries, and then counts one level
    // up, so widening needs evidence at every level.
    const children = new Map<string, Set<string>>();
    for (const p of entries.keys()) {
      if (p === "/") continue;
      const cut = p.lastIndexOf("/");
      const parent = cut <= 0 ? "/" : p.slice(0, cut);
      let set = children.get(parent);
      if (!set) children.set(parent, set = new Set());
      set.add(p.slice(cut + 1));
    }
    let deepest = -1;
    const candidates: string[] = [];
    for (const [dir, kids] of children) {
      if (kids.size < min || entries.has(dir) || roots.has(dir) || isTooBroadPath(dir, opts.home)) continue;
      const depth = dir.split("/").length;
      if (depth > deepest) {
        deepest = depth;
        candidates.length = 0;
      }
      if (depth === deepest) candidates.push(dir);
    }
    if (candidates.length === 0) break;
    for (const dir of candidates) {
      entries.set(dir, { path: dir, kind: "generalized", calls: 0, distinct: 0, examples: [] });
    }
    entries = absorbNested(entries);
  }
  return [...entries.values()].sort((a, b) => cmp(a.path, b.path));
}

/** Merges every entry that lies under another entry into that ancestor. */
function absorbNested(entries: Map<string, CoverEntry>): Map<string, CoverEntry> {
  const sorted = [...entries.values()].sort((a, b) => cmp(a.path, b.path));
  const out = new Map<string, CoverEntry>();
  for (const e of sorted) {
    let top: CoverEntry | undefined;
    // Shortest ancestor first is not needed: kept entries never nest, so at most one ancestor is kept.
    for (let cur = e.path; cur !== "/" && !top;) {
      const cut = cur.lastIndexOf("/");
      cur = cut <= 0 ? "/" : cur.slice(0, cut);
      top = out.get(cur);
    }
    if (top) {
      top.calls += e.calls;
      top.distinct += e.distinct;
      top.examples = [...new Set([...top.examples, ...e.examples])].sort(cmp).slice(0, 3);
      continue;
    }
    out.set(e.path, { ...e, examples: [...e.examples] });
  }
  return out;
}

// Code-unit order, not locale order, so output is byte-identical on every machine.
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
