// deno-lint-ignore-file no-console
/**
 * Issue 18, item 4: which SQL parser classifies read-only SQL, by measurement. For each candidate (libpg-query,
 * the Postgres parser as WebAssembly; node-sql-parser; pgsql-ast-parser) it prints the load time, the time to
 * parse a typical 1 KB statement, and how many rows of the corpus (`tests/sql/cases.yaml`, Postgres rows) it
 * reads: a valid statement the parser cannot read is a false deny, and a statement Postgres rejects that the
 * parser reads is a misreading. Then `classifySql()` itself, whose target is ≤ 50 µs for 1 KB.
 *
 * Run: `deno run -A bench/sql_bench.ts`
 */
import { parse as parseYaml } from "yaml";
import nodeSqlParser from "node-sql-parser";
import { parse as pgsqlAstParse } from "pgsql-ast-parser";
import { loadModule, parseSync } from "libpg-query";
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
  for (let i = 0; i < Math.min(200, n); i++) f();
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

await loadSqlParsers();
t = performance.now();
const us = timeUs(() => classifySql(TYPICAL_1KB));
const small = timeUs(() => classifySql("SELECT id, name FROM users WHERE id = 1"));
let i = 0;
const uncached = timeUs(() => classifySql(`${TYPICAL_1KB} -- ${i++}`), 1000);
console.log(
  `\nclassifySql(): ${uncached.toFixed(1)} µs for ${TYPICAL_1KB.length} characters (each text new), ${
    us.toFixed(1)
  } µs for a repeated text, ${small.toFixed(1)} µs for a short select`,
);
console.log(
  `classifySql() mysql: ${
    timeUs(() => classifySql(`${TYPICAL_1KB} -- ${i++}`, { dialect: "mysql" }), 300).toFixed(1)
  } µs`,
);
