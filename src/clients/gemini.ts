import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** Gemini CLI: `~/.gemini/settings.json`, project `.gemini/settings.json`, system settings. */
export const GEMINI: ClientSpec = {
  id: "gemini",
  label: "Gemini CLI",
  format: "json",
  locators: [{ kind: "map", at: ["mcpServers"] }],
  userFiles: (ctx) => {
    const system = ctx.os === "darwin"
      ? "/Library/Application Support/GeminiCli/settings.json"
      : ctx.os === "windows"
      ? "C:/ProgramData/gemini-cli/settings.json"
      : "/etc/gemini-cli/settings.json";
    return [
      { file: join(ctx.home, ".gemini", "settings.json"), scope: "user" },
      { file: system, scope: "managed" },
    ];
  },
  projectFiles: [".gemini/settings.json"],
  matches: [".gemini/settings.json", "gemini-cli/settings.json", "GeminiCli/settings.json"],
};
