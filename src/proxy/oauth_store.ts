import { createHash } from "node:crypto";
import { ensurePrivateDir } from "./_private_dir.ts";
import { join } from "node:path";
import { z } from "zod";
import { AgentPermsError } from "../errors.ts";

/**
 * One stored OAuth login for one remote MCP server, as `agentperms login` writes it: the tokens, the client
 * registration and the discovery results exactly as the MCP SDK handed them over (their own snake_case keys,
 * `issuer` kept: the SDK uses it to never present a token or a registration to another authorization server).
 */
export interface OAuthLoginV1 {
  v: 1;
  /** The server's name when the login was made (`--server`): shown by `login --status`, used by `--logout`. */
  server: string;
  /** The server URL the tokens are for, as {@link oauthServerKey} writes it (no user info, query or fragment). */
  serverUrl: string;
  /** The loopback redirect URL used at login (the registration names it). */
  redirectUrl: string;
  /** When the login was made (ISO 8601). */
  createdAt: string;
  /** When the tokens were last saved (ISO 8601): at login or after a refresh. */
  tokensSavedAt: string;
  /** The SDK's `OAuthClientInformationMixed`: client_id, maybe a secret, `issuer`. */
  clientInformation: Record<string, unknown> & { client_id: string };
  /** The SDK's `OAuthTokens` plus `issuer`. */
  tokens: Record<string, unknown> & { access_token: string; token_type: string; refresh_token?: string };
  /** The SDK's `OAuthDiscoveryState`, so a refresh needs no discovery requests. */
  discoveryState?: Record<string, unknown> & { authorizationServerUrl: string };
}

/** What `login --status` shows of a login: never a token or a secret. */
export interface OAuthLoginSummary {
  /** The file it is stored in. */
  file: string;
  server: string;
  serverUrl: string;
  /** The authorization server (its issuer), when known. */
  issuer?: string;
  createdAt: string;
  tokensSavedAt: string;
  /** When the access token expires by what the server said (ISO 8601), if it said. */
  expiresAt?: string;
  /** Whether a refresh token is stored (the bridge can renew the access token without you). */
  refreshable: boolean;
  scope?: string;
}

const LOGIN_SCHEMA = z.object({
  v: z.literal(1),
  server: z.string(),
  serverUrl: z.string(),
  redirectUrl: z.string(),
  createdAt: z.string(),
  tokensSavedAt: z.string(),
  clientInformation: z.looseObject({ client_id: z.string().min(1) }),
  tokens: z.looseObject({
    access_token: z.string().min(1),
    token_type: z.string(),
    refresh_token: z.string().min(1).optional(),
    expires_in: z.number().optional(),
    scope: z.string().optional(),
  }),
  discoveryState: z.looseObject({ authorizationServerUrl: z.string() }).optional(),
});

/**
 * Where logins are stored: `$XDG_STATE_HOME/agentperms/oauth`, else `~/.local/state/agentperms/oauth`.
 * @param env reads an environment variable
 * @returns the absolute folder
 * @throws {AgentPermsError} usage when neither XDG_STATE_HOME nor HOME is set
 */
export function oauthStoreDir(env: (name: string) => string | undefined): string {
  const xdg = env("XDG_STATE_HOME");
  if (xdg && xdg.startsWith("/")) return join(xdg, "agentperms", "oauth");
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) {
    throw new AgentPermsError("usage", "Cannot place OAuth logins: neither XDG_STATE_HOME nor HOME is set", {
      hint: "Set HOME (or XDG_STATE_HOME)",
    });
  }
  return join(home, ".local", "state", "agentperms", "oauth");
}

/**
 * The server URL a login is keyed by: scheme, host, port and path. User info, query and fragment are left out
 * (they may hold secrets, and the bridge names the remote the same way).
 * @param url the remote MCP endpoint
 * @returns `https://host/path`
 */
