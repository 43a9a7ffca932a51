import type { LockDiff, ServerDiff } from "./diff_lock.ts";
import type { ServerLaunch } from "./list_server.ts";
import type { LockFileV1 } from "./lock_file.ts";
import { lockLaunch } from "./lock_server.ts";

/**
 * The static check behind `lock --verify-config`: compares each configured server's launch command
 * (command, args, env names) with the lock, without starting anything. A server configured but not
 * locked is NEW, one locked but no longer configured is REMOVED, a different launch is CHANGED.
 * @param lock the lock
 * @param configured server name → its (unwrapped) launch entry
 * @returns a diff with launch changes only (no tool items)
 */
export function verifyLaunches(lock: LockFileV1, configured: Map<string, ServerLaunch>): LockDiff {
  const names = [...new Set([...Object.keys(lock.servers), ...configured.keys()])].sort();
  const servers: ServerDiff[] = [];
  for (const server of names) {
    const pinned = Object.hasOwn(lock.servers, server) ? lock.servers[server] : undefined;
    const entry = configured.get(server);
    if (!pinned) servers.push({ server, change: "new", identity: [], items: [] });
    else if (!entry) servers.push({ server, change: "removed", identity: [], items: [] });
    else {
      const live = lockLaunch(entry);
      if (live.sha256 === pinned.launch.sha256) continue;
      const fields = (["command", "args", "envNames"] as const).filter((f) =>
        JSON.stringify(pinned.launch[f]) !== JSON.stringify(live[f])
      );
      servers.push({
        server,
        change: "changed",
        launch: { fields, before: pinned.launch, after: live },
        identity: [],
        items: [],
      });
    }
  }
  return { clean: servers.length === 0, servers };
}
