import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** JetBrains Junie: `~/.junie/mcp/mcp.json` and project `.junie/mcp/mcp.json`. */
export const JUNIE: ClientSpec = {
  id: "junie",
  label: "JetBrains Junie",
  format: "json",
  locators: [{ kind: "map", at: ["mcpServers"] }],
  userFiles: (ctx) => [{ file: join(ctx.home, ".junie", "mcp", "mcp.json"), scope: "user" }],
  projectFiles: [".junie/mcp/mcp.json"],
  matches: [".junie/mcp/mcp.json"],
};
