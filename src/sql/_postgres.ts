import { DANGEROUS_SQL_FUNCTIONS, READ_ONLY_SQL_FUNCTIONS } from "./_functions.ts";
import type { SqlClassification } from "./types.ts";

let loaded = false;
let loading: Promise<void> | undefined;
let parseSync: ((text: string) => unknown) | undefined;

/**
 * Loads the Postgres parser (WebAssembly) once; later calls return at once. The package is imported here, not
 * at the top of the module, so a program that never reads SQL does not load it, and where it cannot load (a
 * single-file bundle has no .wasm beside it) SQL stays "not read-only" instead of the program failing.
 */
export function loadPostgresParser(): Promise<void> {
  loading ??= import("libpg-query").then(async (m) => {
    await m.loadModule();
    parseSync = m.parseSync as (text: string) => unknown;
    loaded = true;
  }).catch(() => {
    loading = undefined;
  });
  return loading ?? Promise.resolve();
}

/** True once `loadPostgresParser()` has finished. */
export function postgresParserLoaded(): boolean {
  return loaded;
}

type Node = Record<string, unknown>;

// Statements that only read. EXPLAIN is judged by what it explains (EXPLAIN ANALYZE runs it).
const READ_STATEMENTS = new Set(["SelectStmt", "VariableShowStmt", "ExplainStmt"]);
// Statements that can reach tables no argument names (a DO block, a prepared statement, a procedure, a whole
// database or role): their table list gets "*", so a table scope cannot allow them.
const UNKNOWN_REACH = new Set([
  "DoStmt",
  "ExecuteStmt",
  "CallStmt",
  "DropdbStmt",
  "DropOwnedStmt",
  "ReassignOwnedStmt",
  "AlterSystemStmt",
  "LoadStmt",
  "CreateFunctionStmt",
  "CreateTrigStmt",
  "RuleStmt",
  "CreateEventTrigStmt",
]);
// DROP of these names tables (or table-like relations); of a schema, every table in it.
const TABLE_OBJECTS = new Set([
  "OBJECT_TABLE",
  "OBJECT_VIEW",
  "OBJECT_MATVIEW",
  "OBJECT_FOREIGN_TABLE",
  "OBJECT_SEQUENCE",
  "OBJECT_INDEX",
]);
// Nested statements that write, wherever they appear (a writable CTE, a RULE body...).
const WRITE_NODES = new Set(["InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"]);

/**
 * Classifies Postgres SQL with the real Postgres parser (libpg_query). Call `loadPostgresParser()` first;
 * before that every text is not read-only.
 * @param text SQL text
 * @param extraReadOnly more read-only function names (lowercase)
 * @returns the classification
 */
export function classifyPostgres(text: string, extraReadOnly: ReadonlySet<string>): SqlClassification {
  if (!loaded || parseSync === undefined) {
    return { readOnly: false, statements: 0, tables: [], problems: ["the Postgres parser is not loaded"] };
  }
  if (text.trim() === "") return { readOnly: false, statements: 0, tables: [], problems: ["no statement"] };
  let tree: { stmts?: { stmt?: Node }[] };
  try {
    tree = parseSync(text) as unknown as { stmts?: { stmt?: Node }[] };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { readOnly: false, statements: 0, tables: [], problems: [`not valid Postgres SQL: ${msg}`] };
  }
  const stmts = tree.stmts ?? [];
  const problems: string[] = [];
  const tables = new Set<string>();
  if (stmts.length === 0) problems.push("no statement");
  if (stmts.length > 1) problems.push(`${stmts.length} statements where one is allowed`);
  for (const { stmt } of stmts) {
    if (stmt === undefined) {
      problems.push("an empty statement");
      continue;
    }
    const kind = Object.keys(stmt)[0] ?? "unknown";
    if (!READ_STATEMENTS.has(kind)) problems.push(`${statementName(kind)} is not a read`);
    const w = new Walker(problems, tables, extraReadOnly);
    w.visit(stmt, new Set());
  }
  return {
    readOnly: problems.length === 0,
    statements: stmts.length,
    tables: [...tables].sort(),
    problems: [...new Set(problems)],
  };
}

// `InsertStmt` → `INSERT`, `VariableSetStmt` → `SET`, for messages users can act on.
const STATEMENT_NAMES: Record<string, string> = {
  InsertStmt: "INSERT",
  UpdateStmt: "UPDATE",
  DeleteStmt: "DELETE",
  MergeStmt: "MERGE",
  CopyStmt: "COPY",
  TransactionStmt: "a transaction statement (BEGIN, COMMIT, SET TRANSACTION…)",
  VariableSetStmt: "SET",
  PrepareStmt: "PREPARE",
  ExecuteStmt: "EXECUTE",
  DoStmt: "DO",
  CallStmt: "CALL",
  CreateStmt: "CREATE TABLE",
  CreateTableAsStmt: "CREATE TABLE AS / SELECT INTO",
  DropStmt: "DROP",
  TruncateStmt: "TRUNCATE",
  AlterTableStmt: "ALTER TABLE",
  GrantStmt: "GRANT",
  LockStmt: "LOCK",
  DeclareCursorStmt: "DECLARE CURSOR",
  ListenStmt: "LISTEN",
  NotifyStmt: "NOTIFY",
  VacuumStmt: "VACUUM / ANALYZE",
  LoadStmt: "LOAD",
};

