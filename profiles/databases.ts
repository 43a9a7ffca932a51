/**
 * SQL servers: the archived reference Postgres server (@modelcontextprotocol/server-postgres, one `query`
 * tool that runs its SQL in a read-only transaction, escapable with `COMMIT;`), Postgres MCP Pro
 * (crystaldba/postgres-mcp) and the archived reference SQLite server (mcp-server-sqlite).
 * Names from https://github.com/modelcontextprotocol/servers-archived (src/postgres, src/sqlite) and
 * https://github.com/crystaldba/postgres-mcp.
 * @module
 */
import type { ServerProfileDescriptor } from "../src/profiles/mod.ts";

// The samples below parse SQL. The parsers load asynchronously (the Postgres one is WebAssembly, ~7 ms) and
// are not loaded here: where they have not loaded yet (or cannot load, as in a single-file bundle) the SQL
// samples are skipped at definition; tests/profiles/builtin_profiles_test.ts checks them with the parsers
// loaded.

/** Postgres servers: every statement is parsed by Postgres's own parser for its tables and writes. */
export const postgres: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "postgres",
  version: "1.0.0",
  description: "Postgres MCP servers (reference server-postgres, postgres-mcp)",
  sources: [
    "https://github.com/modelcontextprotocol/servers-archived",
    "https://github.com/crystaldba/postgres-mcp",
  ],
  match: {
    packages: [
      "@modelcontextprotocol/server-postgres",
      "mcp/postgres",
      "postgres-mcp",
      "crystaldba/postgres-mcp",
    ],
    commands: ["postgres-mcp"],
    names: ["postgres*", "pg"],
  },
  tools: {
    // Named "query" and documented read-only, but it runs whatever SQL it is given.
    query: { classes: ["read"], scopes: { tables: { sql: "/sql", dialect: "postgres" } } },
    execute_sql: { scopes: { tables: { sql: "/sql", dialect: "postgres" } } },
    explain_query: { classes: ["read"], scopes: { tables: { sql: "/sql", dialect: "postgres" } } },
    list_schemas: { classes: ["read"] },
    list_objects: { classes: ["read"], scopes: { tables: { names: ["/schema_name"] } } },
    get_object_details: { classes: ["read"], scopes: { tables: { names: ["/object_name"] } } },
    analyze_workload_indexes: { classes: ["read"] },
    analyze_query_indexes: {
      classes: ["read"],
      scopes: { tables: { sql: "/queries/*", dialect: "postgres" } },
    },
    analyze_db_health: { classes: ["read"] },
    get_top_queries: { classes: ["read"] },
  },
  samples: [
    { tool: "query", args: { sql: "SELECT * FROM public.users" }, want: { tables: ["public.users"] } },
    { tool: "query", args: { sql: "COMMIT; DROP TABLE public.users" }, want: { tables: ["public.users"] } },
    { tool: "query", args: { sql: "SELEC" }, want: { tables: [], unreadable: ["/sql"] } },
  ],
};

/** mcp-server-sqlite: separate read and write tools, both taking SQL text. */
export const sqlite: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "sqlite",
  version: "1.0.0",
  description: "SQLite MCP server (archived reference mcp-server-sqlite)",
  sources: ["https://github.com/modelcontextprotocol/servers-archived"],
  match: {
    packages: ["mcp-server-sqlite", "mcp/sqlite"],
    commands: ["mcp-server-sqlite"],
    names: ["sqlite*"],
  },
  tools: {
    read_query: { classes: ["read"], scopes: { tables: { sql: "/query", dialect: "sqlite" } } },
    write_query: { classes: ["write", "delete"], scopes: { tables: { sql: "/query", dialect: "sqlite" } } },
    create_table: { classes: ["write"], scopes: { tables: { sql: "/query", dialect: "sqlite" } } },
    list_tables: { classes: ["read"] },
    describe_table: { classes: ["read"], scopes: { tables: { names: ["/table_name"] } } },
    append_insight: { classes: ["write"] },
  },
  samples: [
    { tool: "read_query", args: { query: "SELECT * FROM main.users" }, want: { tables: ["main.users"] } },
    { tool: "describe_table", args: { table_name: "users" }, want: { tables: ["users"] } },
  ],
};
