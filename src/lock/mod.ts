/**
 * Lock: pinned MCP server identity and tool signatures, drift detection for `lock --check`
 * and for the proxy at runtime.
 *
 * Runtime use (proxy): read the lock once, then check every `tools/list` page:
 * ```ts ignore
 * const lock = await readLockFile("mcp.lock"); // throws lock_invalid: fail closed
 * const { drift } = checkToolsAgainstLock(lock, "filesystem", page.tools);
 * // enforce: drop tools in `drift` from the page and deny calls to them, naming drift.get(name)
 * ```
 * @module
 */
export { listServer, type ListServerOptions, type ServerLaunch, type ServerListing } from "./list_server.ts";
export {
  type LaunchV1,
  LaunchV1Schema,
  type LockedItemV1,
  LockedItemV1Schema,
  type LockedServerV1,
  LockedServerV1Schema,
  type LockedToolV1,
  LockedToolV1Schema,
  type LockFileV1,
  LockFileV1Schema,
} from "./lock_file.ts";
export { lockLaunch, lockServer, lockTool, TOOL_FIELDS } from "./lock_server.ts";
export { parseLockFile, readLockFile } from "./read_lock_file.ts";
export { formatLockFile } from "./format_lock_file.ts";
export { changedFields, checkToolsAgainstLock, type ToolDriftResult } from "./check_tools_against_lock.ts";
export {
  diffLock,
  type IdentityChange,
  type ItemDiff,
  type LockDiff,
  type ServerDiff,
  wordDiff,
  type WordDiffPart,
} from "./diff_lock.ts";
export { formatLockDiff } from "./format_lock_diff.ts";
export { verifyLaunches } from "./verify_launches.ts";
