/** SQL dialects `classifySql` reads. */
export type SqlDialect = "postgres" | "mysql" | "sqlite";

/** What a SQL text does, as far as a policy needs to know. Plain data for `decide()`. */
export interface SqlClassification {
  /**
   * True only when the text is exactly one statement that the parser read and that only reads: no write, no
   * transaction or session change, no locking read, no function outside the read-only list.
   */
  readOnly: boolean;
  /** How many statements the text holds (0 when it could not be read). */
  statements: number;
  /**
   * Every table or view the text names, `schema.table` when the schema is given, as the database folds it
   * (unquoted Postgres names lowercase). Sorted, unique; CTE names are not tables. `schema.*` for a whole
   * schema (`DROP SCHEMA`), `*` when the text can reach tables it does not name (a function not known to be
   * read-only, `DO`, `EXECUTE`, `CALL`, `DROP DATABASE`, `ATTACH`…), so a table scope never allows it.
   */
  tables: string[];
  /** Why it is not read-only, one short phrase each; empty when `readOnly`. */
  problems: string[];
}

/** Options for `classifySql`. */
export interface ClassifySqlOptions {
  /** The database's dialect; default `postgres`. */
  dialect?: SqlDialect;
  /**
   * More function names (lowercase, unqualified) the policy knows to be read-only, for user-defined
   * functions. Never overrides the dangerous list.
   */
  readOnlyFunctions?: readonly string[];
}
