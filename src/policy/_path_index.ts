// @ts-types="@types/picomatch"
import picomatch from "picomatch";
import { caseKey, firstAccepted, GlobSet } from "./_glob_set.ts";

/** What the index needs of one path rule: its literal roots, or its glob's base folders and matchers. */
export interface IndexedPathRule {
  /** Absolute, normalized roots (a path is covered at or below one). */
  roots: readonly string[];
  /** For a glob entry: each base folder form with the full glob source and its matcher. */
  globs?: ReadonlyArray<{ base: string; source: string; match: (p: string) => boolean }>;
}

interface Node {
  children: Map<string, Node>;
  /** Lowest rule index with a root exactly here. */
  term: number;
  /** Glob rules whose base folder is here. */
  globs?: { set: GlobSet; byIndex: Map<number, (p: string) => boolean> };
  /** Children by case-folded name (built on first use, for paths that hold glob characters). */
  folded?: Map<string, Array<{ n: Node; name: string }>>;
}

const GLOB_CHARS_REGEXP = /[*?[\]{}]/;
/** Characters that make a policy folder unusable as a trie key for a glob (picomatch reads them). */
const BASE_SPECIAL_REGEXP = /[*?[\]{}()!+@|\\^$"',]/;
/** In a path being judged: a segment with any of these is a glob segment (any child may match it). */
const SEGMENT_GLOB_REGEXP = /[*?[\]{}()!+@|\\^$"',]/;
/** Characters that let one glob segment span several folders: then every segment is a glob segment. */
const SPANNING_REGEXP = /[{}()]/;

const newNode = (): Node => ({ children: new Map(), term: Infinity });

/**
 * Every allowed or denied path of one server, as a trie of folder names: the rule that covers a path is found
 * by walking the path's own segments, so the cost of a look-up depends on the path, not on how many entries
 * the policy lists. Globs hang on the folder before their first wildcard. The answer is exactly the one a scan
 * of the rules in policy order gives: the lowest index of a rule that covers the path.
 */
export class PathIndex {
  readonly #root = newNode();
  /** Roots that are not plain normalized absolute paths, and globs on such folders: scanned. */
  readonly #odd: number[] = [];
  readonly #rules: readonly IndexedPathRule[];
  readonly #nocase: boolean;
  /** Per depth, the lowest index of a literal root at that depth (for a glob path that cannot be compiled). */
  #minAtDepth: number[] = [];
  /** Literal roots exist (the glob-path walk has something to find). */
  #hasRoots = false;

  /**
   * @param rules the rules in policy order
   * @param opts `nocase` when the rules are denies (roots lowercased, globs case-insensitive)
   */
  constructor(rules: readonly IndexedPathRule[], opts: { nocase: boolean }) {
    this.#rules = rules;
    this.#nocase = opts.nocase;
    const pending = new Map<Node, Array<{ index: number; glob: string; match: (p: string) => boolean }>>();
    rules.forEach((r, index) => {
      for (const root of r.roots) {
        const n = plainSegments(root);
        if (n === undefined) {
          this.#odd.push(index);
          continue;
        }
        const node = this.#node(n);
        if (index < node.term) node.term = index;
        if (index < (this.#minAtDepth[n.length] ?? Infinity)) this.#minAtDepth[n.length] = index;
        this.#hasRoots = true;
      }
      for (const g of r.globs ?? []) {
        const n = BASE_SPECIAL_REGEXP.test(g.base) ? undefined : plainSegments(g.base);
        if (n === undefined) {
          this.#odd.push(index);
          continue;
        }
        const node = this.#node(n);
        const list = pending.get(node) ?? [];
        list.push({ index, glob: g.source, match: g.match });
        pending.set(node, list);
      }
    });
    for (const [node, list] of pending) {
      node.globs = {
        set: new GlobSet(list, { mode: "path", nocase: this.#nocase }),
        byIndex: new Map(list.map((g) => [g.index, g.match])),
      };
    }
    this.#minAtDepth = Array.from(this.#minAtDepth, (x) => x ?? Infinity);
  }

  #node(segs: string[]): Node {
    let n = this.#root;
    for (const s of segs) {
      let c = n.children.get(s);
      if (!c) n.children.set(s, c = newNode());
      n = c;
    }
    return n;
  }

  /**
   * The lowest index of a rule covering `abs`: at or below a root, matched (it or a folder above it) by a
   * glob, or, for a path that holds glob characters, reaching a root the way a shell expanding it could.
   * @param abs an absolute path (lowercased when the rules are denies)
   * @param covers the rule's own check, used for the rules the index cannot place
   * @returns the index, or -1
   */
  first(abs: string, covers: (index: number, abs: string) => boolean): number {
    let best = Infinity;
    for (const i of this.#odd) {
      if (i >= best) break;
      if (covers(i, abs)) best = i;
    }
    if (!abs.startsWith("/")) {
      // Not an absolute path (canonical forms always are): every rule is checked, in order.
      for (let i = 0; i < this.#rules.length && i < best; i++) if (covers(i, abs)) best = i;
      return best === Infinity ? -1 : best;
    }
    // Walk the folders: every root passed covers the path; globs hung on a folder passed may match it.
    let n: Node | undefined = this.#root;
    let at = 0; // index of the "/" that starts the next segment
    for (;;) {
      if (n.term < best) best = n.term;
      if (n.globs) {
        const g = this.#globAt(n, abs, at);
        if (g < best) best = g;
      }
      if (at >= abs.length) break;
      const end = abs.indexOf("/", at + 1);
      const seg = abs.slice(at + 1, end < 0 ? abs.length : end);
      n = n.children.get(seg);
      if (!n) break;
      at = end < 0 ? abs.length : end;
    }
    // Only deny rules (built case-insensitive) are reached by a glob: an allowlist holds a glob path only when its
    // literal part is inside (found above), since `./s*/x` may also expand outside `./src`.
    if (this.#nocase && this.#hasRoots && GLOB_CHARS_REGEXP.test(abs)) {
      const r = this.#globReach(abs, best);
      if (r < best) best = r;
    }
    return best === Infinity ? -1 : best;
  }

  /** Globs on the folder that ends at `at`: tried on the path and each folder above it down to that one. */
  #globAt(n: Node, abs: string, at: number): number {
    const { set, byIndex } = n.globs!;
    const tries: string[] = [abs];
    for (let c = abs.lastIndexOf("/"); c > 0 && c >= at; c = abs.lastIndexOf("/", c - 1)) {
      tries.push(abs.slice(0, c));
    }
    const cands: number[] = [];
    for (const t of tries) set.candidates(t, cands);
    const hit = firstAccepted(cands, (i) => {
      const match = byIndex.get(i)!;
      return tries.some((t) => match(t));
    });
    return hit < 0 ? Infinity : hit;
  }

  /**
   * A path holding glob characters (`~/.ss[h]/id_rsa`) reaches a root when its leading segments, read as a
   * glob, match the root (case-insensitively, as the rule check does). The trie is walked with each literal
   * segment (any case) and every child for a glob segment; each root found is checked with the glob of the
   * path's first `depth` segments, compiled once per depth.
   */
  #globReach(abs: string, below: number): number {
    const segs = abs.split("/"); // segs[0] === ""
    const spanning = SPANNING_REGEXP.test(abs);
    const matchers = new Map<number, ((p: string) => boolean) | "all" | "none">();
    const matcherAt = (depth: number) => {
      let m = matchers.get(depth);
      if (m === undefined) {
        const prefix = segs.slice(0, depth + 1).join("/");
        if (!GLOB_CHARS_REGEXP.test(prefix)) m = "none";
        else {
          try {
            m = picomatch(prefix, { dot: true, nocase: true, posix: true });
          } catch {
            m = "all"; // an unparseable glob is judged as reaching anything (fail closed)
          }
        }
        matchers.set(depth, m);
      }
      return m;
    };
    let best = below;
    for (let d = 1; d < segs.length; d++) {
      if (matcherAt(d) === "all" && (this.#minAtDepth[d] ?? Infinity) < best) best = this.#minAtDepth[d]!;
    }
    let frontier: Array<{ n: Node; path: string }> = [{ n: this.#root, path: "" }];
    for (let d = 1; d < segs.length && frontier.length > 0; d++) {
      const seg = segs[d]!;
      const anyChild = spanning || SEGMENT_GLOB_REGEXP.test(seg);
      const next: Array<{ n: Node; path: string }> = [];
      for (const f of frontier) {
        if (anyChild) {
          for (const [name, c] of f.n.children) next.push({ n: c, path: `${f.path}/${name}` });
        } else {
          for (const c of this.#foldedChildren(f.n, seg)) next.push({ n: c.n, path: `${f.path}/${c.name}` });
        }
      }
      const m = matcherAt(d);
      if (typeof m === "function") {
        for (const f of next) if (f.n.term < best && m(f.path)) best = f.n.term;
      }
      frontier = next;
    }
    return best;
  }

  #foldedChildren(n: Node, seg: string): Array<{ n: Node; name: string }> {
    if (!n.folded) {
      n.folded = new Map();
      for (const [name, c] of n.children) {
        const k = caseKey(name);
        const l = n.folded.get(k);
        if (l) l.push({ n: c, name });
        else n.folded.set(k, [{ n: c, name }]);
      }
    }
    return n.folded.get(caseKey(seg)) ?? [];
  }

  /** The rules, for callers that map an index back. */
  get rules(): readonly IndexedPathRule[] {
    return this.#rules;
  }
}

/** The segments of a plain normalized absolute path (`/` gives none), or undefined for anything else. */
function plainSegments(p: string): string[] | undefined {
  if (!p.startsWith("/")) return undefined;
  if (p === "/") return [];
  if (p.endsWith("/") || p.includes("//")) return undefined;
  return p.slice(1).split("/");
}
