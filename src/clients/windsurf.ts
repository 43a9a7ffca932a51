import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** Windsurf (and the Codeium JetBrains plugin): `mcp_config.json`; remote entries use `serverUrl`. */
export const WINDSURF: ClientSpec = {
  id: "windsurf",
  label: "Windsurf",
  format: "json",
  locators: [{ kind: "map", at: ["mcpServers"] }],
  userFiles: (ctx) => [
    { file: join(ctx.home, ".codeium", "windsurf", "mcp_config.json"), scope: "user" },
    { file: join(ctx.home, ".codeium", "mcp_config.json"), scope: "user" },
  ],
  projectFiles: [],
  matches: [".codeium/windsurf/mcp_config.json", ".codeium/mcp_config.json"],
};
