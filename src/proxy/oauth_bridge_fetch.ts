// @ts-types="@modelcontextprotocol/sdk/client/auth"
import type { OAuthClientProvider, OAuthDiscoveryState } from "@modelcontextprotocol/sdk/client/auth.js";
// @ts-types="@modelcontextprotocol/sdk/shared/auth"
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import type { HttpReply, HttpSend } from "./_http_send.ts";
import { oauthErrorText } from "./oauth_error_text.ts";
import {
  type OAuthLoginV1,
  oauthServerKey,
  oauthStoreDir,
  readOAuthLogin,
  writeOAuthLogin,
} from "./oauth_store.ts";

/** Options for {@link oauthBridgeFetch}. */
export interface OAuthBridgeFetchOptions {
  /** The server's name (the fix names it: `agentperms login --server NAME`). */
  server: string;
  /** The bridge's remote URL. */
  url: URL;
  /** The headers the bridge sends: with an Authorization header of their own, no stored login is used. */
  headers?: Record<string, string>;
  /**
   * The store folder (`oauthStoreDir`). Without it, the folder is placed from `env`; when neither places one
   * (no HOME), no login is used.
   */
  storeDir?: string;
  /** Reads an environment variable (XDG_STATE_HOME, HOME), when `storeDir` is not given. */
  env?: (name: string) => string | undefined;
  /** Diagnostics (stderr): never a token. */
  diag: (message: string) => void;
  /** The fetch underneath (default the global one). */
  fetch?: typeof fetch;
  /** Wall clock (when a token expires; the time a refreshed token was saved). */
  now?: () => Date;
}

/** What {@link oauthBridgeFetch} gives the bridge. */
export interface OAuthBridgeFetch {
  /** The fetch the bridge uses for every request to the remote. */
  fetch: typeof fetch;
  /** Whether a stored login was found (its token is sent); false: only a 401 is turned into the fix. */
  loggedIn: boolean;
}

/**
 * Thrown by the bridge's fetch when the remote wants a sign-in that the bridge cannot give: no stored login,
 * or one whose access token was refused and could not be refreshed. The message says what to run.
 */
export class OAuthLoginNeededError extends Error {
  /**
   * @param why what happened, without the fix
   * @param fix what to run (`agentperms login --server NAME --url URL`)
   */
  constructor(readonly why: string, readonly fix: string) {
    super(`${why}; ${fix}`);
    this.name = "OAuthLoginNeededError";
  }
}

/**
 * The stdio bridge's side of OAuth: a fetch that sends the stored login's access token (`Authorization:
 * Bearer`), only to the origin of the URL the login was made for, and on a 401 refreshes it once with the
 * refresh token through the MCP SDK's `auth()` (the new tokens are stored), then retries the request once.
 * When that is not possible it throws {@link OAuthLoginNeededError} with the fix, so the request fails closed
 * with a JSON-RPC error. It never starts a browser flow: the client owns stdio and there may be no user.
 * Returns undefined when the bridge's own headers carry an Authorization header (they win).
 * @param opts the remote, the store, diagnostics
 * @returns the fetch and whether a login was found, or undefined
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oauthBridgeFetch } from "./oauth_bridge_fetch.ts";
 *
 * const storeDir = await Deno.makeTempDir();
 * const url = new URL("https://mcp.example.com/mcp");
 * assert.equal(await oauthBridgeFetch({ server: "x", url, storeDir, diag: () => {}, headers: { Authorization: "Bearer t" } }), undefined);
 * const seen: (string | null)[] = [];
 * const base = (_: string | URL | Request, init?: RequestInit) => {
 *   seen.push(new Headers(init?.headers).get("authorization"));
 *   return Promise.resolve(new Response("{}", { status: 401, headers: { "www-authenticate": "Bearer" } }));
 * };
 * const got = await oauthBridgeFetch({ server: "x", url, storeDir, diag: () => {}, fetch: base as typeof fetch });
 * assert.equal(got?.loggedIn, false);
 * await assert.rejects(got!.fetch(url, { method: "POST" }), /agentperms login --server x/);
 * assert.deepEqual(seen, [null]);
 * await Deno.remove(storeDir, { recursive: true });
 * ```
 */
