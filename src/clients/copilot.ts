import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** GitHub Copilot CLI: `~/.copilot/mcp-config.json`. */
export const COPILOT: ClientSpec = {
  id: "copilot",
  label: "GitHub Copilot CLI",
  format: "json",
  locators: [{ kind: "map", at: ["mcpServers"] }],
  userFiles: (ctx) => [{ file: join(ctx.home, ".copilot", "mcp-config.json"), scope: "user" }],
  projectFiles: [],
  matches: [".copilot/mcp-config.json"],
};
