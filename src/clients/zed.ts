import { join } from "node:path/posix";
import { appData, xdgConfig } from "./_paths.ts";
import type { ClientSpec } from "./types.ts";

/** Zed: `context_servers` in `settings.json` (JSONC), user and project `.zed/settings.json`. */
export const ZED: ClientSpec = {
  id: "zed",
  label: "Zed",
  format: "jsonc",
  locators: [{ kind: "map", at: ["context_servers"] }],
  userFiles: (ctx) =>
    ctx.os === "windows"
      ? [
        { file: join(appData(ctx), "Zed", "settings.json"), scope: "user" },
        { file: join(ctx.home, ".config", "zed", "settings.json"), scope: "user" },
      ]
      : [{ file: join(xdgConfig(ctx), "zed", "settings.json"), scope: "user" }],
  projectFiles: [".zed/settings.json"],
  matches: [".zed/settings.json", "zed/settings.json"],
};
