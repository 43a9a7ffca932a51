import { type HostRealpath, hostRealpath } from "../../canonical/mod.ts";

/** Distinct paths a run remembers before it starts over (about 200 bytes each: some 40 MB at most). */
const MAX_ENTRIES = 200_000;

/**
 * A realpath for one `check` run: the host's realpath ({@link hostRealpath}: missing paths give undefined,
 * dangling link chains their final target), remembered for the whole run. A path is looked up once per run,
 * not once per call: a missing path costs several failed look-ups (one of them builds an exception object
 * inside the runtime), and canonicalization probes every ancestor of a missing path until one exists, so a
 * batch of calls naming the same few folders spent most of its time there.
 *
 * The live proxy does not do this (a symlink created after a first call must still be seen); `check` judges
 * a file of calls as of one moment, so one look-up per path is the same answer.
 *
 * @param base the realpath to remember (default: the host's)
 * @param maxEntries distinct paths kept before the memory is cleared and filled again
 * @returns a realpath with the same answers, carrying a remembered `userHome`
 */
export function checkRealpath(base: HostRealpath = hostRealpath, maxEntries = MAX_ENTRIES): HostRealpath {
  const real = new Map<string, string | undefined>();
  const homes = new Map<string, string | undefined>();
  const remember = <T>(map: Map<string, T>, key: string, f: (k: string) => T): T => {
    const hit = map.get(key);
    if (hit !== undefined || map.has(key)) return hit as T;
    const v = f(key);
    if (map.size >= maxEntries) map.clear();
    map.set(key, v);
    return v;
  };
  return Object.assign((abs: string) => remember(real, abs, base), {
    userHome: (name: string) => remember(homes, name, base.userHome),
  });
}
