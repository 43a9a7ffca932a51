/**
 * A set of globs compiled together: given a string, it names the few globs that could match it, in a time
 * that does not depend on how many globs the set holds. It never decides a match itself: every candidate is
 * verified with the glob's own matcher, so the answer is exactly the one a scan of every glob gives. What it
 * relies on is only what is certain about any glob: a literal run before its first special character is a
 * prefix of every string it matches, a literal run after its last special one a suffix, a glob with no special
 * character matches itself only, and a glob of `*`/`?` and literals contains each of its literal runs.
 */

/** Characters that are (or may be) special in a picomatch glob; anything else is literal there. */
const SPECIAL_REGEXP = /[*?[\]{}()!+@|\\^$"',]/;
/** Only `*` and `?` special: every literal run is contained, in order, in what matches. */
const STAR_ONLY_REGEXP = /^[^[\]{}()!+@|\\^$"',]*$/;

/** How a glob is matched against a string. */
export type GlobMode =
  /** The whole string (a file name, a host): the glob's literal prefix and suffix hold for the whole of it. */
  | "name"
  /**
   * A path: `/` separates segments and no wildcard crosses one, so the glob's last segment matches the
   * string's last segment (a glob whose last segment holds `**`, or that holds braces, brackets or
   * parentheses, which may hide a separator, is always a candidate).
   */
  | "path";

/**
 * One code unit as a case-insensitive RegExp (`i` flag, no `u`) compares it: its upper case when that is one
 * code unit and does not turn a non-ASCII character into an ASCII one.
 */
const CANON_CACHE = new Map<number, number>();
function canonUnit(c: number): number {
  if (c < 128) return c >= 97 && c <= 122 ? c - 32 : c;
  const hit = CANON_CACHE.get(c);
  if (hit !== undefined) return hit;
  const up = String.fromCharCode(c).toUpperCase();
  const out = up.length === 1 && up.charCodeAt(0) >= 128 ? up.charCodeAt(0) : c;
  CANON_CACHE.set(c, out);
  return out;
}

/**
 * The key two strings share exactly when a case-insensitive RegExp (`i` flag, as picomatch's `nocase` builds)
 * finds their literal characters equal.
 * @param s a string
 * @returns its case-folded key
 */
export function caseKey(s: string): string {
  // ASCII only (the common case): the RegExp's folding is plain upper-casing.
  if (!NON_ASCII_REGEXP.test(s)) return s.toUpperCase();
  let out = "";
  for (let i = 0; i < s.length; i++) out += String.fromCharCode(canonUnit(s.charCodeAt(i)));
  return out;
}

const NON_ASCII_REGEXP = /[\u0080-\uffff]/;

interface TrieNode {
  next: Map<number, TrieNode>;
  items: number[];
}

const newNode = (): TrieNode => ({ next: new Map(), items: [] });

/** A compiled set of globs, each known by its index in the policy list. */
export class GlobSet {
  readonly #key: (s: string) => string;
  readonly #mode: GlobMode;
  readonly #exact = new Map<string, number[]>();
  readonly #prefix = newNode();
  readonly #suffix = newNode();
  /** Literal runs a glob of `*`/`?` must contain: a trie walked from every position of the string. */
  readonly #contains = newNode();
  readonly #always: number[] = [];
  /** How many globs it holds. */
  readonly size: number;

  /**
   * @param globs the globs with their policy index (the order candidates are verified in)
   * @param opts `mode` (see {@link GlobMode}); `nocase` when the globs are matched case-insensitively
   */
  constructor(
    globs: ReadonlyArray<{ index: number; glob: string }>,
    opts: { mode: GlobMode; nocase: boolean },
  ) {
    this.#key = opts.nocase ? caseKey : (s) => s;
    this.#mode = opts.mode;
    this.size = globs.length;
    for (const { index, glob } of globs) {
      const target = this.#target(glob);
      if (target === undefined) {
        this.#always.push(index);
        continue;
      }
      const first = target.search(SPECIAL_REGEXP);
      if (first < 0) {
        push(this.#exact, this.#key(target), index);
        continue;
      }
      let last = target.length - 1;
      while (last >= 0 && !SPECIAL_REGEXP.test(target.charAt(last))) last--;
      const pre = this.#key(target.slice(0, first));
      const suf = this.#key(target.slice(last + 1));
      if (pre.length > 0 && pre.length >= suf.length) insert(this.#prefix, pre, false, index);
      else if (suf.length > 0) insert(this.#suffix, suf, true, index);
      else {
        const run = STAR_ONLY_REGEXP.test(target)
          ? target.split(/[*?]+/).reduce((a, b) => (b.length > a.length ? b : a), "")
          : "";
        if (run.length === 0) this.#always.push(index);
        else insert(this.#contains, this.#key(run), false, index);
      }
    }
  }

  /** The part of a glob the index reads, or undefined when it must always be verified. */
  #target(glob: string): string | undefined {
    if (glob === "" || glob.startsWith("!")) return undefined; // a leading "!" negates the whole glob
    // picomatch reads a top-level "|" as "or" (`*.pem|*.key`): no one prefix or suffix holds for every branch.
    if (glob.includes("|")) return undefined;
    if (this.#mode === "name") return glob;
    if (/[{}()[\]]/.test(glob)) return undefined;
    const seg = glob.slice(glob.lastIndexOf("/") + 1);
    return seg.includes("**") ? undefined : seg;
  }

  /**
   * Adds the index of every glob that could match `input` (a superset of those that do; repeats possible).
   * @param input the string a matcher will be given
   * @param out where the indexes go
   */
  candidates(input: string, out: number[]): void {
    for (const i of this.#always) out.push(i);
    if (this.size === this.#always.length) return;
    // A glob's RegExp ends in an optional "/": "x.pem/" is matched like "x.pem". Both readings are looked up.
    let s = input;
    while (s.length > 1 && s.endsWith("/")) s = s.slice(0, -1);
    this.#lookup(s, out);
    if (s !== input) this.#lookup(input, out);
  }

  #lookup(input: string, out: number[]): void {
    const s = this.#mode === "path" ? input.slice(input.lastIndexOf("/") + 1) : input;
    const k = this.#key(s);
    const ex = this.#exact.get(k);
    if (ex) { for (const i of ex) out.push(i); }
    walk(this.#prefix, k, false, out);
    walk(this.#suffix, k, true, out);
    if (this.#contains.next.size > 0) {
      for (let at = 0; at < k.length; at++) walkFrom(this.#contains, k, at, out);
    }
  }
}

function push(m: Map<string, number[]>, k: string, i: number): void {
  const l = m.get(k);
  if (l) l.push(i);
  else m.set(k, [i]);
}

function insert(root: TrieNode, k: string, reverse: boolean, index: number): void {
  let n = root;
  for (let j = 0; j < k.length; j++) {
    const c = k.charCodeAt(reverse ? k.length - 1 - j : j);
    let next = n.next.get(c);
    if (!next) n.next.set(c, next = newNode());
    n = next;
  }
  n.items.push(index);
}

function walkFrom(root: TrieNode, k: string, from: number, out: number[]): void {
  let n: TrieNode | undefined = root;
  for (let j = from; j < k.length && n; j++) {
    n = n.next.get(k.charCodeAt(j));
    if (n) { for (const i of n.items) out.push(i); }
  }
}

function walk(root: TrieNode, k: string, reverse: boolean, out: number[]): void {
  let n: TrieNode | undefined = root;
  for (let j = 0; j < k.length && n; j++) {
    n = n.next.get(k.charCodeAt(reverse ? k.length - 1 - j : j));
    if (n) { for (const i of n.items) out.push(i); }
  }
}

/**
 * The lowest index among candidates that a check accepts (candidates are checked in ascending order, each once).
 * @param candidates indexes, unsorted, repeats allowed
 * @param accept the real check
 * @returns the lowest accepted index, or -1
 */
export function firstAccepted(candidates: number[], accept: (i: number) => boolean): number {
  if (candidates.length === 0) return -1;
  if (candidates.length > 1) candidates.sort((a, b) => a - b);
  let prev = -1;
  for (const i of candidates) {
    if (i === prev) continue;
    prev = i;
    if (accept(i)) return i;
  }
  return -1;
}
