import { stringify } from "yaml";
import type { LockFileV1 } from "./lock_file.ts";

const HEADER = `# mcp.lock: pinned identity of every MCP server and tool, written by \`agentperms lock\`.
# Review changes to this file like code. \`agentperms lock --check\` compares the live servers with it,
# \`agentperms lock --verify-config\` compares the client configs' launch commands without running them.
`;

/**
 * Renders a lock file as YAML: servers and tools sorted by name, descriptions as readable block
 * text (a changed sentence shows as a changed line in a pull request), nothing folded or wrapped.
 * @param lock the lock
 * @returns YAML text ending in a newline
 */
export function formatLockFile(lock: LockFileV1): string {
  const servers = Object.fromEntries(
    Object.keys(lock.servers).sort().map((k) => [k, lock.servers[k]]),
  );
  return HEADER + stringify({ v: 1, servers }, {
    lineWidth: 0,
    blockQuote: "literal",
    aliasDuplicateObjects: false,
    sortMapEntries: false,
  });
}
