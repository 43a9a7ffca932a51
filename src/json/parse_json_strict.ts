/** What {@link parseJsonStrict} returns: the value, or why the text was refused. */
export type StrictJson =
  | { ok: true; value: unknown }
  | {
    ok: false;
    /** `empty`: blank text; `syntax`: not JSON; `key`: a key repeated in one object, or not read as written. */
    problem: "empty" | "syntax" | "key";
    /** One sentence: `invalid JSON: …` with the parser's message, or what is wrong with which key. */
    error: string;
    /**
     * For a `key` problem: the top-level `"id"` of the object the text parsed to (a string, a number, or an
     * exact {@link JSON.rawJSON} number), so an error answer reaches the request that caused it.
     */
    id?: unknown;
  };

/** `JSON.rawJSON` and `JSON.isRawJSON` (V8 11.4+, in Deno; not yet in TypeScript's lib). */
const EXACT = JSON as JSON & {
  rawJSON(text: string): { readonly rawJSON: string };
  isRawJSON(value: unknown): boolean;
};

/**
 * Numbers whose text `String(Number(text))` may not give back: 16 or more digits, a point between them or
 * not (past 2^53 or past double precision: `100000000000.000001`), a fraction ending in 0, an exponent, `-0`,
 * and six zeros after a point (written in exponent form). Anything else a JSON number can spell round-trips. It may match inside a string too: that
 * only costs the slower exact parse.
 */
/** A number token that JSON.parse would not write back as it was read. */
const INEXACT_TOKEN_REGEXP = /(?:\d\.?){16}|^-?\d+\.\d*0(?!\d)|\d[eE]|^-0(?![.\d])|\.0{6}/;

/**
 * Whether a JSON text holds a number token that `JSON.parse` would not write back as it was read (more than 15
 * digits, a trailing zero after the point, an exponent, `-0`): only such texts need the slower exact parse.
 * Strings are skipped whole (a timestamp's ":00.000" is not a number), by jumping from quote to quote, so a
 * 10 MB string costs a fraction of a millisecond.
 * @param text JSON text
 * @returns true when some number token outside a string may be inexact (or a string never closes)
 */
export function mayHoldInexactNumber(text: string): boolean {
  return scanJson(text).inexact;
}

/** What one pass over a JSON text finds: see {@link scanJson}. */
interface JsonScan {
  /** Keys the text spells out, repeats included (a string followed by a colon: in JSON, always a key). */
  keys: number;
  /** Some key is written with an escape (a backslash between its quotes). */
  escapedKey: boolean;
  /** Some number token may not be written back as read (or a string never closes: not JSON). */
  inexact: boolean;
}

/**
 * One linear pass over JSON text for everything the strict reader checks besides the parse itself: the keys it
 * spells out, whether one is escaped, and whether a number token may be inexact. Strings are jumped over quote
 * to quote (`indexOf`), so a long string costs next to nothing; only the characters between strings are read
 * one by one. Meaningful for valid JSON only (the caller parses it too; for anything else the parser's error
 * wins).
 * @param text JSON text
 * @returns the counts and flags
 */
function scanJson(text: string): JsonScan {
  const n = text.length;
  let keys = 0;
  let escapedKey = false;
  let inexact = false;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const j = closingQuote(text, i);
      if (j === -1) return { keys, escapedKey, inexact: true }; // not JSON: the parser says so
      let k = j + 1;
      let d = text.charCodeAt(k);
      while (d === 32 || d === 10 || d === 13 || d === 9) d = text.charCodeAt(++k);
      if (d === COLON) {
        keys++;
        // Each key's own characters only: a search past its start could cross the whole text for every key.
        if (!escapedKey) {
          for (let e = i + 1; e < j; e++) {
            if (text.charCodeAt(e) === BACKSLASH) {
              escapedKey = true;
              break;
            }
          }
        }
      }
      i = j + 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      for (
        let d = text.charCodeAt(j);
        (d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d;
        d = text.charCodeAt(++j)
      );
      if (!inexact && INEXACT_TOKEN_REGEXP.test(text.slice(i, j))) inexact = true;
      i = j;
    } else i++;
  }
  return { keys, escapedKey, inexact };
}

/**
 * JSON.parse with the exact-number reviver. The reviver recurses once per level, so a text nested deeper than
 * the stack allows (thousands of levels, which plain JSON.parse reads) cannot be read exactly: it is refused
 * (no MCP message nests that deep), never read as doubles while its own text is what the proxy forwards.
 */
