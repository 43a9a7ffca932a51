import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** OpenAI Codex: TOML `[mcp_servers.<name>]` in `~/.codex/config.toml` (`$CODEX_HOME`) and `.codex/config.toml`. */
export const CODEX: ClientSpec = {
  id: "codex",
  label: "OpenAI Codex",
  format: "toml",
  locators: [{ kind: "map", at: ["mcp_servers"] }],
  userFiles: (ctx) => {
    const dir = ctx.env("CODEX_HOME")?.replaceAll("\\", "/") ?? join(ctx.home, ".codex");
    return [{ file: join(dir, "config.toml"), scope: "user" }];
  },
  projectFiles: [".codex/config.toml"],
  matches: [".codex/config.toml", "config.toml"],
};
