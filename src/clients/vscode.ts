import { join } from "node:path/posix";
import { editorUserDir } from "./_paths.ts";
import type { ClientSpec } from "./types.ts";

/** VS Code: the real per-OS user `mcp.json` (stable and Insiders), `.vscode/mcp.json`, legacy `settings.json` `mcp.servers`. */
export const VSCODE: ClientSpec = {
  id: "vscode",
  label: "VS Code",
  format: "jsonc",
  locators: [{ kind: "map", at: ["servers"] }, { kind: "map", at: ["mcp", "servers"] }],
  userFiles: (ctx) => [
    { file: join(editorUserDir(ctx, "Code"), "mcp.json"), scope: "user" },
    { file: join(editorUserDir(ctx, "Code - Insiders"), "mcp.json"), scope: "user" },
    { file: join(editorUserDir(ctx, "Code"), "settings.json"), scope: "user" },
    { file: join(ctx.home, ".vscode-server", "data", "User", "mcp.json"), scope: "user" },
  ],
  projectFiles: [".vscode/mcp.json", ".vscode/settings.json"],
  matches: [".vscode/mcp.json", ".vscode/settings.json", "Code/User/mcp.json", "Code/User/settings.json"],
};
