import { DANGEROUS_SQL_FUNCTIONS, READ_ONLY_SQL_FUNCTIONS } from "./_functions.ts";
import type { SqlClassification } from "./types.ts";

/**
 * The parts of libpg-query's Emscripten module this file calls. The package's own `parseSync` copies the text
 * in and the tree out with byte-by-byte JavaScript loops; these calls do the same with the engine's
 * `TextEncoder.encodeInto`, `indexOf` and `TextDecoder` (about 13 µs less per 1 KB statement), and the same
 * C entry point (`wasm_parse_query_raw`) reads the text.
 */
interface PgQueryModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _wasm_parse_query_raw(textPtr: number): number;
  _wasm_free_parse_result(resultPtr: number): void;
}

let loaded = false;
let loading: Promise<void> | undefined;
let wasm: PgQueryModule | undefined;
const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

/**
 * Loads the Postgres parser (WebAssembly) once; later calls return at once. The package is imported here, not
 * at the top of the module, so a program that never reads SQL does not load it, and where it cannot load (a
 * single-file bundle has no .wasm beside it) SQL stays "not read-only" instead of the program failing.
 *
 * The module is the package's own Emscripten build (`wasm/libpg-query.js`, pinned with the package), not its
 * `index.js`, which would start a second copy of the module when imported. Loading ends with one parse: the
 * engine compiles the parser's functions on their first call (about 100 ms), and that belongs to start-up,
 * not to the first statement an agent sends.
 */
export function loadPostgresParser(): Promise<void> {
  loading ??= import("libpg-query/wasm/libpg-query.js").then(async (m) => {
    const factory = (m.default ?? m) as () => Promise<PgQueryModule>;
    wasm = await factory();
    parseToJson(WARM_UP);
    loaded = true;
  }).catch(() => {
    wasm = undefined;
    loading = undefined;
  });
  return loading ?? Promise.resolve();
}

// The grammar's common paths, so the first real statement finds them compiled (a short SELECT alone left
// 10–14 ms for the first 1 KB report query).
const WARM_UP = [
  "WITH r AS (SELECT x.a, count(*) AS n FROM s.t x LEFT JOIN u ON u.id = x.b WHERE x.c IN ('p', 'q')",
  "  AND x.d >= DATE '2024-01-01' AND coalesce(x.e, '') <> '' AND x.f > 0 GROUP BY 1 HAVING count(*) > 1)",
  "SELECT r.a, r.n * 2.5::numeric AS m, CASE WHEN r.n > 3 THEN 'big' ELSE 'small' END,",
  "  row_number() OVER (ORDER BY r.n) FROM r WHERE EXISTS (SELECT 1 FROM v WHERE v.a = r.a)",
  "UNION ALL SELECT 'x', 1, NULL, 2 ORDER BY 2 DESC LIMIT 10 OFFSET 0; /* and the common writes */",
  "INSERT INTO t (a) VALUES (1); UPDATE t SET a = 2 WHERE b; DELETE FROM t; COPY t TO STDOUT; SET a = 1; COMMIT",
].join("\n");

/** True once `loadPostgresParser()` has finished. */
export function postgresParserLoaded(): boolean {
  return loaded;
}

/**
 * Runs Postgres's parser (`pg_query_parse`) on `text` and returns its parse tree as JSON text, or the
 * parser's error message. Same C call and same struct reads as the package's `parseSync`.
 */
function parseToJson(text: string): { json: string } | { error: string } {
  const m = wasm!;
  // UTF-8 needs at most 3 bytes per UTF-16 unit; one more for the terminating NUL.
  const size = text.length * 3 + 1;
  const textPtr = m._malloc(size);
  if (textPtr === 0) return { error: "the parser ran out of memory" };
  let result = 0;
  try {
    const { written } = ENCODER.encodeInto(text, m.HEAPU8.subarray(textPtr, textPtr + size - 1));
    m.HEAPU8[textPtr + written] = 0;
    result = m._wasm_parse_query_raw(textPtr);
    if (result === 0) return { error: "the parser ran out of memory" };
    // PgQueryParseResult { char *parse_tree; char *stderr_buffer; PgQueryError *error; } (wasm32), and
    // PgQueryError starts with `char *message`. The heap views are read after the call: it can grow memory.
    const heap32 = m.HEAPU32;
    const treePtr = heap32[result >>> 2]!;
    const errorPtr = heap32[(result + 8) >>> 2]!;
    if (errorPtr !== 0) {
      const messagePtr = heap32[errorPtr >>> 2]!;
      return { error: messagePtr === 0 ? "unknown error" : cString(m.HEAPU8, messagePtr) };
    }
    if (treePtr === 0) return { error: "no parse tree" };
    return { json: cString(m.HEAPU8, treePtr) };
  } finally {
    m._free(textPtr);
    if (result !== 0) m._wasm_free_parse_result(result);
  }
}

