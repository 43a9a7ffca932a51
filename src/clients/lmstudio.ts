import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** LM Studio: `~/.lmstudio/mcp.json` (older builds `~/.cache/lm-studio/mcp.json`), Cursor notation. */
export const LMSTUDIO: ClientSpec = {
  id: "lmstudio",
  label: "LM Studio",
  format: "json",
  locators: [{ kind: "map", at: ["mcpServers"] }],
  userFiles: (ctx) => [
    { file: join(ctx.home, ".lmstudio", "mcp.json"), scope: "user" },
    { file: join(ctx.home, ".cache", "lm-studio", "mcp.json"), scope: "user" },
  ],
  projectFiles: [],
  matches: [".lmstudio/mcp.json", "lm-studio/mcp.json"],
};
