/**
 * SQL for read-only tools (#18): is this text one statement that only reads, and which tables does it name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifySql, loadSqlParsers } from "./mod.ts";
 * await loadSqlParsers();
 * assert.equal(classifySql("SELECT * FROM public.users").readOnly, true);
 * assert.equal(classifySql("SELECT 1; COMMIT; DROP TABLE users").readOnly, false);
 * ```
 * @module
 */
export { classifySql, loadSqlParsers, MAX_SQL_LENGTH } from "./classify_sql.ts";
export { DANGEROUS_SQL_FUNCTIONS, READ_ONLY_SQL_FUNCTIONS } from "./_functions.ts";
export type { ClassifySqlOptions, SqlClassification, SqlDialect } from "./types.ts";
