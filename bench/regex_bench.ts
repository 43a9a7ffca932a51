// deno-lint-ignore-file no-console
/**
 * Issue 18, item 2: which linear-time regex engine runs policy patterns. Compares re2js (pure JavaScript RE2
 * port, the choice) with re2-wasm (Google's RE2 as WebAssembly, fetched from npm here only for the comparison)
 * and the built-in RegExp (backtracking, shown as the floor and for its ReDoS): load, compile and match times.
 *
 * Run: `deno run -A bench/regex_bench.ts`
 */
import { compileSafeRegex } from "../src/regex/mod.ts";

function timeUs(f: () => unknown, n = 5000): number {
  for (let i = 0; i < Math.min(500, n); i++) f();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  return ((performance.now() - t) / n) * 1000;
}

const PATTERN = "^[a-z0-9][a-z0-9-]*/[a-z0-9._-]+$";
const SHORT = "octo-org/my.repo";
const LONG = `octo-org/${"a".repeat(1000)}`;
const EVIL = "(a+)+$";
const EVIL_INPUT = `${"a".repeat(26)}!`;

const t = performance.now();
const re2wasm = (await import("re2-wasm")) as unknown as {
  RE2: new (p: string, f: string) => { test(s: string): boolean };
};
const wasmLoadMs = performance.now() - t;

const safe = compileSafeRegex(PATTERN);
const safeEvil = compileSafeRegex(EVIL);
if (!safe.ok || !safeEvil.ok) throw new Error("bench patterns must compile");
const w = new re2wasm.RE2(PATTERN, "u");
const wEvil = new re2wasm.RE2(EVIL, "u");
const js = new RegExp(PATTERN, "u");
const jsEvil = new RegExp(EVIL, "u");

console.log(`re2-wasm load: ${wasmLoadMs.toFixed(1)} ms (re2js needs none: plain JavaScript)\n`);
console.log("| engine | compile µs | test 16 chars µs | test 1 KB µs | (a+)+$ on 27 chars µs |");
console.log("|---|---|---|---|---|");
const row = (
  name: string,
  compile: () => unknown,
  test: (s: string) => boolean,
  evil: () => unknown,
  n = 5000,
) =>
  console.log(
    `| ${name} | ${timeUs(compile, 2000).toFixed(1)} | ${timeUs(() => test(SHORT), n).toFixed(2)} | ${
      timeUs(() => test(LONG), n).toFixed(2)
    } | ${timeUs(evil, 20).toFixed(1)} |`,
  );
row(
  "re2js 2.10.0 (compileSafeRegex)",
  () => compileSafeRegex(PATTERN),
  (s) => safe.test(s),
  () => safeEvil.test(EVIL_INPUT),
);
row("re2-wasm 1.0.2", () => new re2wasm.RE2(PATTERN, "u"), (s) => w.test(s), () => wEvil.test(EVIL_INPUT));
row(
  "RegExp (backtracking)",
  () => new RegExp(PATTERN, "u"),
  (s) => js.test(s),
  () => jsEvil.test(EVIL_INPUT),
);
