/**
 * Shared by the test set-ups that npm-install packages once into a cache folder (the compatibility servers,
 * the real clients): a JSON read that tolerates a missing file, and a lock so parallel tests install once.
 */
import { dirname } from "node:path";

/** A lock left behind by a killed run is taken as stale after this long. */
const LOCK_STALE_MS = 15 * 60_000;

/** Parses a JSON file; null when it does not exist. */
export async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** A lock folder (mkdir is atomic); one older than 15 minutes is taken as left by a killed run. */
export async function lockDir(path: string): Promise<AsyncDisposable> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const t0 = Date.now();
  while (true) {
    try {
      await Deno.mkdir(path);
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      const st = await Deno.stat(path).catch(() => null);
      if (st?.mtime && Date.now() - st.mtime.getTime() > LOCK_STALE_MS) {
        await Deno.remove(path).catch(() => {});
        continue;
      }
      if (Date.now() - t0 > LOCK_STALE_MS) {
        throw new Error(`Timed out waiting for the install lock "${path}"`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { [Symbol.asyncDispose]: () => Deno.remove(path).catch(() => {}) };
}
