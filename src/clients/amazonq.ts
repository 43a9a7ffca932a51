import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** Amazon Q Developer: `~/.aws/amazonq/{default,mcp}.json` and the workspace `.amazonq/` equivalents. */
export const AMAZONQ: ClientSpec = {
  id: "amazonq",
  label: "Amazon Q Developer",
  format: "json",
  locators: [{ kind: "map", at: ["mcpServers"] }],
  userFiles: (ctx) => [
    { file: join(ctx.home, ".aws", "amazonq", "default.json"), scope: "user" },
    { file: join(ctx.home, ".aws", "amazonq", "mcp.json"), scope: "user" },
  ],
  projectFiles: [".amazonq/default.json", ".amazonq/mcp.json"],
  matches: [".amazonq/default.json", ".amazonq/mcp.json", "amazonq/default.json", "amazonq/mcp.json"],
};