function parseExact(text: string): unknown {
  try {
    return JSON.parse(text, exactNumber as (this: unknown, key: string, value: unknown) => unknown);
  } catch (e) {
    // Read as doubles, a number past 2^53 would be judged rounded while the proxy forwards the text as written.
    if (e instanceof RangeError) {
      throw new SyntaxError(
        "nested too deeply to read its numbers exactly (thousands of levels); it is rejected",
      );
    }
    throw e;
  }
}

/** Keeps a number that would not be written back as it was read, as its source text (JSON.rawJSON). */
function exactNumber(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value !== "number" || context?.source === undefined) return value;
  return String(value) === context.source ? value : EXACT.rawJSON(context.source);
}

/**
 * Parses JSON text that AgentPerms judges, rewrites or replays, refusing what would let two readers see
 * different values: invalid JSON, an object holding the same key twice (`JSON.parse` keeps the last one, a
 * server may keep the first) and a key the parser did not read as written (see `checkKeys`: V8 can misread an
 * escaped one-character key). The proxy, `check`, the attack-pack loader, the trace readers, `redact` and the
 * permission broker all read through it, so what is tested offline is read as the live proxy reads it.
 * Numbers pass through exactly: one that `JSON.stringify` would not write back as it was read
 * (`9007199254740993`, a 30-digit id, `1.50`, `1e3`, `-0`) is kept as a `JSON.rawJSON` of its text, which
 * `JSON.stringify` writes byte for byte (`JSON.isRawJSON` tells it apart; `Number(x.rawJSON)` reads it).
 *
 * @param text one JSON text
 * @param opts `exactNumbers` (default true): keep inexact numbers as raw JSON; false gives plain numbers
 * @returns the parsed value, or what kind of problem it has and why it was refused
 */
export function parseJsonStrict(text: string, opts: { exactNumbers?: boolean } = {}): StrictJson {
  let value: unknown;
  // One pass finds what the checks below need (the parse is the other pass).
  const scan = scanJson(text);
  try {
    value = (opts.exactNumbers ?? true) && scan.inexact ? parseExact(text) : JSON.parse(text);
  } catch (e) {
    if (text.trim() === "") return { ok: false, problem: "empty", error: "empty text" };
    return { ok: false, problem: "syntax", error: `invalid JSON: ${(e as Error).message}` };
  }
  if (value !== null && typeof value === "object" && !EXACT.isRawJSON(value)) {
    const problem = checkKeys(text, value, scan);
    if (problem !== undefined) {
      const id = Array.isArray(value) ? undefined : (value as { id?: unknown }).id;
      const seen = typeof id === "string" || typeof id === "number" || EXACT.isRawJSON(id);
      return seen
        ? { ok: false, problem: "key", error: problem, id }
        : { ok: false, problem: "key", error: problem };
    }
  }
  return { ok: true, value };
}

/**
 * Checks that the parsed value holds exactly the keys the text spells out: no object repeats a key, and
 * every key was read as written. The second is not a given: V8 15.0 (Deno 2.9.6) reads a one-character key
 * written with an escape (`"\u0061"`, `"\""`) as `"\\"` once some object of the same shape had that key, so
 * JSON.parse can return a key the sender never wrote. Keys without escapes are read right (a differential
 * test against a JavaScript parser found no difference over 19,000 such texts), so for them counting is
 * enough, with nothing built: each key becomes one own property unless an object repeats it. Texts with an
 * escaped key compare every decoded key, each decoded on its own (a lone string literal is not affected).
 * @returns why the message is rejected, or undefined
 */
function checkKeys(text: string, value: object, scan: JsonScan): string | undefined {
  // No key written with an escape (most messages): each key the text spells out becomes one own property of
  // the parsed value unless an object repeats it, so equal counts mean no key is repeated.
  if (!scan.escapedKey) {
    if (scan.keys === countOwnKeys(value)) return undefined;
    const dup = findDuplicateKey(text);
    // Counts that differ without a repeated key: the parser read keys the text does not spell (fail closed).
    return dup === undefined
      ? "the JSON parser read a different number of keys than the message holds; it is rejected"
      : `duplicate key "${dup}" in one object`;
  }
  const dup = findDuplicateKey(text);
  if (dup !== undefined) return `duplicate key "${dup}" in one object`;
  const written = new Map<string, number>();
  for (const k of writtenKeys(text)) written.set(k, (written.get(k) ?? 0) + 1);
  let unwritten: string | undefined;
  countOwnKeys(value, (k) => {
    const n = written.get(k);
    if (n === undefined) unwritten ??= k;
    else if (n === 1) written.delete(k);
    else written.set(k, n - 1);
  });
  if (unwritten !== undefined) {
    return `the JSON parser read a key the message does not hold (${
      JSON.stringify(unwritten)
    }); a message with escaped keys that cannot be read reliably is rejected`;
  }
  if (written.size > 0) {
    return `the JSON parser lost the key ${
      JSON.stringify(written.keys().next().value)
    }; a message with escaped keys that cannot be read reliably is rejected`;
  }
  return undefined;
}