export function oauthServerKey(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * The file of the login for a server URL: the first 32 hex digits of the SHA-256 of {@link oauthServerKey}.
 * @param dir the store folder ({@link oauthStoreDir})
 * @param url the remote MCP endpoint
 * @returns the absolute file path
 */
export function oauthLoginFile(dir: string, url: URL): string {
  const hash = createHash("sha256").update(oauthServerKey(url)).digest("hex").slice(0, 32);
  return join(dir, `${hash}.json`);
}

/**
 * Reads the stored login for a server URL. A file that is not a login for exactly this URL is not used (fail
 * closed: a token is only ever sent where it was obtained for); one others can read is made 0600 again.
 * @param dir the store folder
 * @param url the remote MCP endpoint
 * @param onNote told about a file whose mode was fixed or that could not be used (never its content)
 * @returns the login, or undefined when there is none (or none usable)
 */
export async function readOAuthLogin(
  dir: string,
  url: URL,
  onNote: (message: string) => void = () => {},
): Promise<OAuthLoginV1 | undefined> {
  const file = oauthLoginFile(dir, url);
  const login = await readLoginFile(file, onNote);
  if (login && login.serverUrl !== oauthServerKey(url)) {
    onNote(`the OAuth login in ${file} is for another URL; not used`);
    return undefined;
  }
  return login;
}

async function readLoginFile(
  file: string,
  onNote: (message: string) => void,
): Promise<OAuthLoginV1 | undefined> {
  let text: string;
  try {
    if (Deno.build.os !== "windows") {
      const st = await Deno.lstat(file);
      if (!st.isFile) {
        onNote(`the OAuth login ${file} is not a regular file; not used`);
        return undefined;
      }
      if (st.mode !== null && (st.mode & 0o077) !== 0) {
        await Deno.chmod(file, 0o600);
        onNote(`the OAuth login ${file} was readable by others; made it 0600`);
      }
    }
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    onNote(`cannot read the OAuth login ${file}: ${(e as Error).name}`);
    return undefined;
  }
  let parsed;
  try {
    parsed = LOGIN_SCHEMA.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) {
    // Never quote the file: it holds tokens.
    onNote(`the OAuth login ${file} is not a valid login; not used (run agentperms login again)`);
    return undefined;
  }
  return parsed.data as OAuthLoginV1;
}

/**
 * Writes a login atomically (a 0600 temp file in the same folder, then rename), the folder made 0700.
 * @param dir the store folder
 * @param login the login to store
 * @returns the file written
 * @throws {AgentPermsError} io_failed when the folder or the file cannot be written
 */
export async function writeOAuthLogin(dir: string, login: OAuthLoginV1): Promise<string> {
  const file = oauthLoginFile(dir, new URL(login.serverUrl));
  await ensurePrivateDir(dir, "the OAuth login folder");
  const tmp = `${file}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(tmp, JSON.stringify(login, null, 2) + "\n", { createNew: true, mode: 0o600 });
    await Deno.rename(tmp, file);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new AgentPermsError("io_failed", `Cannot write the OAuth login "${file}"`, {
      cause: e,
      hint: "Check the permissions of its folder",
    });
  }
  return file;
}

/**
 * Every stored login, summarized (never a token or a secret), sorted by server name then URL.
 * @param dir the store folder
 * @param onNote told about files that cannot be used
 * @returns the summaries
 */
export async function listOAuthLogins(
  dir: string,
  onNote: (message: string) => void = () => {},
): Promise<OAuthLoginSummary[]> {
  const out: OAuthLoginSummary[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !/^[0-9a-f]{32}\.json$/.test(e.name)) continue;
      const file = join(dir, e.name);
      const login = await readLoginFile(file, onNote);
      if (login) out.push(summarizeOAuthLogin(login, file));
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => a.server.localeCompare(b.server) || a.serverUrl.localeCompare(b.serverUrl));
}

/**
 * A login as `login --status` shows it: no token, no secret.
 * @param login the stored login
 * @param file where it is stored
 * @returns the summary
 */
export function summarizeOAuthLogin(login: OAuthLoginV1, file: string): OAuthLoginSummary {
  const expiresIn = typeof login.tokens.expires_in === "number" ? login.tokens.expires_in : undefined;
  const saved = Date.parse(login.tokensSavedAt);
  const issuer = typeof login.tokens.issuer === "string"
    ? login.tokens.issuer
    : login.discoveryState?.authorizationServerUrl;
  return {
    file,
    server: login.server,
    serverUrl: login.serverUrl,
    ...(issuer ? { issuer } : {}),
    createdAt: login.createdAt,
    tokensSavedAt: login.tokensSavedAt,
    ...(expiresIn !== undefined && Number.isFinite(saved)
      ? { expiresAt: new Date(saved + expiresIn * 1000).toISOString() }
      : {}),
    refreshable: typeof login.tokens.refresh_token === "string",
    ...(typeof login.tokens.scope === "string" ? { scope: login.tokens.scope } : {}),
  };
}

/**
 * Removes stored logins: the one for `url`, or every login made under the server name `server`.
 * @param dir the store folder
 * @param which a server URL, or a server name
 * @returns the summaries of what was removed
 */
export async function removeOAuthLogins(
  dir: string,
  which: { url: URL } | { server: string },
): Promise<OAuthLoginSummary[]> {
  const all = await listOAuthLogins(dir);
  const gone = "url" in which
    ? all.filter((l) => l.serverUrl === oauthServerKey(which.url))
    : all.filter((l) => l.server === which.server);
  for (const l of gone) await Deno.remove(l.file);
  if ("url" in which && gone.length === 0) {
    // A login file that is not valid any more (it was not listed) still goes.
    const file = oauthLoginFile(dir, which.url);
    try {
      await Deno.remove(file);
      const at = "";
      gone.push({
        file,
        server: "?",
        serverUrl: oauthServerKey(which.url),
        createdAt: at,
        tokensSavedAt: at,
        refreshable: false,
      });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return gone;
}
