import type { ClientSpec } from "./types.ts";

/** Any other file given with `--path`: every known server key is tried. */
export const GENERIC: ClientSpec = {
  id: "generic",
  label: "Other (--path)",
  format: "json",
  locators: [
    { kind: "map", at: ["mcpServers"] },
    { kind: "map", at: ["servers"] },
    { kind: "map", at: ["mcp", "servers"] },
    { kind: "map", at: ["context_servers"] },
    { kind: "map", at: ["mcp_servers"] },
    { kind: "map", at: ["extensions"] },
    { kind: "projects", at: ["projects"], key: "mcpServers" },
  ],
  userFiles: () => [],
  projectFiles: ["mcp.json", "mcp_config.json"],
  matches: ["mcp.json", "mcp_config.json"],
};
