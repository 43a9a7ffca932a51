import { join } from "node:path/posix";
import { editorUserDir } from "./_paths.ts";
import type { ClientSpec } from "./types.ts";

const SETTINGS = ["globalStorage", "saoudrizwan.claude-dev", "settings", "cline_mcp_settings.json"];

/** Cline: `cline_mcp_settings.json` in VS Code's or Cursor's globalStorage, or the CLI's data dir. */
export const CLINE: ClientSpec = {
  id: "cline",
  label: "Cline",
  format: "json",
  locators: [{ kind: "map", at: ["mcpServers"] }],
  userFiles: (ctx) => {
    const override = ctx.env("CLINE_MCP_SETTINGS_PATH");
    return [
      ...(override ? [{ file: override.replaceAll("\\", "/"), scope: "user" as const }] : []),
      { file: join(editorUserDir(ctx, "Code"), ...SETTINGS), scope: "user" },
      { file: join(editorUserDir(ctx, "Cursor"), ...SETTINGS), scope: "user" },
      { file: join(ctx.home, ".cline", "data", "settings", "cline_mcp_settings.json"), scope: "user" },
    ];
  },
  projectFiles: [],
  matches: ["cline_mcp_settings.json"],
};