function cString(heap: Uint8Array, ptr: number): string {
  const end = heap.indexOf(0, ptr);
  return DECODER.decode(heap.subarray(ptr, end < 0 ? heap.length : end));
}

type Node = Record<string, unknown>;

// Statements that only read. EXPLAIN is judged by what it explains (EXPLAIN ANALYZE runs it).
const READ_STATEMENTS = new Set(["SelectStmt", "VariableShowStmt", "ExplainStmt"]);
// Statements that can reach tables no argument names (a DO block, a prepared statement, a procedure, a whole
// database or role): their table list gets "*", so a table scope cannot allow them.
const UNKNOWN_REACH = [
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
];
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
const WRITE_NODES = ["InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"];
// Nodes whose subtree Postgres's grammar fills only with names and constants (no statement, relation or
// function call can sit inside), so the walk does not enter them: a column reference's `fields` are names or
// `*` (subscripts become an A_Indirection around it), a constant is a value.
const LEAF_NODES = [
  "ColumnRef",
  "A_Const",
  "String",
  "Integer",
  "Float",
  "Boolean",
  "BitString",
  "A_Star",
  "ParamRef",
];

// What the walk does at a node, by its kind (the key that wraps it).
const Act = { Write: 1, Reach: 2, Drop: 3, Select: 4, Explain: 5, Func: 6, Leaf: 7 } as const;
const ACTS = new Map<string, number>([
  ...WRITE_NODES.map((k) => [k, Act.Write] as const),
  ...UNKNOWN_REACH.map((k) => [k, Act.Reach] as const),
  ["DropStmt", Act.Drop],
  ["SelectStmt", Act.Select],
  ["ExplainStmt", Act.Explain],
  ["FuncCall", Act.Func],
  ...LEAF_NODES.map((k) => [k, Act.Leaf] as const),
]);

/**
 * Classifies Postgres SQL with the real Postgres parser (libpg_query). Call `loadPostgresParser()` first;
 * before that every text is not read-only.
 * @param text SQL text
 * @param extraReadOnly more read-only function names (lowercase)
 * @returns the classification
 */
export function classifyPostgres(text: string, extraReadOnly: ReadonlySet<string>): SqlClassification {
  if (!loaded || wasm === undefined) {
    return { readOnly: false, statements: 0, tables: [], problems: ["the Postgres parser is not loaded"] };
  }
  if (text.trim() === "") return { readOnly: false, statements: 0, tables: [], problems: ["no statement"] };
  let tree: { stmts?: { stmt?: Node }[] };
  try {
    const out = parseToJson(text);
    if ("error" in out) {
      return {
        readOnly: false,
        statements: 0,
        tables: [],
        problems: [`not valid Postgres SQL: ${out.error}`],
      };
    }
    tree = JSON.parse(out.json) as { stmts?: { stmt?: Node }[] };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return { readOnly: false, statements: 0, tables: [], problems: [`not valid Postgres SQL: ${msg}`] };
  }
  try {
    return classifyTree(tree, extraReadOnly);
  } catch (e) {
    // The walk recurses: a statement nested a few thousand levels deep (which the parser still reads) can
    // exhaust the stack. What was not checked is not read-only and can reach any table.
    const msg = e instanceof Error ? e.message : String(e);
    return {
      readOnly: false,
      statements: tree.stmts?.length ?? 0,
      tables: ["*"],
      problems: [`the statement could not be checked: ${msg}`],
    };
  }
}

/**
 * Classifies a parse tree as libpg_query writes it (`{ stmts: [{ stmt: { SelectStmt: {...} } }] }`).
 * @param tree the parsed JSON
 * @param extraReadOnly more read-only function names (lowercase)
 * @returns the classification
 */
