import { join } from "node:path/posix";
import type { ClientSpec } from "./types.ts";

/** Continue: a YAML list `mcpServers` (items carry `name`) in `~/.continue/config.yaml` and `.continue/mcpServers/*.yaml`. */
export const CONTINUE: ClientSpec = {
  id: "continue",
  label: "Continue",
  format: "yaml",
  locators: [{ kind: "list", at: ["mcpServers"] }],
  userFiles: (ctx) => [{ file: join(ctx.home, ".continue", "config.yaml"), scope: "user" }],
  projectFiles: [".continue/config.yaml", ".continue/mcpServers/*.yaml", ".continue/mcpServers/*.json"],
  matches: [".continue/config.yaml", ".continue/mcpServers/"],
};
