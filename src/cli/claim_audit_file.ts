import { basename, dirname, join } from "node:path";
import { PRIVATE_FILE_MODE } from "./write_private_file.ts";

const AUDIT_SUFFIX = ".permissions.jsonl";

/** A Deno audit log this proxy owns: close it once the server has exited and the log was read. */
export interface ClaimedAuditFile {
  /** Unlocks and removes the log. */
  release(): void;
}

/**
 * Creates the Deno permission audit log (`<server>.<session>.permissions.jsonl`, record mode under
 * `sandbox.mode: deno`) before the server starts, so it is 0600 (Deno would create it 0644), and holds an
 * exclusive `flock` on it for the session. First it removes the empty audit logs of proxies that are gone
 * (killed with SIGKILL, their cleanup never ran): an empty log carries nothing, and no proxy holds its lock.
 * Non-empty leftovers stay: `infer` reads them.
 *
 * @param file the audit log's path (`LaunchPlan.auditFile`)
 * @returns the claim, or undefined when the file could not be created (Deno then reports it at start)
 */
export function claimAuditFile(file: string): ClaimedAuditFile | undefined {
  removeStaleEmptyLogs(dirname(file));
  // Created and locked under a temp name, then renamed: a sweeping proxy never sees it unlocked.
  const tmp = join(dirname(file), `.${basename(file)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(tmp, { write: true, createNew: true, mode: PRIVATE_FILE_MODE });
  } catch {
    return undefined;
  }
  try {
    if (Deno.build.os !== "windows") Deno.chmodSync(tmp, PRIVATE_FILE_MODE);
    f.lockSync(true);
    Deno.renameSync(tmp, file);
  } catch {
    f.close();
    try {
      Deno.removeSync(tmp);
    } catch {
      // gone already
    }
    return undefined;
  }
  return {
    release() {
      try {
        Deno.removeSync(file);
      } catch {
        // gone already
      }
      f.close(); // drops the lock
    },
  };
}

function removeStaleEmptyLogs(dir: string): void {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isFile || !e.name.endsWith(AUDIT_SUFFIX)) continue;
    const path = join(dir, e.name);
    let f: Deno.FsFile | undefined;
    try {
      f = Deno.openSync(path, { read: true });
      // Locked: its proxy is alive. Not empty: infer reads it.
      if (f.tryLockSync(true) && f.statSync().size === 0) Deno.removeSync(path);
    } catch {
      // raced with its owner's cleanup, or unreadable: leave it
    } finally {
      f?.close();
    }
  }
}
