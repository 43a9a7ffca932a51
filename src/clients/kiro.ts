import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** Kiro (Amazon Q's successor): `~/.kiro/settings/mcp.json` and `.kiro/settings/mcp.json`. */
export const KIRO: ClientSpec = {
  id: "kiro",
  label: "Kiro",
  format: "json",
  locators: [{ kind: "map", at: ["mcpServers"] }],
  userFiles: (ctx) => [{ file: join(ctx.home, ".kiro", "settings", "mcp.json"), scope: "user" }],
  projectFiles: [".kiro/settings/mcp.json"],
  matches: [".kiro/settings/mcp.json"],
};
