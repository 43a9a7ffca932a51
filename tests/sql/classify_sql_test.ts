import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import { classifySql, loadSqlParsers, type SqlDialect } from "../../src/sql/mod.ts";

interface Row {
  note: string;
  sql: string;
  dialect?: SqlDialect;
  want: { readOnly: boolean; tables?: string[]; statements?: number; problem?: string };
}

const rows = parseYaml(await Deno.readTextFile(new URL("./cases.yaml", import.meta.url))) as Row[];
await loadSqlParsers();

Deno.test("classifySql() corpus has read-only and write rows in every dialect", () => {
  for (const d of ["postgres", "mysql", "sqlite"]) {
    const mine = rows.filter((r) => (r.dialect ?? "postgres") === d);
    assert.ok(mine.some((r) => r.want.readOnly), `${d}: a read-only row`);
    assert.ok(mine.some((r) => !r.want.readOnly), `${d}: a write row`);
  }
});

for (const row of rows) {
  Deno.test(`classifySql() ${row.dialect ?? "postgres"}: ${row.note}`, () => {
    const got = classifySql(row.sql, { dialect: row.dialect });
    const show = JSON.stringify(got);
    assert.equal(got.readOnly, row.want.readOnly, show);
    assert.equal(got.readOnly, got.problems.length === 0, `readOnly iff no problems: ${show}`);
    if (row.want.tables) assert.deepEqual(got.tables, row.want.tables, show);
    if (row.want.statements !== undefined) assert.equal(got.statements, row.want.statements, show);
    if (row.want.problem) {
      const p = row.want.problem;
      assert.ok(got.problems.some((x) => x.includes(p)), `a problem containing "${p}": ${show}`);
    }
  });
}

Deno.test("classifySql() allows a user-defined function the caller lists as read-only", () => {
  assert.equal(classifySql("SELECT my_report(1)").readOnly, false);
  assert.equal(classifySql("SELECT my_report(1)", { readOnlyFunctions: ["MY_REPORT"] }).readOnly, true);
  // The dangerous list wins over the caller's list.
  assert.equal(
    classifySql("SELECT pg_read_file('/x')", { readOnlyFunctions: ["pg_read_file"] }).readOnly,
    false,
  );
});

Deno.test("classifySql() refuses an unknown dialect and text over the size limit", () => {
  const d = classifySql("SELECT 1", { dialect: "oracle" as SqlDialect });
  assert.equal(d.readOnly, false);
  assert.match(d.problems[0] ?? "", /unknown SQL dialect "oracle"/);
  const big = classifySql(`SELECT '${"x".repeat(100_001)}'`);
  assert.equal(big.readOnly, false);
  assert.match(big.problems[0] ?? "", /more than/);
});

Deno.test("classifySql() answers for a statement nested deeper than the walk's stack, never throws", () => {
  // Postgres reads a few thousand nested calls; the classifier's walk recurses once per level.
  for (const n of [1000, 3000, 6000, 9000]) {
    const sql = `SELECT ${"lower(".repeat(n)}'a'${")".repeat(n)}`;
    for (const dialect of ["postgres", "mysql"] as const) {
      const got = classifySql(sql, { dialect });
      assert.equal(got.readOnly, got.problems.length === 0, `${dialect} ${n}: ${JSON.stringify(got)}`);
      if (!got.readOnly) assert.ok(got.tables.includes("*") || got.statements === 0, `${dialect} ${n}`);
    }
  }
});
