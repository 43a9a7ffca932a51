import { basename, dirname, join } from "node:path";

/** Mode of every file AgentPerms writes: traces, policies, locks and reports can quote paths and secrets. */
export const PRIVATE_FILE_MODE = 0o600;
/** Mode of every folder AgentPerms creates. */
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Writes a file only its owner can read (0600, also when it replaces an existing file), creating missing
 * parent folders as 0700; folders that already exist keep their mode (they are the user's). The text goes to
 * a temp file in the same folder first and is renamed over the target, so an interrupted run never leaves a
 * half-written policy, lock or report.
 *
 * @param file the absolute path to write
 * @param text its content
 * @throws {Error} the underlying I/O error (callers wrap it with their own message); the temp file is removed
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  // `mode` applies to every folder `recursive` creates, and never to one that exists.
  await Deno.mkdir(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
  const tmp = join(dirname(file), `.${basename(file)}.${crypto.randomUUID().slice(0, 8)}.tmp`);
  try {
    await Deno.writeTextFile(tmp, text, { createNew: true, mode: PRIVATE_FILE_MODE });
    if (Deno.build.os !== "windows") await Deno.chmod(tmp, PRIVATE_FILE_MODE);
    await Deno.rename(tmp, file);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
