import assert from "node:assert/strict";
import fc from "fast-check";
// @ts-types="@types/picomatch"
import picomatch from "picomatch";
import { caseKey, GlobSet } from "./_glob_set.ts";

const tok = fc.constantFrom(
  "*",
  "?",
  "a",
  "A",
  "secret",
  "SeCrEt",
  ".pem",
  "tok1",
  "ς",
  "Σ",
  "K",
  "[ab]",
  "{x,y}",
  "!",
  "\\",
  "(a|b)",
  "@",
  "+",
  "**",
  "/",
);
const glob = fc.array(tok, { minLength: 1, maxLength: 5 }).map((t) => t.join(""));
const name = fc.array(
  fc.constantFrom("a", "b", "secret", "SECRET", "x", ".pem", "tok1", "σ", "ς", "k", "/", "y"),
  {
    maxLength: 5,
  },
).map((t) => t.join(""));

for (const mode of ["name", "path"] as const) {
  for (const nocase of [true, false]) {
    Deno.test(`GlobSet (${mode}, nocase ${nocase}) names every glob that matches: its candidates are a superset`, () => {
      fc.assert(
        fc.property(
          fc.array(glob, { minLength: 1, maxLength: 10 }),
          fc.array(name, { maxLength: 8 }),
          (globs, inputs) => {
            const usable = globs.map((g) => mode === "path" && !g.includes("/") ? `**/${g}` : g);
            const set = new GlobSet(usable.map((g, index) => ({ index, glob: g })), { mode, nocase });
            const ms = usable.map((g) => picomatch(g, { dot: true, nocase, posix: true }));
            for (const raw of inputs) {
              const input = nocase ? raw.toLowerCase() : raw;
              const cands: number[] = [];
              set.candidates(input, cands);
              ms.forEach((m, i) => {
                if (m(input)) assert.ok(cands.includes(i), `${usable[i]} matches ${JSON.stringify(input)}`);
              });
            }
          },
        ),
        { numRuns: 500, seed: 7 },
      );
    });
  }
}

Deno.test("caseKey() folds as a case-insensitive RegExp does: final sigma and sigma agree, Kelvin and k do not", () => {
  assert.equal(caseKey("ς"), caseKey("Σ"));
  assert.equal(caseKey("σ"), caseKey("Σ"));
  assert.notEqual(caseKey("\u212a"), caseKey("k"));
  assert.equal(/\u212a/i.test("k"), false);
  assert.equal(caseKey("Id_Rsa"), caseKey("ID_RSA"));
});

Deno.test("GlobSet: a glob with a top-level | (picomatch's 'or') is a candidate for every branch", () => {
  const globs = ["*.pem|*.key", "secrets/*.txt|*.kdbx", "*.ngrok.io|*.evil.com"];
  for (const mode of ["name", "path"] as const) {
    const set = new GlobSet(globs.map((glob, index) => ({ index, glob })), { mode, nocase: true });
    for (const [input, want] of [["server.pem", 0], ["/p/secrets/a.txt", 1], ["a.ngrok.io", 2]] as const) {
      const out: number[] = [];
      set.candidates(input, out);
      if (picomatch(globs[want]!, { dot: true, nocase: true })(input)) {
        assert.ok(out.includes(want), `${mode}: ${input} must reach ${globs[want]}`);
      }
    }
  }
});
