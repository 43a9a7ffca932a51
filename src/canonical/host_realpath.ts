import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * The I/O edge of canonicalization: a realpath that returns undefined for missing paths.
 * Kept apart so the rest of `canonical/` stays pure.
 *
 * Probing uses `existsSync` (no exception on a miss, ~30x cheaper than a failed realpath). A dangling symlink
 * (its target does not exist yet, so a write would create it) is resolved to its target, so a new file
 * written through a link is judged where it would land.
 *
 * @param abs an absolute path
 * @returns the resolved path, or undefined when it does not exist or cannot be read
 */
export function hostRealpath(abs: string): string | undefined {
  try {
    if (existsSync(abs)) return Deno.realPathSync(abs);
    // Only at the boundary (parent exists) can `abs` be a dangling symlink worth an lstat.
    if (!existsSync(dirname(abs))) return undefined;
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st?.isSymbolicLink()) return undefined;
    return resolve(Deno.realPathSync(dirname(abs)), readlinkSync(abs));
  } catch {
    return undefined;
  }
}
