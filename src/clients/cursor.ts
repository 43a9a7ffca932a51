import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** Cursor: `~/.cursor/mcp.json` and project `.cursor/mcp.json`. */
export const CURSOR: ClientSpec = {
  id: "cursor",
  label: "Cursor",
  format: "json",
  locators: [{ kind: "map", at: ["mcpServers"] }],
  userFiles: (ctx) => [{ file: join(ctx.home, ".cursor", "mcp.json"), scope: "user" }],
  projectFiles: [".cursor/mcp.json"],
  matches: [".cursor/mcp.json"],
};
