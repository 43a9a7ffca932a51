import { RE2JS } from "re2js";

/** The longest pattern accepted; policies hold short patterns, and compile cost grows with length. */
export const MAX_PATTERN_LENGTH = 4096;

/** A compiled pattern that matches in time linear in its input. */
export interface SafeRegex {
  /** Compiled. */
  ok: true;
  /** The pattern as written. */
  source: string;
  /** True when the pattern matches anywhere in `s` (anchor with `^…$` to match the whole value). */
  test(s: string): boolean;
}

/** A pattern the linear-time engine cannot run, with a message for the policy author. */
export interface UnsafeRegex {
  /** Not compiled. */
  ok: false;
  /** Why, e.g. `backreferences (\1) need backtracking, which can take exponential time: …`. */
  error: string;
}

/** Options for `compileSafeRegex`. */
export interface SafeRegexOptions {
  /** Match letters of either case (RE2's `(?i)` does the same inside the pattern). */
  caseInsensitive?: boolean;
}

/**
 * Compiles a policy pattern with RE2 semantics (re2js, a pure-JavaScript port of RE2): matching takes time
 * linear in the input whatever the pattern, so a pattern in a policy can never stall `decide()` (no ReDoS).
 * Patterns that need backtracking (backreferences, lookahead, lookbehind) or are not RE2 syntax are rejected
 * here, at load time, with a message saying why, never at match time.
 *
 * @param pattern an RE2 pattern (`^[a-z0-9-]+/[a-z0-9._-]+$`); `$` is the end of the text (no multiline)
 * @param options case-insensitivity
 * @returns a matcher, or the reason the pattern is refused
 */
export function compileSafeRegex(pattern: string, options: SafeRegexOptions = {}): SafeRegex | UnsafeRegex {
  if (typeof pattern !== "string") return { ok: false, error: "the pattern is not a string" };
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return {
      ok: false,
      error: `the pattern is ${pattern.length} characters, more than ${MAX_PATTERN_LENGTH}`,
    };
  }
  const unsafe = backtrackingFeature(pattern);
  if (unsafe !== undefined) {
    return {
      ok: false,
      error: `${unsafe} needs backtracking, which can take exponential time: ${show(pattern)}`,
    };
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, options.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/^error parsing regexp: /, "") : String(e);
    return { ok: false, error: `not a linear-time (RE2) pattern: ${msg}: ${show(pattern)}` };
  }
  return {
    ok: true,
    source: pattern,
    test: (s: string) => typeof s === "string" && re.test(s),
  };
}

const show = (p: string) => JSON.stringify(p.length > 80 ? `${p.slice(0, 77)}...` : p);

// Names the feature for the message; RE2 would reject these too, with a less helpful one.
function backtrackingFeature(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const n = pattern[i + 1] ?? "";
      if (!inClass && /[1-9]/.test(n)) return `a backreference (\\${n})`;
      if (!inClass && n === "k" && pattern[i + 2] === "<") return "a named backreference (\\k<…>)";
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      if (pattern[i + 1] === "]") i++; // `[]…]`: a leading ] is a literal
      continue;
    }
    if (c === "(" && pattern[i + 1] === "?") {
      const rest = pattern.slice(i + 2, i + 4);
      if (rest.startsWith("=") || rest.startsWith("!")) return "a lookahead (?=…) or (?!…)";
      if (rest === "<=" || rest === "<!") return "a lookbehind (?<=…) or (?<!…)";
      if (rest.startsWith(">")) return "an atomic group (?>…)";
    }
  }
  return undefined;
}