function statementName(kind: string): string {
  return STATEMENT_NAMES[kind] ?? kind.replace(/Stmt$/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
}

class Walker {
  constructor(
    readonly problems: string[],
    readonly tables: Set<string>,
    readonly extraReadOnly: ReadonlySet<string>,
  ) {}

  /** Visits any value of the tree; `ctes` are the CTE names in scope (not tables). */
  visit(value: unknown, ctes: ReadonlySet<string>): void {
    if (Array.isArray(value)) {
      for (const v of value) this.visit(v, ctes);
      return;
    }
    if (value === null || typeof value !== "object") return;
    const node = value as Node;
    // A RangeVar appears wrapped (`{ RangeVar: {...} }`) in lists and bare where the field's type is fixed
    // (an INSERT's `relation`), so any object naming a relation is one.
    if (typeof node.relname === "string") {
      this.rangeVar(node, ctes);
      return;
    }
    for (const [key, inner] of Object.entries(node)) {
      if (inner === null || typeof inner !== "object" || Array.isArray(inner)) {
        this.visit(inner, ctes);
        continue;
      }
      const body = inner as Node;
      if (WRITE_NODES.has(key)) this.problems.push(`${statementName(key)} inside the statement`);
      if (UNKNOWN_REACH.has(key)) this.tables.add("*");
      switch (key) {
        case "DropStmt":
          this.drop(body);
          break;
        case "SelectStmt":
          this.select(body, ctes);
          continue;
        case "ExplainStmt":
          this.visit(body.query, ctes);
          continue;
        case "FuncCall":
          this.funcCall(body);
          break;
      }
      this.visit(body, ctes);
    }
  }

  select(s: Node, outer: ReadonlySet<string>): void {
    if (s.intoClause) this.problems.push("SELECT … INTO creates a table");
    if (Array.isArray(s.lockingClause) && s.lockingClause.length > 0) {
      this.problems.push("SELECT … FOR UPDATE/SHARE locks rows");
    }
    let scope = outer;
    const w = s.withClause as { WithClause?: Node } | Node | undefined;
    const withClause = (w && "WithClause" in w ? w.WithClause : w) as Node | undefined;
    if (withClause) {
      const ctes = (withClause.ctes as { CommonTableExpr?: Node }[] | undefined) ?? [];
      const names = ctes.map((c) => String(c.CommonTableExpr?.ctename ?? ""));
      const recursive = withClause.recursive === true;
      const all = new Set([...outer, ...names]);
      ctes.forEach((c, i) => {
        // A non-recursive CTE sees only the CTEs before it; a name it uses that is not one of them is a table.
        const seen = recursive ? all : new Set([...outer, ...names.slice(0, i)]);
        this.visit(c.CommonTableExpr?.ctequery, seen);
      });
      scope = all;
    }
    for (const [k, v] of Object.entries(s)) {
      if (k === "withClause" || k === "intoClause" || k === "lockingClause") continue;
      this.visit(v, scope);
    }
  }

  rangeVar(r: Node, ctes: ReadonlySet<string>): void {
    const rel = String(r.relname ?? "");
    const schema = typeof r.schemaname === "string" ? r.schemaname : undefined;
    const catalog = typeof r.catalogname === "string" ? r.catalogname : undefined;
    if (schema === undefined && ctes.has(rel)) return;
    this.tables.add([catalog, schema, rel].filter((p) => p !== undefined).join("."));
  }

  funcCall(f: Node): void {
    const parts = ((f.funcname as { String?: { sval?: string } }[] | undefined) ?? [])
      .map((p) => p.String?.sval ?? "");
    const name = parts.join(".").toLowerCase();
    const bare = parts.length === 2 && parts[0] === "pg_catalog" ? (parts[1] ?? "").toLowerCase() : name;
    const danger = DANGEROUS_SQL_FUNCTIONS.get(bare) ?? DANGEROUS_SQL_FUNCTIONS.get(parts.at(-1) ?? "");
    if (danger !== undefined) {
      this.problems.push(`function ${name}() ${danger}`);
      this.tables.add("*");
    } else if (!READ_ONLY_SQL_FUNCTIONS.has(bare) && !this.extraReadOnly.has(bare)) {
      // A function nobody vouched for can read or write any table.
      this.problems.push(`function ${name}() is not known to be read-only`);
      this.tables.add("*");
    }
  }

  drop(d: Node): void {
    const type = String(d.removeType ?? "");
    for (
      const o of (d.objects as {
        List?: { items?: { String?: { sval?: string } }[] };
        String?: { sval?: string };
      }[]) ?? []
    ) {
      const parts = o.List ? (o.List.items ?? []).map((i) => i.String?.sval ?? "") : [o.String?.sval ?? ""];
      if (TABLE_OBJECTS.has(type)) this.tables.add(parts.join("."));
      else if (type === "OBJECT_SCHEMA") this.tables.add(`${parts.join(".")}.*`);
      else this.tables.add("*");
    }
  }
}
