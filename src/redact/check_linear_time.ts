import { globalPattern, REDACTED, type RedactorDescriptor } from "./define_redactor.ts";

/** A quantifier that repeats more than this many times counts as unbounded when it wraps another quantifier. */
const MAX_SAFE_OUTER_REPEAT = 16;

/**
 * Finds a quantified group that itself contains a repeating quantifier, such as `(a+)+`, `(\w+\.)*` or
 * `(x{2,}){1,100}`: the shape that makes a backtracking engine take exponential time. Bounded outer
 * repeats up to 16 (`(?:[a-z]{1,32}-){0,4}`) are allowed. Character classes and escapes are skipped.
 * @param pattern the rule's pattern
 * @returns a description of the first nested quantifier, or undefined
 */
export function findNestedQuantifier(pattern: RegExp): string | undefined {
  const src = pattern.source;
  // One frame per open group: does its body repeat anything, and where did it start?
  const stack: { repeats: boolean; start: number }[] = [{ repeats: false, start: 0 }];
  let i = 0;
  // Reads a quantifier at j: returns [length, max] (max Infinity when unbounded), or undefined.
  const quantifierAt = (j: number): [number, number] | undefined => {
    const c = src[j];
    if (c === "*" || c === "+") return [1 + (src[j + 1] === "?" ? 1 : 0), Infinity];
    if (c === "?") return [1 + (src[j + 1] === "?" ? 1 : 0), 1];
    if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}\??/.exec(src.slice(j, j + 24));
      if (!m) return undefined;
      const max = m[2] === undefined ? Number(m[1]) : m[3] === "" ? Infinity : Number(m[3]);
      return [m[0].length, max];
    }
    return undefined;
  };
  while (i < src.length) {
    const c = src[i]!;
    const top = stack[stack.length - 1]!;
    let atomEnd = i + 1;
    let closed: { repeats: boolean; start: number } | undefined;
    if (c === "\\") {
      atomEnd = i + 2;
      // \p{…}, \u{…}, \k<…>: skip the braces so they are not read as a quantifier.
      if (/[pPu]/.test(src[i + 1] ?? "") && src[i + 2] === "{") {
        atomEnd = src.indexOf("}", i) + 1 || src.length;
      }
      if (src[i + 1] === "k" && src[i + 2] === "<") atomEnd = src.indexOf(">", i) + 1 || src.length;
    } else if (c === "[") {
      let j = i + 1;
      if (src[j] === "^") j++;
      if (src[j] === "]") j++;
      while (j < src.length && src[j] !== "]") j += src[j] === "\\" ? 2 : 1;
      atomEnd = j + 1;
    } else if (c === "(") {
      stack.push({ repeats: false, start: i });
      i++;
      continue;
    } else if (c === ")") {
      closed = stack.length > 1 ? stack.pop() : undefined;
    }
    const q = quantifierAt(atomEnd);
    const parent = stack[stack.length - 1]!;
    if (closed) {
      if (q && closed.repeats && q[1] > MAX_SAFE_OUTER_REPEAT) {
        return `the group at ${closed.start} repeats a quantifier inside a quantifier: ${
          src.slice(closed.start, atomEnd + q[0])
        }`;
      }
      if (closed.repeats || (q && q[1] > 1)) parent.repeats = true;
    } else if (q && q[1] > 1) top.repeats = true;
    i = atomEnd + (q ? q[0] : 0);
  }
  return undefined;
}

/** Options for {@link probeLinearTime}. */
export interface ProbeOptions {
  /** Length of each probe input in characters (default 32 768). */
  size?: number;
  /** A rule slower than this on one input is reported (default 100 ms; a linear rule takes well under 1 ms). */
  budgetMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * Runs every rule of a pack over long hostile inputs (one long run, alternating separators, and the pack's
 * own redact samples repeated or stretched without their end) and reports rules that take longer than the
 * budget: a quadratic rule is seconds here, a linear one well under a millisecond. Call
 * {@link findNestedQuantifier} first: an exponential pattern can run for ever and cannot be interrupted.
 * @param d the pack
 * @param opts input size, budget and clock
 * @returns one message per slow rule (the first slow input each)
 */
export function probeLinearTime(d: RedactorDescriptor, opts: ProbeOptions = {}): string[] {
  const size = opts.size ?? 32_768;
  const budget = opts.budgetMs ?? 100;
  const now = opts.now ?? (() => performance.now());
  const samples = [...d.samples.redact, ...d.rules.flatMap((r) => r.samples?.redact ?? [])].filter((s) => s);
  const inputsFor = (n: number): [string, string][] => {
    const fill = (s: string) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
    const inputs: [string, string][] = ["a", "a@", "-", "a-", "a.", "0", "A", "a ", "a:/"]
      .map((unit) => [`"${unit}" repeated`, fill(unit)]);
    samples.forEach((s, k) => {
      const half = s.slice(0, Math.ceil(s.length / 2));
      inputs.push([`redact sample ${k + 1} repeated`, fill(s)]);
      inputs.push([`redact sample ${k + 1} with its last character stretched`, s + fill(s.at(-1)!)]);
      inputs.push([`redact sample ${k + 1} cut in half and stretched`, half + fill(half.at(-1)!)]);
    });
    return inputs;
  };
  // Growing sizes: a rule of high polynomial degree is caught on a short input before a long one could
  // keep it busy for hours.
  const sizes = [...new Set([Math.min(256, size), Math.min(2048, size), size])];
  const problems: string[] = [];
  const slow = new Set<string>();
  for (const n of sizes) {
    const inputs = inputsFor(n);
    for (const rule of d.rules) {
      if (slow.has(rule.id)) continue;
      const re = globalPattern(rule.pattern);
      for (const [name, input] of inputs) {
        const t0 = now();
        input.replace(re, rule.replacement ?? REDACTED);
        const ms = now() - t0;
        if (ms > budget) {
          slow.add(rule.id);
          problems.push(
            `rule "${d.id}/${rule.id}" took ${Math.round(ms)} ms on ${n} characters (${name}); it backtracks`,
          );
          break;
        }
      }
    }
  }
  return problems;
}
