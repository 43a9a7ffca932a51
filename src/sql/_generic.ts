import { DANGEROUS_SQL_FUNCTIONS, READ_ONLY_SQL_FUNCTIONS } from "./_functions.ts";
import type { SqlClassification } from "./types.ts";

// The package is CommonJS: its classes hang off the default export under Deno. Imported when SQL parsers are
// loaded (not with this module): a program that never reads SQL does not pay for it.
const DATABASE = { mysql: "MySQL", sqlite: "Sqlite" } as const;
interface GenericParser {
  parse(text: string, opt: unknown): { ast: unknown; tableList: string[] };
}
let PARSER: GenericParser | undefined;

/**
 * Loads node-sql-parser once; where it cannot load, MySQL and SQLite text stays "not read-only". Loading ends
 * with one parse per dialect: the engine compiles each grammar's functions on their first call (10–15 ms),
 * which belongs to start-up, not to the first statement an agent sends.
 */
export async function loadGenericParser(): Promise<void> {
  if (PARSER) return;
  try {
    const m = await import("node-sql-parser");
    const parser = new m.default.Parser() as unknown as GenericParser;
    for (const database of Object.values(DATABASE)) {
      parser.parse("SELECT a, f(b) FROM s.t WHERE c = 1", { database });
    }
    PARSER = parser;
  } catch {
    PARSER = undefined;
  }
}

type Node = Record<string, unknown>;

/**
 * Classifies MySQL or SQLite text with node-sql-parser (no engine's own parser runs in JavaScript for these).
 * Only plain SELECTs (no INTO, no locking read) whose every function is known to read are read-only;
 * anything the grammar cannot read (PRAGMA, some dialect corners) is not.
 * @param text SQL text
 * @param dialect mysql or sqlite
 * @param extraReadOnly more read-only function names (lowercase)
 * @returns the classification
 */
export function classifyGeneric(
  text: string,
  dialect: "mysql" | "sqlite",
  extraReadOnly: ReadonlySet<string>,
): SqlClassification {
  const opt = { database: DATABASE[dialect] };
  if (!PARSER) {
    return { readOnly: false, statements: 0, tables: [], problems: [`the ${dialect} parser is not loaded`] };
  }
  let asts: Node[];
  let tableList: string[];
  try {
    // One parse gives both the tree and the table list (`astify` and `tableList` would each parse the text).
    const parsed = PARSER.parse(text, opt);
    const ast = parsed.ast as Node | Node[];
    asts = (Array.isArray(ast) ? ast : [ast]).filter((a) => a !== null && typeof a === "object");
    if (!Array.isArray(parsed.tableList)) throw new Error("the parser gave no table list");
    tableList = parsed.tableList;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { readOnly: false, statements: 0, tables: [], problems: [`not valid ${dialect} SQL: ${msg}`] };
  }
  const problems: string[] = [];
  if (asts.length === 0) problems.push("no statement");
  if (asts.length > 1) problems.push(`${asts.length} statements where one is allowed`);
  const tables = new Set<string>();
  for (const ast of asts) {
    const type = String(ast.type ?? "unknown");
    if (type !== "select") problems.push(`${type.toUpperCase().replace(/_/g, " ")} is not a read`);
    // ATTACH opens another database file: every table in it is in reach.
    if (type === "attach") tables.add("*");
    let anyTable: boolean;
    try {
      anyTable = walk(ast, problems, extraReadOnly);
    } catch (e) {
      // The walk recurses; a tree too deep for the stack was not checked, so it is not read-only.
      problems.push(`the statement could not be checked: ${e instanceof Error ? e.message : String(e)}`);
      anyTable = true;
    }
    if (anyTable) tables.add("*");
  }
  for (const entry of tableList) {
    // node-sql-parser writes `<operation>::<db or null>::<table>`.
    const [op, db, table] = entry.split("::");
    if (op !== "select") problems.push(`${String(op).toUpperCase()} on table "${table}"`);
    tables.add(db && db !== "null" ? `${db}.${table}` : String(table));
  }
  return {
    readOnly: problems.length === 0,
    statements: asts.length,
    tables: [...tables].sort(),
    problems: [...new Set(problems)],
  };
}

/** Walks the tree for writes and functions; true when a function not known to read was called (any table). */
function walk(value: unknown, problems: string[], extra: ReadonlySet<string>): boolean {
  let anyTable = false;
  if (Array.isArray(value)) {
    for (const v of value) anyTable = walk(v, problems, extra) || anyTable;
    return anyTable;
  }
  if (value === null || typeof value !== "object") return false;
  const node = value as Node;
  if (node.type === "select") {
    const into = node.into as Node | undefined;
    if (into && (into.keyword !== undefined || into.expr !== undefined)) {
      problems.push("SELECT … INTO writes a file or variables");
    }
    if (node.locking_read || node.for_update) problems.push("SELECT … FOR UPDATE/SHARE locks rows");
  } else if (typeof node.type === "string" && ["insert", "update", "delete", "replace"].includes(node.type)) {
    problems.push(`${node.type.toUpperCase()} inside the statement`);
  }
  if (node.type === "function") {
    const parts = ((node.name as { name?: { value?: string }[] } | undefined)?.name ?? [])
      .map((p) => String(p.value ?? ""));
    const name = parts.join(".").toLowerCase();
    const bare = (parts.at(-1) ?? "").toLowerCase();
    const danger = DANGEROUS_SQL_FUNCTIONS.get(bare);
    if (danger !== undefined) {
      problems.push(`function ${name}() ${danger}`);
      anyTable = true;
    } else if (!READ_ONLY_SQL_FUNCTIONS.has(bare) && !extra.has(bare)) {
      problems.push(`function ${name}() is not known to be read-only`);
      anyTable = true;
    }
  }
  for (const v of Object.values(node)) anyTable = walk(v, problems, extra) || anyTable;
  return anyTable;
}