export async function oauthBridgeFetch(opts: OAuthBridgeFetchOptions): Promise<OAuthBridgeFetch | undefined> {
  if (Object.keys(opts.headers ?? {}).some((k) => k.toLowerCase() === "authorization")) return undefined;
  const base = opts.fetch ?? fetch;
  const origin = opts.url.origin;
  const where = oauthServerKey(opts.url);
  const note = (m: string) => opts.diag(`[agentperms] ${m}`);
  let storeDir = opts.storeDir;
  if (storeDir === undefined && opts.env) {
    try {
      storeDir = oauthStoreDir(opts.env);
    } catch {
      storeDir = undefined; // no HOME: nothing stored to use, and a 401 still gets the fix
    }
  }
  let login = storeDir === undefined ? undefined : await readOAuthLogin(storeDir, opts.url, note);
  const fix =
    `run \`agentperms login --server ${opts.server} --url ${where}\` in a terminal, then restart the client's connection`;
  const needed = (why: string) => new OAuthLoginNeededError(why, fix);
  /** Set once a refresh failed: later 401s fail at once, without hammering the token endpoint. */
  let dead = false;
  let renewing: Promise<boolean> | undefined;

  const secrets = () => [
    login?.tokens.access_token,
    login?.tokens.refresh_token,
    (login?.clientInformation as { client_secret?: string } | undefined)?.client_secret,
  ];

  /** Refreshes the access token once (single flight: concurrent 401s share it). */
  const renew = (failed: string | undefined): Promise<boolean> => {
    if (login && login.tokens.access_token !== failed) return Promise.resolve(true); // renewed meanwhile
    if (dead) return Promise.resolve(false);
    renewing ??= refresh().finally(() => renewing = undefined);
    return renewing;
  };

  const refresh = async (): Promise<boolean> => {
    // Another bridge for the same server may have refreshed already (a rotated refresh token would make
    // ours fail): take the stored tokens when they are newer.
    if (storeDir === undefined) return false;
    const stored = await readOAuthLogin(storeDir, opts.url, note);
    if (!stored) {
      // Logged out (agentperms login --logout) while the bridge ran: a refresh must not bring the login back.
      dead = true;
      return false;
    }
    if (login && stored.tokens.access_token !== login.tokens.access_token) {
      login = stored;
      return true;
    }
    if (!login?.tokens.refresh_token) {
      dead = true;
      return false;
    }
    const current = login;
    const provider = bridgeProvider(current, async (tokens) => {
      const next: OAuthLoginV1 = {
        ...current,
        tokens: tokens as unknown as OAuthLoginV1["tokens"],
        tokensSavedAt: (opts.now?.() ?? new Date()).toISOString(),
      };
      login = next;
      try {
        await writeOAuthLogin(storeDir, next);
      } catch (e) {
        note(
          `the refreshed OAuth tokens for "${opts.server}" are used but could not be stored: ${
            (e as Error).message
          }`,
        );
      }
    });
    try {
      // Loaded only when a token needs refreshing: the SDK costs every bridge start about 100 ms otherwise.
      const { auth } = await import("@modelcontextprotocol/sdk/client/auth.js");
      const r = await auth(provider, { serverUrl: new URL(where), fetchFn: base });
      if (r === "AUTHORIZED" && login !== current) {
        note(`refreshed the OAuth access token for "${opts.server}"`);
        return true;
      }
    } catch (e) {
      if (!(e instanceof OAuthLoginNeededError)) {
        note(`could not refresh the OAuth token for "${opts.server}": ${oauthErrorText(e, secrets())}`);
      }
    }
    dead = true;
    return false;
  };

  /** The access token a refresh ahead of its expiry was tried for (once per token, whatever the outcome). */
  let aheadTried: string | undefined;
  /**
   * Whether the access token expires within {@link REFRESH_AHEAD_MS} by what the server said when it issued
   * it (`expires_in` from `tokensSavedAt`), and can be refreshed.
   */
  const expiresSoon = (): boolean => {
    const t = login?.tokens;
    if (!t?.refresh_token || typeof t.expires_in !== "number" || aheadTried === t.access_token) return false;
    const saved = Date.parse(login!.tokensSavedAt);
    if (!Number.isFinite(saved)) return false;
    return saved + t.expires_in * 1000 - (opts.now?.() ?? new Date()).getTime() < REFRESH_AHEAD_MS;
  };

  /**
   * One request with the stored login: `send(token)` sends it with that token (none without a login). A token
   * about to expire is refreshed first (a request is not spent on a 401; when the refresh fails, the old token
   * still goes). A 401 refreshes the token once and sends it again, else throws the fix.
   */
  const authorized = async <R>(
    send: (token: string | undefined) => Promise<R>,
    status: (r: R) => number,
    drop: (r: R) => Promise<unknown>,
  ): Promise<R> => {
    if (!dead && expiresSoon()) {
      aheadTried = login!.tokens.access_token;
      await renew(aheadTried);
    }
    const used = login?.tokens.access_token;
    const res = await send(used);
    if (status(res) !== 401) return res;
    await drop(res);
    if (!login) {
      throw needed(`${where} asks for an OAuth sign-in (HTTP 401) and there is no stored login for it`);
    }
    if (!(await renew(used))) {
      throw needed(`the OAuth login for "${opts.server}" was refused (HTTP 401) and could not be refreshed`);
    }
    const again = await send(login.tokens.access_token);
    if (status(again) === 401) {
      await drop(again);
      dead = true;
      throw needed(`the OAuth login for "${opts.server}" was refused (HTTP 401) even after a refresh`);
    }
    return again;
  };

  const wrapped = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const target = requestUrl(input);
    // The token goes only to the origin it was obtained for: a request elsewhere goes out as it came.
    if (target?.origin !== origin) return base(input, init);
    return authorized(
      (token) => {
        if (token === undefined) return base(input, init);
        const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
        headers.set("authorization", `Bearer ${token}`);
        // A redirect is never followed with the token on it.
        return base(input, { ...init, headers, redirect: "manual" });
      },
      (r) => r.status,
      (r) => r.body?.cancel().catch(() => {}) ?? Promise.resolve(),
    );
  };

  // The same over the bridge's own HTTP client (which never follows a redirect).
  const wrapSend = (inner: HttpSend): HttpSend =>
    Object.assign(
      (url: URL, init: Parameters<HttpSend>[1]): Promise<HttpReply> =>
        url.origin !== origin ? inner(url, init) : authorized(
          (token) =>
            inner(
              url,
              token === undefined
                ? init
                : { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } },
            ),
          (r) => r.status,
          (r) => r.discard(),
        ),
      { abortAll: () => inner.abortAll(), close: () => inner.close(), kind: inner.kind },
    );
  SEND_WRAPPERS.set(wrapped as typeof fetch, wrapSend);
  return { fetch: wrapped as typeof fetch, loggedIn: login !== undefined };
}

