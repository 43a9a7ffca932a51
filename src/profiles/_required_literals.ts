/**
 * Required literals of an RE2 pattern (the idea of RE2's own prefilter, which re2js does not expose): a set of
 * strings such that every match of the pattern contains at least one of them. A string that contains none of
 * them cannot match, so the guard packs skip the linear-time engine (1–7 µs a string in re2js) for the plain
 * text most arguments hold.
 *
 * Conservative by construction: anything this reader does not fully understand (flags, `\Q…\E`, hex and
 * Unicode escapes, non-ASCII literals, an odd `{`) gives up on the whole pattern (`undefined`: no prefilter),
 * and any atom it cannot spell out (a class with a range or an escape, `.`, `\d`) requires nothing. Literals
 * are lowercased: callers use them only for case-insensitive patterns and only on ASCII text, where lowercasing
 * is exactly RE2's case folding (RE2 also folds `ſ` with `s` and the Kelvin sign with `k`, which ASCII text
 * never holds).
 * @module
 */

/** What is known of a sub-pattern: every string it can match (`exact`), or strings one of which each match holds. */
interface Info {
  exact?: Set<string>;
  req?: Set<string>;
}

const MAX_EXACT = 64;
const ANY: Info = {};
const EMPTY: Info = { exact: new Set([""]) };

class GiveUp extends Error {}

/**
 * The required literals of a case-insensitive RE2 pattern.
 * @param pattern an RE2 pattern that compiles
 * @returns lowercase, non-empty strings every match contains one of; undefined when none can be proven
 */
export function requiredLiterals(pattern: string): string[] | undefined {
  try {
    const p = new Reader(pattern);
    const info = p.alternation();
    if (p.i !== pattern.length) return undefined;
    const req = toReq(info);
    return req === undefined ? undefined : [...req];
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
}

/** Strings one of which every match contains, or undefined (the empty string is among the matches). */
function toReq(info: Info): Set<string> | undefined {
  if (info.exact) return info.exact.has("") ? undefined : info.exact;
  return info.req;
}

/** Better requirement: longer shortest literal, then fewer literals. */
function better(a: Set<string> | undefined, b: Set<string> | undefined): Set<string> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const min = (s: Set<string>) => Math.min(...[...s].map((x) => x.length));
  if (min(a) !== min(b)) return min(a) > min(b) ? a : b;
  return a.size <= b.size ? a : b;
}

function concat(parts: Info[]): Info {
  // Adjacent exact parts join (cross product, while small); the best requirement of the runs and the other
  // parts is the concatenation's (each part's match is a substring of the whole match).
  const runs: Info[] = [];
  let run: Set<string> | undefined;
  const flush = () => {
    if (run !== undefined) runs.push({ exact: run });
    run = undefined;
  };
  for (const p of parts) {
    if (p.exact) {
      if (run === undefined) run = p.exact;
      else if (run.size * p.exact.size <= MAX_EXACT) {
        const next = new Set<string>();
        for (const a of run) for (const b of p.exact) next.add(a + b);
        run = next;
      } else {
        flush();
        run = p.exact;
      }
    } else {
      flush();
      runs.push(p);
    }
  }
  flush();
  if (runs.length === 0) return EMPTY;
  if (runs.length === 1) return runs[0]!;
  let best: Set<string> | undefined;
  for (const r of runs) best = better(best, toReq(r));
  return best === undefined ? ANY : { req: best };
}

function alternate(branches: Info[]): Info {
  if (branches.length === 1) return branches[0]!;
  if (branches.every((b) => b.exact)) {
    const all = new Set<string>();
    for (const b of branches) for (const x of b.exact!) all.add(x);
    if (all.size <= MAX_EXACT) return { exact: all };
  }
  const req = new Set<string>();
  for (const b of branches) {
    const r = toReq(b);
    if (r === undefined) return ANY;
    for (const x of r) req.add(x);
  }
  return { req };
}

