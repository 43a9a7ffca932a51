/**
 * Parser-differential tests (#18): the corpus's Postgres rows are read again by two other parsers. Wherever a
 * second parser reads a row and sees more than one statement or a statement that is not a plain read, the
 * classifier (Postgres's own parser) must not call it read-only, and both must count the same statements.
 */
import assert from "node:assert/strict";
import { parse as parseYaml } from "yaml";
import nodeSqlParser from "node-sql-parser";
import { parse as pgsqlAstParse, type Statement } from "pgsql-ast-parser";
import { classifySql, loadSqlParsers } from "../../src/sql/mod.ts";

interface Row {
  note: string;
  sql: string;
  dialect?: string;
}
const rows = (parseYaml(await Deno.readTextFile(new URL("./cases.yaml", import.meta.url))) as Row[])
  .filter((r) => (r.dialect ?? "postgres") === "postgres");
await loadSqlParsers();
const nsp = new nodeSqlParser.Parser();

/** What a second parser saw: statement count and whether every statement is a plain read. */
interface Seen {
  statements: number;
  reads: boolean;
}

function pgsqlAst(sql: string): Seen | undefined {
  let stmts: Statement[];
  try {
    stmts = pgsqlAstParse(sql);
  } catch {
    return undefined;
  }
  const isRead = (s: Statement): boolean =>
    s.type === "select" || s.type === "union" || s.type === "union all" || s.type === "values" ||
    s.type === "show" || (s.type === "with" && s.bind.every((b) => isRead(b.statement)) && isRead(s.in)) ||
    (s.type === "with recursive" && isRead(s.in));
  return { statements: stmts.length, reads: stmts.every(isRead) };
}

function nodeSql(sql: string): Seen | undefined {
  try {
    const ast = nsp.astify(sql, { database: "PostgresQL" });
    const list = (Array.isArray(ast) ? ast : [ast]) as unknown as { type?: string }[];
    return { statements: list.length, reads: list.every((s) => s.type === "select" || s.type === "show") };
  } catch {
    return undefined;
  }
}

Deno.test("classifySql() never calls read-only what a second parser reads as a write or as stacked", () => {
  let compared = 0;
  for (const row of rows) {
    const ours = classifySql(row.sql);
    for (
      const [name, seen] of [["pgsql-ast-parser", pgsqlAst(row.sql)], ["node-sql-parser", nodeSql(row.sql)]]
    ) {
      if (typeof seen !== "object") continue;
      compared++;
      const why = `${name} on "${row.note}": ${JSON.stringify(seen)} vs ${JSON.stringify(ours)}`;
      if (seen.statements > 0 && ours.statements > 0) assert.equal(ours.statements, seen.statements, why);
      if (!seen.reads || seen.statements !== 1) assert.equal(ours.readOnly, false, why);
    }
  }
  // The differential means something only when the other parsers read most rows.
  assert.ok(compared >= rows.length, `only ${compared} comparisons over ${rows.length} rows`);
});

Deno.test("classifySql() answers the same for a repeated text (cache) and copies its lists", () => {
  const a = classifySql("SELECT * FROM cached_t");
  a.tables.push("mutated");
  const b = classifySql("SELECT * FROM cached_t");
  assert.deepEqual(b.tables, ["cached_t"]);
  assert.equal(classifySql("SELECT * FROM cached_t; DELETE FROM x").readOnly, false);
});