/** How long before its expiry an access token is refreshed (clock skew, and the request's own time). */
const REFRESH_AHEAD_MS = 60_000;

/** The fetches {@link oauthBridgeFetch} made, each with the same login over another HTTP client. */
const SEND_WRAPPERS = new WeakMap<typeof fetch, (inner: HttpSend) => HttpSend>();

/**
 * The login behind a fetch {@link oauthBridgeFetch} made, for the bridge's own HTTP client: the bridge is given
 * that fetch (`RunBridgeOptions.fetch`), and sends through a cheaper client than `fetch` where it can
 * (`_http_send.ts`), with the same token, refresh and fix.
 * @param f a fetch
 * @returns a function that puts the login over an HTTP client, or undefined when `f` is not such a fetch
 */
export function oauthSendWrapperOf(f: typeof fetch | undefined): ((inner: HttpSend) => HttpSend) | undefined {
  return f === undefined ? undefined : SEND_WRAPPERS.get(f);
}

/** The URL a fetch input names, or undefined when it cannot be read (then no token is attached). */
function requestUrl(input: string | URL | Request): URL | undefined {
  try {
    return input instanceof URL ? input : new URL(input instanceof Request ? input.url : input);
  } catch {
    return undefined;
  }
}

/**
 * The SDK's client provider over a stored login, for refreshing only: it never registers a client (no
 * `saveClientInformation`), and any step that would need the user (`redirectToAuthorization`) throws.
 */
function bridgeProvider(
  login: OAuthLoginV1,
  saveTokens: (tokens: OAuthTokens) => Promise<void>,
): OAuthClientProvider {
  let tokens: OAuthTokens | undefined = login.tokens as unknown as OAuthTokens;
  let discovery = login.discoveryState as unknown as OAuthDiscoveryState | undefined;
  const metadata: OAuthClientMetadata = {
    client_name: "AgentPerms",
    redirect_uris: [login.redirectUrl],
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
  };
  return {
    get redirectUrl() {
      return login.redirectUrl;
    },
    get clientMetadata() {
      return metadata;
    },
    clientInformation: () => login.clientInformation as unknown as OAuthClientInformationMixed,
    tokens: () => tokens,
    saveTokens: async (t) => {
      tokens = t;
      await saveTokens(t);
    },
    redirectToAuthorization: () => {
      throw new OAuthLoginNeededError("a new sign-in is needed", "run agentperms login");
    },
    saveCodeVerifier: () => {},
    codeVerifier: () => {
      throw new OAuthLoginNeededError("a new sign-in is needed", "run agentperms login");
    },
    discoveryState: () => discovery,
    saveDiscoveryState: (s) => {
      discovery = s;
    },
    invalidateCredentials: (scope) => {
      // Only in memory: the stored login stays for `login --status` to show; it is refused anyway.
      if (scope === "all" || scope === "tokens") tokens = undefined;
      if (scope === "all" || scope === "discovery") discovery = undefined;
    },
  };
}
