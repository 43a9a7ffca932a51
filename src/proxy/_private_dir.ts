import { AgentPermsError } from "../errors.ts";

/**
 * Creates a folder only its owner may enter (0700), and tightens one that already exists with wider modes.
 * @param dir the folder
 * @param what what the folder holds, for the error ("the OAuth login folder")
 * @throws {AgentPermsError} io_failed when it cannot be created or tightened
 */
export async function ensurePrivateDir(dir: string, what: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    if (Deno.build.os !== "windows") {
      const st = await Deno.stat(dir);
      if (st.mode !== null && (st.mode & 0o077) !== 0) await Deno.chmod(dir, 0o700);
    }
  } catch (e) {
    throw new AgentPermsError("io_failed", `Cannot create ${what} "${dir}"`, {
      cause: e,
      hint: "Check the permissions of that folder, or set XDG_STATE_HOME to a folder you own",
    });
  }
}
