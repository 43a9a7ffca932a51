import { join } from "node:path/posix";
import { xdgConfig } from "./_paths.ts";
import type { ClientSpec } from "./types.ts";

/**
 * OpenCode: `mcp` in `~/.config/opencode/opencode.json` and project `opencode.json`. Local entries hold the
 * whole command line in a `command` array, so they are read but not wired.
 */
export const OPENCODE: ClientSpec = {
  id: "opencode",
  label: "OpenCode",
  format: "jsonc",
  locators: [{ kind: "map", at: ["mcp"] }],
  userFiles: (ctx) => [{ file: join(xdgConfig(ctx), "opencode", "opencode.json"), scope: "user" }],
  projectFiles: ["opencode.json"],
  matches: ["opencode.json", "opencode/opencode.json"],
};
