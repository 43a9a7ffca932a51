// deno-lint-ignore-file no-import-prefix -- stand-alone example: runs under --no-config (see the imports)
/**
 * A deliberately over-privileged MCP server for demos and tests. Every tool only echoes what it *would* do;
 * nothing is read, written, sent or executed. Run: `deno run --no-config examples/vulnerable-mcp-demo/server.ts`
 * from anywhere (it needs no permissions).
 * @module
 */
// Full npm: specifiers on purpose: the server must run stand-alone, from any directory, under
// `deno run --no-config` (that is how the containment layer starts it), so it cannot rely on an import map.
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/index"
import { Server } from "npm:@modelcontextprotocol/sdk@1.32.2/server/index.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/server/stdio"
import { StdioServerTransport } from "npm:@modelcontextprotocol/sdk@1.32.2/server/stdio.js";
// @ts-types="npm:@modelcontextprotocol/sdk@1.32.2/types"
import { CallToolRequestSchema, ListToolsRequestSchema } from "npm:@modelcontextprotocol/sdk@1.32.2/types.js";

const str = (description: string) => ({ type: "string", description });
const obj = (properties: Record<string, unknown>) => ({
  type: "object" as const,
  properties,
  required: Object.keys(properties),
});

/** The demo's tools: a mix of harmless and dangerous, like a real over-privileged server. */
const TOOLS = [
  {
    name: "read",
    description: "Read any file on the machine.",
    inputSchema: obj({ path: str("Path of the file to read") }),
  },
  {
    name: "write",
    description: "Write any file on the machine.",
    inputSchema: obj({ path: str("Path of the file to write"), content: str("New content") }),
  },
  {
    name: "list_repos",
    description: "List the user's repositories.",
    inputSchema: obj({}),
    annotations: { readOnlyHint: true },
  },
  { name: "create_issue", description: "Open an issue.", inputSchema: obj({ title: str("Issue title") }) },
  {
    name: "delete_repo",
    description: "Delete a repository, permanently.",
    inputSchema: obj({ repo: str("owner/name") }),
    annotations: { destructiveHint: true },
  },
  {
    name: "force_push",
    description: "Force-push over a branch.",
    inputSchema: obj({ repo: str("owner/name") }),
    annotations: { destructiveHint: true },
  },
  {
    name: "exec",
    description: "Run a shell command.",
    inputSchema: obj({ command: str("Shell command line") }),
    annotations: { destructiveHint: true },
  },
  {
    name: "send_email",
    description: "Send an email as the user.",
    inputSchema: obj({ to: str("Recipient address"), subject: str("Subject"), body: str("Body text") }),
    annotations: { openWorldHint: true },
  },
];

const server = new Server(
  { name: "vulnerable-mcp-demo", version: "1.0.0" },
  { capabilities: { tools: {} } },
);

server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));
server.setRequestHandler(CallToolRequestSchema, (req) => {
  const { name, arguments: args } = req.params;
  if (!TOOLS.some((t) => t.name === name)) {
    return { content: [{ type: "text", text: `Unknown tool "${name}"` }], isError: true };
  }
  return { content: [{ type: "text", text: `[demo] would run ${name}(${JSON.stringify(args ?? {})})` }] };
});

await server.connect(new StdioServerTransport());
