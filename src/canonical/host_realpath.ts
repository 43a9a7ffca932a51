import { existsSync, lstatSync, readFileSync, readlinkSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";

/** Most symlinks the kernel follows for one path before it gives up with ELOOP (Linux: 40). */
const MAX_LINK_HOPS = 40;

/**
 * The I/O edge of canonicalization: a realpath that returns undefined for missing paths.
 * Kept apart so the rest of `canonical/` stays pure.
 *
 * Probing uses `existsSync` (no exception on a miss, ~30x cheaper than a failed realpath). A dangling symlink
 * (its target does not exist yet, so a write would create it) is resolved to its target, through a chain of
 * dangling links of any length (up to the kernel's 40 hops), so a new file written through a link is judged
 * where it would land.
 *
 * @param exists whether a path exists (following links)
 * @param real the realpath of a path that exists
 * @returns a function from an absolute path to its resolved path, or undefined when it does not exist or
 *   cannot be read
 */
function realpathWith(
  exists: (p: string) => boolean,
  real: (p: string) => string,
): (abs: string) => string | undefined {
  return (abs) => {
    try {
      if (exists(abs)) return real(abs);
      let cur = abs;
      for (let hop = 0; hop < MAX_LINK_HOPS; hop++) {
        // Only at the boundary (parent exists) can `cur` be a dangling symlink worth an lstat.
        const dir = dirname(cur);
        if (!exists(dir)) return hop === 0 ? undefined : cur;
        const realDir = real(dir);
        const st = lstatSync(cur, { throwIfNoEntry: false });
        if (!st?.isSymbolicLink()) return hop === 0 ? undefined : resolve(realDir, basename(cur));
        cur = resolve(realDir, readlinkSync(cur));
        if (exists(cur)) return real(cur);
      }
      return cur;
    } catch {
      return undefined;
    }
  };
}

const realpathOrUndefined = realpathWith(existsSync, (p) => Deno.realPathSync(p));

/**
 * The same realpath for the look-ups of one call: each existence test and realpath is asked of the host once
 * per call (the walk up from a missing path asks about each ancestor twice, and about the first existing one
 * three times). Nothing is kept past the call: a symlink made between calls is still seen.
 * @returns a realpath for one call
 */
function forOneCall(): (abs: string) => string | undefined {
  const seen = new Map<string, boolean>();
  const reals = new Map<string, string>();
  return realpathWith(
    (p) => {
      let v = seen.get(p);
      if (v === undefined) seen.set(p, v = existsSync(p));
      return v;
    },
    (p) => {
      let v = reals.get(p);
      if (v === undefined) reals.set(p, v = Deno.realPathSync(p));
      return v;
    },
  );
}

/**
 * The home directory of a user from the password database (/etc/passwd), as shells and Python's
 * `expanduser` read `~name`.
 * @param name a user name
 * @returns the home directory, or undefined when the user is unknown or the file cannot be read
 */
export function hostUserHome(name: string): string | undefined {
  let text: string;
  try {
    text = readFileSync("/etc/passwd", "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f[0] === name && f.length >= 7 && f[5]) return f[5];
  }
  return undefined;
}

/** A realpath function that also carries the password-database look-up (see `ResolveOptions.userHome`). */
export type HostRealpath = ((abs: string) => string | undefined) & {
  /** The home directory of a named user, or undefined. */
  userHome: (name: string) => string | undefined;
  /** A realpath with the same answers whose host look-ups are shared within one call (canonicalizeCall). */
  forCall?: () => (abs: string) => string | undefined;
};

/**
 * The host's realpath (see `realpathOrUndefined` above: missing paths give undefined, dangling link chains
 * their final target), carrying `userHome` ({@link hostUserHome}) so every caller that passes it as
 * `realpath` also reads `~name` through the password database.
 */
export const hostRealpath: HostRealpath = Object.assign(realpathOrUndefined, {
  userHome: hostUserHome,
  forCall: forOneCall,
});