export function classifyTree(
  tree: { stmts?: { stmt?: Node }[] },
  extraReadOnly: ReadonlySet<string>,
): SqlClassification {
  const stmts = tree.stmts ?? [];
  const problems: string[] = [];
  const tables = new Set<string>();
  if (stmts.length === 0) problems.push("no statement");
  if (stmts.length > 1) problems.push(`${stmts.length} statements where one is allowed`);
  const w: Walk = { problems, tables, extraReadOnly };
  for (const { stmt } of stmts) {
    if (stmt === undefined) {
      problems.push("an empty statement");
      continue;
    }
    const kind = Object.keys(stmt)[0] ?? "unknown";
    if (!READ_STATEMENTS.has(kind)) problems.push(`${statementName(kind)} is not a read`);
    visit(w, stmt, NO_CTES);
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

interface Walk {
  problems: string[];
  tables: Set<string>;
  extraReadOnly: ReadonlySet<string>;
}
const NO_CTES: ReadonlySet<string> = new Set();

/** Visits any value of the tree; `ctes` are the CTE names in scope (not tables). */
function visit(w: Walk, value: unknown, ctes: ReadonlySet<string>): void {
  if (typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) visit(w, value[i], ctes);
    return;
  }
  const node = value as Node;
  // A RangeVar appears wrapped (`{ RangeVar: {...} }`) in lists and bare where the field's type is fixed
  // (an INSERT's `relation`), so any object naming a relation is one.
  if (typeof node.relname === "string") {
    rangeVar(w, node, ctes);
    return;
  }
  // for…in visits every key Object.entries would (JSON.parse makes plain objects), without an array per node.
  for (const key in node) {
    const inner = node[key];
    if (typeof inner !== "object" || inner === null) continue;
    if (Array.isArray(inner)) {
      visit(w, inner, ctes);
      continue;
    }
    const body = inner as Node;
    switch (ACTS.get(key)) {
      case Act.Leaf:
        continue;
      case Act.Write:
        w.problems.push(`${statementName(key)} inside the statement`);
        break;
      case Act.Reach:
        w.tables.add("*");
        break;
      case Act.Drop:
        drop(w, body);
        break;
      case Act.Select:
        select(w, body, ctes);
        continue;
      case Act.Explain:
        visit(w, body.query, ctes);
        continue;
      case Act.Func:
        funcCall(w, body);
        break;
    }
    visit(w, body, ctes);
  }
}

function select(w: Walk, s: Node, outer: ReadonlySet<string>): void {
  if (s.intoClause) w.problems.push("SELECT … INTO creates a table");
  if (Array.isArray(s.lockingClause) && s.lockingClause.length > 0) {
    w.problems.push("SELECT … FOR UPDATE/SHARE locks rows");
  }
  let scope = outer;
  const wc = s.withClause as { WithClause?: Node } | Node | undefined;
  const withClause = (wc && "WithClause" in wc ? wc.WithClause : wc) as Node | undefined;
  if (withClause) {
    const ctes = (withClause.ctes as { CommonTableExpr?: Node }[] | undefined) ?? [];
    const names = ctes.map((c) => String(c.CommonTableExpr?.ctename ?? ""));
    const recursive = withClause.recursive === true;
    const all = new Set([...outer, ...names]);
    ctes.forEach((c, i) => {
      // A non-recursive CTE sees only the CTEs before it; a name it uses that is not one of them is a table.
      const seen = recursive ? all : new Set([...outer, ...names.slice(0, i)]);
      visit(w, c.CommonTableExpr?.ctequery, seen);
    });
    scope = all;
  }
  for (const k in s) {
    if (k === "withClause" || k === "intoClause" || k === "lockingClause") continue;
    visit(w, s[k], scope);
  }
}

function rangeVar(w: Walk, r: Node, ctes: ReadonlySet<string>): void {
  const rel = String(r.relname ?? "");
  const schema = typeof r.schemaname === "string" ? r.schemaname : undefined;
  const catalog = typeof r.catalogname === "string" ? r.catalogname : undefined;
  if (schema === undefined && ctes.has(rel)) return;
  w.tables.add([catalog, schema, rel].filter((p) => p !== undefined).join("."));
}

function funcCall(w: Walk, f: Node): void {
  const parts = ((f.funcname as { String?: { sval?: string } }[] | undefined) ?? [])
    .map((p) => p.String?.sval ?? "");
  const name = parts.join(".").toLowerCase();
  const bare = parts.length === 2 && parts[0] === "pg_catalog" ? (parts[1] ?? "").toLowerCase() : name;
  const danger = DANGEROUS_SQL_FUNCTIONS.get(bare) ?? DANGEROUS_SQL_FUNCTIONS.get(parts.at(-1) ?? "");
  if (danger !== undefined) {
    w.problems.push(`function ${name}() ${danger}`);
    w.tables.add("*");
  } else if (!READ_ONLY_SQL_FUNCTIONS.has(bare) && !w.extraReadOnly.has(bare)) {
    // A function nobody vouched for can read or write any table.
    w.problems.push(`function ${name}() is not known to be read-only`);
    w.tables.add("*");
  }
}

function drop(w: Walk, d: Node): void {
  const type = String(d.removeType ?? "");
  for (
    const o of (d.objects as {
      List?: { items?: { String?: { sval?: string } }[] };
      String?: { sval?: string };
    }[]) ?? []
  ) {
    const parts = o.List ? (o.List.items ?? []).map((i) => i.String?.sval ?? "") : [o.String?.sval ?? ""];
    if (TABLE_OBJECTS.has(type)) w.tables.add(parts.join("."));
    else if (type === "OBJECT_SCHEMA") w.tables.add(`${parts.join(".")}.*`);
    else w.tables.add("*");
  }
}
