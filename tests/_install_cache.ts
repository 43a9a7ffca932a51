/**
 * Shared by the test set-ups that npm-install packages once into a cache folder (the compatibility servers,
 * the real clients): a JSON read that tolerates a missing file, and a lock so parallel tests install once.
 */
import { dirname, join } from "node:path";

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

/**
 * `npm install --prefix dir <specs>` once: skipped when the stamp file lists the same specs and `present`
 * confirms them; concurrent callers serialize on a lock folder next to `dir`.
 * @param dir the cache folder
 * @param specs exact `pkg@version` specs
 * @param opts what it is (for the error), the stamp's name, the check, extra npm args and env
 * @returns whether npm ran
 */
export async function npmInstallOnce(
  dir: string,
  specs: string[],
  opts: {
    what: string;
    stamp: string;
    present: () => Promise<boolean>;
    npmArgs?: string[];
    env?: Record<string, string>;
  },
): Promise<boolean> {
  await Deno.mkdir(dir, { recursive: true });
  await using _lock = await lockDir(`${dir}.lock`);
  const stamp = await readJson(join(dir, opts.stamp));
  if (JSON.stringify(stamp) === JSON.stringify(specs) && await opts.present()) return false;
  const out = await new Deno.Command("npm", {
    args: [
      "install",
      "--no-audit",
      "--no-fund",
      ...(opts.npmArgs ?? []),
      "--loglevel=error",
      "--prefix",
      dir,
      ...specs,
    ],
    env: opts.env,
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr);
    throw new Error(`npm install of ${opts.what} failed (exit ${out.code}): ${err.slice(-4000)}`);
  }
  await Deno.writeTextFile(join(dir, opts.stamp), JSON.stringify(specs, null, 2) + "\n");
  return true;
}