/**
 * The object keys written in valid JSON text, decoded: in JSON, a string followed by `:` is always a key.
 * @param text valid JSON
 * @returns every key, repeats included, in text order
 */
function writtenKeys(text: string): string[] {
  const keys: string[] = [];
  let i = text.indexOf('"');
  while (i !== -1) {
    const end = closingQuote(text, i);
    if (end === -1) break; // not valid JSON; the caller checked already
    let k = end + 1;
    while (k < text.length && text.charCodeAt(k) <= 32) k++;
    if (text.charCodeAt(k) === COLON) keys.push(JSON.parse(text.slice(i, end + 1)) as string);
    i = text.indexOf('"', end + 1);
  }
  return keys;
}

/** The index of the quote that closes the string opening at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  let j = text.indexOf('"', open + 1);
  while (j !== -1 && text.charCodeAt(j - 1) === BACKSLASH) {
    let bs = 1;
    while (text.charCodeAt(j - 1 - bs) === BACKSLASH) bs++;
    if (bs % 2 === 0) break;
    j = text.indexOf('"', j + 1);
  }
  return j;
}

/** Containers still to visit in {@link countOwnKeys}: kept between calls, so a message allocates nothing. */
const VISIT: object[] = [];

/**
 * Counts the own keys of every object inside a parsed JSON value, without recursion (nesting has no limit).
 * @param value what `JSON.parse` returned
 * @param onKey called with each key, repeats across objects included
 * @returns the number of keys, over all its objects
 */
function countOwnKeys(value: object, onKey?: (key: string) => void): number {
  let n = 0;
  const base = VISIT.length;
  VISIT.push(value);
  try {
    while (VISIT.length > base) {
      const v = VISIT.pop()!;
      if (Array.isArray(v)) {
        for (const x of v) if (x !== null && typeof x === "object" && !EXACT.isRawJSON(x)) VISIT.push(x);
        continue;
      }
      // Own keys only (JSON.parse makes a "__proto__" key an own property): an enumerable property someone
      // added to Object.prototype must not make up for a repeated key.
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        n++;
        onKey?.(k);
        const x = (v as Record<string, unknown>)[k];
        // An exact number (JSON.rawJSON) is a leaf: its "rawJSON" property is no key the text wrote.
        if (x !== null && typeof x === "object" && !EXACT.isRawJSON(x)) VISIT.push(x);
      }
    }
  } finally {
    VISIT.length = base;
  }
  return n;
}

const QUOTE = 34, BACKSLASH = 92, LBRACE = 123, RBRACE = 125, LBRACKET = 91, RBRACKET = 93, COLON = 58;

/**
 * Finds the first key that appears twice in the same JSON object. Assumes `text` is valid JSON (call it
 * after `JSON.parse` succeeded). Keys are compared after unescaping, so `"a"` and `"\u0061"` collide.
 *
 * @param text valid JSON
 * @returns the duplicated key, or undefined
 */
export function findDuplicateKey(text: string): string | undefined {
  // One entry per open container: an array of keys for an object (a Set once it grows), null for an array.
  const stack: (string[] | Set<string> | null)[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const j = closingQuote(text, i);
      if (j === -1) return undefined; // not valid JSON; the caller checked already
      const top = stack.length > 0 ? stack[stack.length - 1]! : null;
      if (top !== null) {
        // Inside an object: a string followed by ':' is a key.
        let k = j + 1;
        while (k < n && text.charCodeAt(k) <= 32) k++;
        if (text.charCodeAt(k) === COLON) {
          let key = text.slice(i + 1, j);
          if (key.includes("\\")) key = JSON.parse(`"${key}"`) as string;
          if (Array.isArray(top)) {
            if (top.includes(key)) return key;
            top.push(key);
            if (top.length > 16) stack[stack.length - 1] = new Set(top);
          } else {
            if (top.has(key)) return key;
            top.add(key);
          }
        }
      }
      i = j + 1;
      continue;
    }
    if (c === LBRACE) stack.push([]);
    else if (c === LBRACKET) stack.push(null);
    else if (c === RBRACE || c === RBRACKET) stack.pop();
    i++;
  }
  return undefined;
}
