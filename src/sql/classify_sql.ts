import { classifyGeneric, loadGenericParser } from "./_generic.ts";
import { classifyPostgres, loadPostgresParser } from "./_postgres.ts";
import type { ClassifySqlOptions, SqlClassification } from "./types.ts";

/** The longest SQL text classified; longer text is not read-only (parsing it would cost the proxy too much). */
export const MAX_SQL_LENGTH = 100_000;

/**
 * Loads the SQL parsers that need it (the Postgres parser is WebAssembly). Call once at startup, before
 * `classifySql`; safe to call again.
 * @returns when loaded
 */
export async function loadSqlParsers(): Promise<void> {
  await Promise.all([loadPostgresParser(), loadGenericParser()]);
}

/**
 * Says whether SQL text is exactly one statement that only reads, and which tables it names. Postgres text
 * is read by Postgres's own parser (libpg_query as WebAssembly), MySQL and SQLite text by node-sql-parser.
 * Fails closed: text the parser cannot read, more than one statement, a write anywhere (writable CTE,
 * `EXPLAIN ANALYZE` of a write), a transaction or session statement (`COMMIT`, `SET`), `COPY`, `PREPARE`,
 * `EXECUTE`, `DO`, `SELECT … INTO`, a locking read, a function not known to be read-only, or a NUL character
 * is not read-only, with a problem saying why.
 *
 * @param text the SQL text an agent sent
 * @param options dialect (default postgres) and extra read-only function names
 * @returns plain data for `decide()`
 */
export function classifySql(text: string, options: ClassifySqlOptions = {}): SqlClassification {
  if (typeof text !== "string") {
    return { readOnly: false, statements: 0, tables: [], problems: ["the SQL is not a string"] };
  }
  if (text.length > MAX_SQL_LENGTH) {
    return {
      readOnly: false,
      statements: 0,
      tables: [],
      problems: [`the SQL is ${text.length} characters, more than the ${MAX_SQL_LENGTH} read`],
    };
  }
  if (text.includes("\0")) {
    // The Postgres parser reads a C string and would stop at the NUL: "SELECT 1\0; DROP TABLE t" would read
    // as one SELECT while a driver may send all of it.
    return {
      readOnly: false,
      statements: 0,
      tables: [],
      problems: ["the SQL holds a NUL character, where a parser could stop reading"],
    };
  }
  const dialect = options.dialect ?? "postgres";
  const extraList = (options.readOnlyFunctions ?? []).map((f) => f.toLowerCase());
  const key = `${dialect}\u0000${extraList.join(",")}\u0000${text}`;
  let got = CACHE.get(key);
  if (got === undefined) {
    got = classifyUncached(text, dialect, new Set(extraList));
    // The Postgres parser answers "not loaded" until it is; that answer must not stick.
    // Long texts are not kept: 256 of them could pin megabytes, and they are rarely repeated.
    const cacheable = text.length <= CACHE_MAX_TEXT &&
      (got.statements > 0 || !got.problems.some((p) => p.includes("not loaded")));
    if (cacheable) {
      if (CACHE.size >= CACHE_SIZE) CACHE.delete(CACHE.keys().next().value as string);
      CACHE.set(key, got);
    }
  } else {
    // Refresh: the map's order is the eviction order.
    CACHE.delete(key);
    CACHE.set(key, got);
  }
  return { ...got, tables: [...got.tables], problems: [...got.problems] };
}

// Agents repeat their queries; parsing 1 KB costs far more than a lookup. Classification is a pure function
// of (dialect, extra functions, text), so a bounded cache changes no answer.
const CACHE_SIZE = 256;
const CACHE_MAX_TEXT = 8192;
const CACHE = new Map<string, SqlClassification>();

function classifyUncached(text: string, dialect: string, extra: ReadonlySet<string>): SqlClassification {
  switch (dialect) {
    case "postgres":
      return classifyPostgres(text, extra);
    case "mysql":
    case "sqlite":
      return classifyGeneric(text, dialect, extra);
    default:
      return { readOnly: false, statements: 0, tables: [], problems: [`unknown SQL dialect "${dialect}"`] };
  }
}
