import { join } from "node:path/posix";
import { appData, xdgConfig } from "./_paths.ts";
import type { ClientSpec } from "./types.ts";

/** Claude Desktop: `claude_desktop_config.json`, stdio entries only. */
export const CLAUDE_DESKTOP: ClientSpec = {
  id: "claude-desktop",
  label: "Claude Desktop",
  format: "json",
  locators: [{ kind: "map", at: ["mcpServers"] }],
  userFiles: (ctx) => {
    const name = "claude_desktop_config.json";
    if (ctx.os === "darwin") {
      return [{ file: join(ctx.home, "Library", "Application Support", "Claude", name), scope: "user" }];
    }
    if (ctx.os === "windows") return [{ file: join(appData(ctx), "Claude", name), scope: "user" }];
    // No official Linux build: community builds use Claude/, Docker's gateway probes claude/.
    return [
      { file: join(xdgConfig(ctx), "Claude", name), scope: "user" },
      { file: join(xdgConfig(ctx), "claude", name), scope: "user" },
    ];
  },
  projectFiles: [],
  matches: ["claude_desktop_config.json"],
};
