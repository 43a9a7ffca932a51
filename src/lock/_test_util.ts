// Shared values for the lock unit tests (private to the folder).
// @ts-types="@modelcontextprotocol/sdk/types"
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { LockFileV1 } from "./lock_file.ts";
import { lockServer } from "./lock_server.ts";
import type { ServerLaunch } from "./list_server.ts";

/** A benign tool. */
export const READ: Tool = {
  name: "read_notes",
  description: "Read the user's notes for today.",
  inputSchema: { type: "object", properties: { date: { type: "string" } } },
  annotations: { readOnlyHint: true },
};

/** A second tool. */
export const WRITE: Tool = {
  name: "write_notes",
  title: "Write notes",
  description: "Append a line to today's notes.",
  inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
};

/** The launch entry used by the unit tests. */
export const ENTRY: ServerLaunch = { command: "deno", args: ["run", "server.ts"], env: { TOKEN: "x" } };

/**
 * A one-server lock built from tools.
 * @param tools the tools
 * @returns the lock
 */
export function lockOf(tools: Tool[], entry = ENTRY): LockFileV1 {
  return {
    v: 1,
    servers: {
      notes: lockServer(entry, {
        serverInfo: { name: "notes", version: "1.0.0" },
        instructions: "Be nice.",
        tools,
        prompts: [{ name: "summarize", description: "Summarize." }],
      }),
    },
  };
}
