import { basename, dirname, join } from "node:path";
import { AgentPermsError } from "../errors.ts";

/** Options for `writeFileAtomic`. */
export interface WriteAtomicOptions {
  /** The final rename; injectable so tests can make it fail. Default `Deno.rename`. */
  rename?: (from: string, to: string) => Promise<void>;
}

/**
 * Replaces a file's content atomically: writes a temp file in the same directory, fsyncs it, gives it the
 * original's mode, then renames it over the original (over a symlink's target, so the link stays). On any
 * failure the temp file is removed and the original is untouched.
 *
 * @param file the file to replace
 * @param text its new content
 * @param opts an injectable rename
 * @throws {AgentPermsError} io_failed when any step fails
 */
export async function writeFileAtomic(
  file: string,
  text: string,
  opts: WriteAtomicOptions = {},
): Promise<void> {
  const rename = opts.rename ?? Deno.rename;
  let mode: number | null = null;
  try {
    mode = (await Deno.stat(file)).mode;
    // A config that is a symlink (dotfile managers) is written through: replace the target, keep the link.
    file = await Deno.realPath(file);
  } catch {
    // A new file: private (0600).
  }
  const tmp = join(dirname(file), `.${basename(file)}.agentperms-${crypto.randomUUID().slice(0, 8)}.tmp`);
  try {
    const f = await Deno.open(tmp, {
      write: true,
      createNew: true,
      // A config AgentPerms creates is private; an existing one keeps the mode its client gave it.
      mode: mode === null ? 0o600 : mode & 0o777,
    });
    try {
      const data = new TextEncoder().encode(text);
      let off = 0;
      while (off < data.length) off += await f.write(data.subarray(off));
      await f.sync();
    } finally {
      f.close();
    }
    if (mode !== null && Deno.build.os !== "windows") await Deno.chmod(tmp, mode & 0o7777);
    await rename(tmp, file);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new AgentPermsError("io_failed", `Cannot write "${file}": ${(e as Error).message}`, {
      cause: e,
      hint: "The original file was left unchanged",
    });
  }
}
