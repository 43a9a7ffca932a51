// deno-lint-ignore-file no-console
/**
 * Issue 18, item 4: which SQL parser classifies read-only SQL, by measurement. For each candidate (libpg-query,
 * the Postgres parser as WebAssembly; node-sql-parser; pgsql-ast-parser) it prints the load time, the time to
 * parse a typical 1 KB statement, and how many rows of the corpus (`tests/sql/cases.yaml`, Postgres rows) it
 * reads: a valid statement the parser cannot read is a false deny, and a statement Postgres rejects that the
 * parser reads is a misreading. Then `classifySql()` itself, whose target is ≤ 50 µs for 1 KB, step by step:
 * the WebAssembly parse (alone, measured on the same text with a syntax error after its last token, and with
 * the tree written out as JSON), the copy of that JSON out of WebAssembly memory, `JSON.parse`, and the walk
 * (what `classifySql()` adds to those, by difference); then MySQL/SQLite (node-sql-parser). Steps alternate
 * in rounds of 100 calls; min and median over the rounds.
 *
 * Run: `deno run -A bench/sql_bench.ts`
 */
import { parse as parseYaml } from "yaml";
import nodeSqlParser from "node-sql-parser";
import { parse as pgsqlAstParse } from "pgsql-ast-parser";
import { loadModule, parseSync } from "libpg-query";
import pgQueryModule from "libpg-query/wasm/libpg-query.js";
import { classifySql, loadSqlParsers } from "../src/sql/mod.ts";

const TYPICAL_1KB = `SELECT c.id, c.name, c.email, o.id AS order_id, o.total, o.created_at, p.sku, p.title,
  li.quantity, li.unit_price, li.quantity * li.unit_price AS line_total
FROM public.customers c
JOIN public.orders o ON o.customer_id = c.id
JOIN public.line_items li ON li.order_id = o.id
JOIN catalog.products p ON p.id = li.product_id
LEFT JOIN catalog.categories cat ON cat.id = p.category_id
WHERE o.created_at >= DATE '2024-01-01' AND o.created_at < DATE '2024-04-01'
  AND o.status IN ('paid', 'shipped', 'delivered')
  AND c.country = 'DE'
  AND p.category_id IN (SELECT id FROM catalog.categories WHERE parent_id = 42)
  AND li.quantity > 0
  AND coalesce(c.email, '') <> ''
ORDER BY o.created_at DESC, c.name ASC
LIMIT 500 OFFSET 0 -- quarterly report for the German market: category 42 and its children only.
-- Padding so the statement is about one kilobyte, like a real report query an agent writes.
-- ......................................................................................`;

function timeUs(f: () => unknown, n = 2000): number {
  // Warm up for at least 200 calls and 1 s: WebAssembly runs baseline code until the engine has optimized
  // the parser's hot functions in the background, which takes longer on a busy machine.
  const until = performance.now() + 1000;
  for (let i = 0; i < Math.min(200, n) || performance.now() < until; i++) f();
  const t = performance.now();
  for (let i = 0; i < n; i++) f();
  return ((performance.now() - t) / n) * 1000;
}

const nsp = new nodeSqlParser.Parser();
const candidates: Record<string, (sql: string) => unknown> = {
  "libpg-query 18.1.5": (s) => parseSync(s),
  "node-sql-parser 5.4.0": (s) => nsp.astify(s, { database: "PostgresQL" }),
  "pgsql-ast-parser 12.0.2": (s) => pgsqlAstParse(s),
};

let t = performance.now();
await loadModule();
console.log(`libpg-query WebAssembly load: ${(performance.now() - t).toFixed(1)} ms`);
console.log(`typical statement: ${TYPICAL_1KB.length} characters\n`);

interface Row {
  sql: string;
  dialect?: string;
  want: { readOnly: boolean };
}
const rows =
  (parseYaml(await Deno.readTextFile(new URL("../tests/sql/cases.yaml", import.meta.url))) as Row[])
    .filter((r) => (r.dialect ?? "postgres") === "postgres");
const parsesIn = (f: (s: string) => unknown, s: string) => {
  try {
    f(s);
    return true;
  } catch {
    return false;
  }
};
// Postgres's own parser decides what is valid Postgres.
const valid = rows.filter((r) => r.sql.trim() !== "" && parsesIn(candidates["libpg-query 18.1.5"]!, r.sql));
const invalid = rows.filter((r) => !valid.includes(r));

console.log("| parser | µs per 1 KB statement | valid Postgres rows read | invalid rows read |");
console.log("|---|---|---|---|");
for (const [name, f] of Object.entries(candidates)) {
  const us = timeUs(() => f(TYPICAL_1KB), name.startsWith("pgsql") ? 200 : 2000);
  const readValid = valid.filter((r) => parsesIn(f, r.sql)).length;
  const readInvalid = invalid.filter((r) => parsesIn(f, r.sql)).length;
  console.log(
    `| ${name} | ${us.toFixed(1)} | ${readValid}/${valid.length} | ${readInvalid}/${invalid.length} |`,
  );
}