const ESCAPED_LITERAL_REGEXP = /[!-\/:-@\[-`{-~]/; // ASCII punctuation: an escaped one is itself
const CONTROL: Record<string, string> = { n: "\n", t: "\t", r: "\r", f: "\f", v: "\v", a: "\x07" };

class Reader {
  i = 0;
  constructor(readonly s: string) {}

  alternation(): Info {
    const branches = [this.sequence()];
    while (this.s[this.i] === "|") {
      this.i++;
      branches.push(this.sequence());
    }
    return alternate(branches);
  }

  sequence(): Info {
    const parts: Info[] = [];
    while (this.i < this.s.length && this.s[this.i] !== "|" && this.s[this.i] !== ")") {
      parts.push(this.quantified(this.atom()));
    }
    return concat(parts);
  }

  quantified(atom: Info): Info {
    const c = this.s[this.i];
    let min: number;
    let atMostOne = false;
    if (c === "*" || c === "?") {
      this.i++;
      min = 0;
      atMostOne = c === "?";
    } else if (c === "+") {
      this.i++;
      min = 1;
    } else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (!m) throw new GiveUp(); // RE2 reads some as a literal "{": not worth telling apart
      this.i += m[0].length;
      min = Number(m[1]);
      if (min === 1 && m[2] === undefined) return atom; // {1}
      atMostOne = min === 0 && m[2] !== undefined && m[3] === "1";
    } else return atom;
    if (this.s[this.i] === "?") this.i++; // non-greedy: same set of matches
    if (
      this.s[this.i] === "*" || this.s[this.i] === "+" || this.s[this.i] === "?" || this.s[this.i] === "{"
    ) {
      throw new GiveUp(); // RE2 refuses a repeated repeat; never guess
    }
    // `x?` matches what x matches, or nothing.
    if (atMostOne && atom.exact && atom.exact.size < MAX_EXACT) {
      return { exact: new Set(["", ...atom.exact]) };
    }
    if (min === 0) return ANY;
    const r = toReq(atom);
    return r === undefined ? ANY : { req: r };
  }

  atom(): Info {
    const s = this.s;
    const c = s[this.i]!;
    if (c.charCodeAt(0) > 0x7e) throw new GiveUp();
    if (c === "(") {
      this.i++;
      if (s[this.i] === "?") {
        if (s[this.i + 1] === ":") this.i += 2;
        else {
          const named = /^\?P?<[A-Za-z_][A-Za-z0-9_]*>/.exec(s.slice(this.i));
          if (!named) throw new GiveUp(); // flags change what matches
          this.i += named[0].length;
        }
      }
      const inner = this.alternation();
      if (s[this.i] !== ")") throw new GiveUp();
      this.i++;
      return inner;
    }
    if (c === "[") return this.charClass();
    if (c === ".") {
      this.i++;
      return ANY;
    }
    if (c === "^" || c === "$") {
      this.i++;
      return EMPTY;
    }
    if (c === "\\") return this.escape();
    if (c === ")" || c === "*" || c === "+" || c === "?" || c === "{" || c === "|") throw new GiveUp();
    this.i++;
    return { exact: new Set([c.toLowerCase()]) };
  }

  escape(): Info {
    const n = this.s[this.i + 1];
    if (n === undefined) throw new GiveUp();
    this.i += 2;
    if (n === "b" || n === "B" || n === "A" || n === "z") return EMPTY;
    if ("dDsSwW".includes(n)) return ANY;
    if (n in CONTROL) return { exact: new Set([CONTROL[n]!]) };
    if (ESCAPED_LITERAL_REGEXP.test(n)) return { exact: new Set([n.toLowerCase()]) };
    throw new GiveUp(); // \p, \x, \Q, octal, \C…
  }

  charClass(): Info {
    const s = this.s;
    let j = this.i + 1;
    const chars = new Set<string>();
    let simple = s[j] !== "^";
    if (s[j] === "^") j++;
    if (s[j] === "]") {
      chars.add("]");
      j++;
    }
    for (; j < s.length && s[j] !== "]"; j++) {
      const ch = s[j]!;
      if (ch.charCodeAt(0) > 0x7e) throw new GiveUp();
      if (ch === "\\") {
        const n = s[j + 1];
        if (n === undefined) throw new GiveUp();
        j++;
        if (n in CONTROL) chars.add(CONTROL[n]!);
        else if (ESCAPED_LITERAL_REGEXP.test(n)) chars.add(n.toLowerCase());
        else if ("dDsSwW".includes(n)) simple = false;
        else throw new GiveUp();
      } else if (ch === "[" && s[j + 1] === ":") {
        const end = s.indexOf(":]", j + 2);
        if (end < 0) throw new GiveUp();
        j = end + 1;
        simple = false;
      } else if (ch === "-" && chars.size > 0 && s[j + 1] !== "]") {
        simple = false; // a range
      } else chars.add(ch.toLowerCase());
    }
    if (s[j] !== "]") throw new GiveUp();
    this.i = j + 1;
    return simple && chars.size > 0 && chars.size <= 8 ? { exact: chars } : ANY;
  }
}
