import { dirname, join } from "node:path";
import { ensurePrivateDir } from "./_private_dir.ts";
import { AgentPermsError } from "../errors.ts";

/**
 * Where the gateway's bearer token lives: `$XDG_STATE_HOME/agentperms/gateway.token`, else
 * `~/.local/state/agentperms/gateway.token`.
 * @param env reads an environment variable
 * @returns the absolute path
 * @throws {AgentPermsError} usage when neither XDG_STATE_HOME nor HOME is set
 */
export function gatewayTokenPath(env: (name: string) => string | undefined): string {
  const xdg = env("XDG_STATE_HOME");
  if (xdg && xdg.startsWith("/")) return join(xdg, "agentperms", "gateway.token");
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) {
    throw new AgentPermsError(
      "usage",
      "Cannot place the gateway token: neither XDG_STATE_HOME nor HOME is set",
      {
        hint: "Set HOME (or XDG_STATE_HOME) for the gateway",
      },
    );
  }
  return join(home, ".local", "state", "agentperms", "gateway.token");
}

/**
 * Reads the gateway token, creating it on first start: 256 random bits (base64url) in a file only the user
 * can read (0600, its folder 0700). A token file others can read is made private again (and `onNote` says
 * so); one that cannot be read or holds no token is an error, never a reason to run without one.
 * @param file the token file (see {@link gatewayTokenPath})
 * @param onNote told when the file was created or its mode fixed
 * @returns the token and whether it was created now
 * @throws {AgentPermsError} io_failed when the file cannot be read or written
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gatewayTokenPath, loadGatewayToken } from "./gateway_token.ts";
 *
 * const state = await Deno.makeTempDir();
 * const file = gatewayTokenPath((n) => n === "XDG_STATE_HOME" ? state : undefined);
 * const first = await loadGatewayToken(file);
 * assert.equal(first.created, true);
 * assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
 * assert.deepEqual(await loadGatewayToken(file), { token: first.token, created: false });
 * await Deno.remove(state, { recursive: true });
 * ```
 */
export async function loadGatewayToken(
  file: string,
  onNote: (message: string) => void = () => {},
): Promise<{ token: string; created: boolean }> {
  const dir = dirname(file);
  await ensurePrivateDir(dir, "the folder of the gateway token");
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const fresh = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(
    /=+$/,
    "",
  );
  try {
    // createNew: two gateways starting at once cannot both write (the second reads the first one's token).
    await Deno.writeTextFile(file, fresh + "\n", { createNew: true, mode: 0o600 });
    onNote(`created the gateway token in ${file} (0600)`);
    return { token: fresh, created: true };
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) {
      throw new AgentPermsError("io_failed", `Cannot write the gateway token "${file}"`, {
        cause: e,
        hint: "Check the permissions of its folder",
      });
    }
  }
  let text: string;
  try {
    if (Deno.build.os !== "windows") {
      const st = await Deno.lstat(file);
      if (!st.isFile) throw new Error("it is not a regular file");
      if (st.mode !== null && (st.mode & 0o077) !== 0) {
        await Deno.chmod(file, 0o600);
        onNote(
          `the gateway token ${file} was readable by others; made it 0600 (consider deleting it for a new one)`,
        );
      }
    }
    text = (await Deno.readTextFile(file)).trim();
  } catch (e) {
    throw new AgentPermsError(
      "io_failed",
      `Cannot read the gateway token "${file}": ${(e as Error).message}`,
      {
        cause: e,
        hint: "Delete the file to have a new token made at the next start",
      },
    );
  }
  if (!/^[A-Za-z0-9_.~+/=-]{32,}$/.test(text)) {
    throw new AgentPermsError("io_failed", `The gateway token "${file}" holds no usable token`, {
      hint: "Delete the file to have a new token made at the next start",
    });
  }
  return { token: text, created: false };
}