t = performance.now();
await loadSqlParsers();
const loadMs = performance.now() - t;
t = performance.now();
classifySql(`${TYPICAL_1KB} -- first`);
console.log(
  `\nloadSqlParsers() ${loadMs.toFixed(0)} ms (with one warm-up parse per parser); then the first new 1 KB ` +
    `statement ${((performance.now() - t) * 1000).toFixed(0)} µs`,
);

// The package's Emscripten module, called the way src/sql does, to time each step on its own.
interface Raw {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _wasm_parse_query_raw(p: number): number;
  _wasm_free_parse_result(p: number): void;
}
const raw = await (pgQueryModule as unknown as () => Promise<Raw>)();
const encoder = new TextEncoder();
const decoder = new TextDecoder();
function rawParse(text: string): void {
  const size = text.length * 3 + 1;
  const p = raw._malloc(size);
  const { written } = encoder.encodeInto(text, raw.HEAPU8.subarray(p, p + size - 1));
  raw.HEAPU8[p + written] = 0;
  raw._wasm_free_parse_result(raw._wasm_parse_query_raw(p));
  raw._free(p);
}
const kept = (() => {
  const size = TYPICAL_1KB.length * 3 + 1;
  const p = raw._malloc(size);
  const { written } = encoder.encodeInto(TYPICAL_1KB, raw.HEAPU8.subarray(p, p + size - 1));
  raw.HEAPU8[p + written] = 0;
  return raw.HEAPU32[raw._wasm_parse_query_raw(p) >>> 2]!;
})();
const decode = () => decoder.decode(raw.HEAPU8.subarray(kept, raw.HEAPU8.indexOf(0, kept)));
const json = decode();

let i = 0;
const fresh = () => `${TYPICAL_1KB} -- ${i++}`;
const SHORT = "SELECT id, name FROM users WHERE id = ";
const steps: Record<string, () => unknown> = {
  "postgres: WebAssembly parse alone (syntax error after the last token)": () => rawParse(`${fresh()}\n)`),
  "postgres: WebAssembly parse + tree written as JSON": () => rawParse(fresh()),
  "postgres: copy the JSON out (indexOf + TextDecoder)": decode,
  "postgres: JSON.parse of the tree": () => JSON.parse(json),
  "postgres: classifySql(), new 1 KB text": () => classifySql(fresh()),
  "postgres: classifySql(), repeated 1 KB text (cache)": () => classifySql(TYPICAL_1KB),
  "postgres: classifySql(), new short select": () => classifySql(`${SHORT}${i++}`),
};
const slow: Record<string, () => unknown> = {
  "mysql: classifySql(), new 1 KB text": () => classifySql(fresh(), { dialect: "mysql" }),
  "mysql: classifySql(), repeated 1 KB text (cache)": () => classifySql(TYPICAL_1KB, { dialect: "mysql" }),
  "mysql: classifySql(), new short select": () => classifySql(`${SHORT}${i++}`, { dialect: "mysql" }),
  "sqlite: classifySql(), new 1 KB text": () => classifySql(fresh(), { dialect: "sqlite" }),
};

function rounds(table: Record<string, () => unknown>, rounds: number, per: number): Map<string, number[]> {
  const got = new Map(Object.keys(table).map((k) => [k, [] as number[]]));
  for (const f of Object.values(table)) {
    const until = performance.now() + 300;
    for (let j = 0; j < per || performance.now() < until; j++) f();
  }
  for (let r = 0; r < rounds; r++) {
    const order = Object.entries(table);
    if (r % 2 === 1) order.reverse();
    for (const [k, f] of order) {
      const start = performance.now();
      for (let j = 0; j < per; j++) f();
      got.get(k)!.push(((performance.now() - start) / per) * 1000);
    }
  }
  for (const v of got.values()) v.sort((a, b) => a - b);
  return got;
}
const q = (v: number[], at: number) => v[Math.floor(at * (v.length - 1))]!;
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
console.log("\n| step | min µs | median µs |\n|---|---|---|");
const got = new Map([...rounds(steps, 30, 100), ...rounds(slow, 12, 10)]);
for (const [k, v] of got) console.log(`| ${k} | ${fmt(q(v, 0))} | ${fmt(q(v, 0.5))} |`);
const stepsOf = (at: number) => {
  const v = (k: string) => q(got.get(k)!, at);
  return {
    walk: v("postgres: classifySql(), new 1 KB text") -
      v("postgres: WebAssembly parse + tree written as JSON") -
      v("postgres: copy the JSON out (indexOf + TextDecoder)") - v("postgres: JSON.parse of the tree"),
    alone: v("postgres: WebAssembly parse alone (syntax error after the last token)"),
  };
};
console.log(
  `\npostgres, new 1 KB text (${json.length} bytes of JSON): the walk and the rest of classifySql(), by ` +
    `difference, ${fmt(stepsOf(0).walk)} µs (mins) / ${
      fmt(stepsOf(0.5).walk)
    } µs (medians); the parser alone ` +
    `${fmt(stepsOf(0).alone)} / ${fmt(stepsOf(0.5).alone)} µs`,
);
