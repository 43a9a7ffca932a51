import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** Claude Code: `~/.claude.json` (user + per-project "local" entries), project `.mcp.json`, managed file. */
export const CLAUDE_CODE: ClientSpec = {
  id: "claude-code",
  label: "Claude Code",
  format: "json",
  locators: [
    { kind: "map", at: ["mcpServers"] },
    { kind: "projects", at: ["projects"], key: "mcpServers" },
  ],
  userFiles: (ctx) => {
    const dir = ctx.env("CLAUDE_CONFIG_DIR");
    const user = dir ? join(dir.replaceAll("\\", "/"), ".claude.json") : join(ctx.home, ".claude.json");
    const managed = ctx.os === "darwin"
      ? "/Library/Application Support/ClaudeCode/managed-mcp.json"
      : ctx.os === "windows"
      ? "C:/Program Files/ClaudeCode/managed-mcp.json"
      : "/etc/claude-code/managed-mcp.json";
    return [{ file: user, scope: "user" }, { file: managed, scope: "managed" }];
  },
  projectFiles: [".mcp.json"],
  matches: [".claude.json", ".mcp.json", "managed-mcp.json"],
};
