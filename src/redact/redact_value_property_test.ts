import assert from "node:assert/strict";
import fc from "fast-check";
import { BUILTIN_REDACTORS, compileRedactor, redactValue } from "./mod.ts";

const r = compileRedactor(BUILTIN_REDACTORS);

// Secrets that must never survive, whatever text surrounds them.
const SECRETS = [
  "sk-proj-Zx81_Qw72-Er63Ty54Ui45Op36",
  "ghp_Zx81Qw72Er63Ty54Ui45Op36As27Df18Gh09",
  "AKIAZX81QW72ER63TY54",
  "xoxb-818181818181-Zx81Qw72Er",
  "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6eDgxIn0.Zx81Qw72Er63",
  "glpat-Zx81Qw72Er63Ty54Ui45",
  "AIzaZx81Qw72Er63Ty54Ui45Op36As27Df18Gh0",
  "sk_live_Zx81Qw72Er63Ty54Ui45",
];
// Separators a secret may sit between in real text: the lookbehinds must not be fooled by them.
const SEP = fc.constantFrom(
  " ",
  "\n",
  "\t",
  '"',
  "'",
  "=",
  ":",
  ",",
  ";",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  "/",
  "?",
  "&",
  "<",
  ">",
);
const WORD = fc.stringMatching(/^[A-Za-z0-9 .,:;/]{0,12}$/);
const withSecret = fc.tuple(WORD, SEP, fc.constantFrom(...SECRETS), SEP, WORD)
  .map(([a, s1, secret, s2, b]) => ({ text: a + s1 + secret + s2 + b, secret }));

Deno.test("redactValue() never lets a known token through, whatever surrounds it", () => {
  fc.assert(
    fc.property(withSecret, ({ text, secret }) => {
      const { value } = redactValue({ arg: text }, r);
      assert.ok(
        !JSON.stringify(value).includes(secret),
        `${JSON.stringify(text)} -> ${JSON.stringify(value)}`,
      );
    }),
    { numRuns: 500 },
  );
});

Deno.test("redactValue() keeps the shape of any JSON value and is idempotent", () => {
  const sameShape = (a: unknown, b: unknown): boolean => {
    if (typeof a === "string") return typeof b === "string";
    if (Array.isArray(a)) {
      return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameShape(x, b[i]));
    }
    if (a !== null && typeof a === "object") {
      if (b === null || typeof b !== "object" || Array.isArray(b)) return false;
      const ka = Object.keys(a), kb = Object.keys(b);
      return ka.length === kb.length &&
        ka.every((k, i) =>
          kb[i] === k && sameShape((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
        );
    }
    return Object.is(a, b);
  };
  const leaf = fc.oneof(
    fc.string(),
    withSecret.map((x) => x.text),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
  );
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      leaf,
      fc.array(tie("value")),
      fc.dictionary(fc.string(), tie("value")),
    ),
  })).value;
  fc.assert(
    fc.property(json, (v) => {
      const once = redactValue(v, r).value;
      assert.ok(sameShape(v, once), JSON.stringify(v));
      const twice = redactValue(once, r);
      assert.deepEqual(twice.value, once);
      assert.deepEqual(twice.fired, []);
    }),
    { numRuns: 300 },
  );
});
