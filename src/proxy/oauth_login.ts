// @ts-types="@modelcontextprotocol/sdk/client/auth"
import {
  auth,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
} from "@modelcontextprotocol/sdk/client/auth.js";
// @ts-types="@modelcontextprotocol/sdk/shared/auth"
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { AgentPermsError } from "../errors.ts";
import { oauthErrorText } from "./oauth_error_text.ts";
import {
  type OAuthLoginSummary,
  type OAuthLoginV1,
  oauthServerKey,
  readOAuthLogin,
  summarizeOAuthLogin,
  writeOAuthLogin,
} from "./oauth_store.ts";

/** Options for {@link runOAuthLogin}. */
export interface OAuthLoginOptions {
  /** The server's name (the client config's entry name): stored with the login, named in messages. */
  server: string;
  /** The remote MCP endpoint. */
  url: URL;
  /** The store folder (`oauthStoreDir`). */
  storeDir: string;
  /** A client registered with the authorization server beforehand; without it, dynamic registration. */
  clientId?: string;
  /** Its secret, for a confidential pre-registered client. */
  clientSecret?: string;
  /** The scope to ask for (default: what the server's metadata lists). */
  scope?: string;
  /** A fixed loopback port for the redirect (a pre-registered client may need one); default a free one. */
  port?: number;
  /** How long to wait for the browser to come back, ms (default 5 minutes). */
  timeoutMs?: number;
  /** Shows the user the authorization URL and what happens (stderr). */
  say: (message: string) => void;
  /** Tries to open the URL in a browser; returns whether it could. Never throws. */
  openUrl: (url: string) => Promise<boolean>;
  /** The fetch for the OAuth requests (tests). */
  fetch?: typeof fetch;
  /** Wall clock. */
  now?: () => Date;
}

/** What {@link runOAuthLogin} stored. */
export interface OAuthLoginResult {
  /** The file written (0600). */
  file: string;
  /** What was stored, without tokens. */
  summary: OAuthLoginSummary;
  /** Whether a client was registered dynamically now. */
  registered: boolean;
}

const CALLBACK_PATH = "/callback";
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/**
 * Signs in to a remote MCP server with the OAuth authorization-code flow and PKCE, through the MCP SDK's
 * `auth()` (RFC 9728 protected resource metadata, RFC 8414 authorization server metadata, RFC 7591 dynamic
 * registration unless a client id is given, RFC 8707 resource indicator). The redirect comes back to a one-shot
 * listener on 127.0.0.1 that checks `state` and closes after the code arrives or the timeout. The tokens and
 * the client registration are stored in the user's state folder (file 0600, folder 0700, written atomically)
 * for the bridge to use.
 * @param opts the server, where to store, how to reach the user
 * @returns the file written and a summary without tokens
 * @throws {AgentPermsError} upstream_failed when discovery, registration, the user's approval or the token
 *   exchange fails or times out (the message never holds a token, code or secret); usage for a port in use
 */
export async function runOAuthLogin(opts: OAuthLoginOptions): Promise<OAuthLoginResult> {
  const serverUrl = new URL(oauthServerKey(opts.url));
  const now = opts.now ?? (() => new Date());
  const previous = await readOAuthLogin(opts.storeDir, opts.url);
  const state = randomToken();
  const listener = openLoopback(state, opts.port, portOf(previous?.redirectUrl));
  try {
    const redirectUrl = `http://127.0.0.1:${listener.port}${CALLBACK_PATH}`;
    const mem: {
      client?: OAuthClientInformationMixed;
      tokens?: OAuthTokens;
      verifier?: string;
      discovery?: OAuthDiscoveryState;
      authUrl?: URL;
      code?: string;
    } = {};
    // A registration made earlier is reused when it names this redirect (the same port came free again);
    // otherwise a new one is made, since many authorization servers match redirect URIs exactly.
    const reusable = previous && !opts.clientId &&
        Array.isArray(previous.clientInformation.redirect_uris) &&
        previous.clientInformation.redirect_uris.includes(redirectUrl)
      ? previous.clientInformation as unknown as OAuthClientInformationMixed
      : undefined;
    mem.client = opts.clientId
      ? { client_id: opts.clientId, ...(opts.clientSecret ? { client_secret: opts.clientSecret } : {}) }
      : reusable;
    let registered = false;
    const metadata: OAuthClientMetadata = {
      client_name: "AgentPerms",
      redirect_uris: [redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: opts.clientSecret ? "client_secret_basic" : "none",
      ...(opts.scope ? { scope: opts.scope } : {}),
    };
    const provider: OAuthClientProvider = {
      get redirectUrl() {
        return redirectUrl;
      },
      get clientMetadata() {
        return metadata;
      },
      state: () => state,
      clientInformation: () => mem.client,
      saveClientInformation: (c) => {
        if (!opts.clientId && mem.client?.client_id !== c.client_id) registered = true;
        mem.client = c;
      },
      tokens: () => mem.tokens,
      saveTokens: (t) => {
        mem.tokens = t;
      },
      redirectToAuthorization: (u) => {
        mem.authUrl = u;
      },
      saveCodeVerifier: (v) => {
        mem.verifier = v;
      },
      codeVerifier: () => {
        if (mem.verifier === undefined) throw new Error("no PKCE code verifier was made");
        return mem.verifier;
      },
      saveDiscoveryState: (s) => {
        mem.discovery = s;
      },
      discoveryState: () => mem.discovery,
      invalidateCredentials: (scope) => {
        if (scope === "all" || scope === "client") mem.client = opts.clientId ? mem.client : undefined;
        if (scope === "all" || scope === "tokens") mem.tokens = undefined;
        if (scope === "all" || scope === "verifier") mem.verifier = undefined;
        if (scope === "all" || scope === "discovery") mem.discovery = undefined;
      },
    };
    const secrets = () => [
      mem.tokens?.access_token,
      mem.tokens?.refresh_token,
      mem.verifier,
      mem.code,
      opts.clientSecret,
      (mem.client as { client_secret?: string } | undefined)?.client_secret,
    ];
    const fail = (step: string, e: unknown, hint?: string): never => {
      throw new AgentPermsError(
        "upstream_failed",
        `Cannot sign in to "${opts.server}" (${oauthServerKey(opts.url)}): ${step}: ${
          oauthErrorText(e, secrets())
        }`,
        {
          cause: e,
          hint: hint ?? "Check the URL, and that the server supports OAuth sign-in (MCP authorization)",
        },
      );
    };
    let first;
    try {
      first = await auth(provider, {
        serverUrl,
        ...(opts.scope ? { scope: opts.scope } : {}),
        fetchFn: opts.fetch,
      });
    } catch (e) {
      const noDcr = /dynamic client registration/i.test((e as Error)?.message ?? "");
      fail(
        "discovery or registration failed",
        e,
        noDcr
          ? "This authorization server does not register clients itself: register AgentPerms with it (redirect URI http://127.0.0.1:PORT/callback) and pass --client-id (and --port)"
          : undefined,
      );
    }
    if (first !== "REDIRECT" || !mem.authUrl) {
      fail("the authorization flow did not start", new Error(`auth() answered ${first}`));
    }
    const authUrl = mem.authUrl!.href;
    opts.say(`Open this URL in your browser to sign in to "${opts.server}":\n\n  ${authUrl}\n`);
    const opened = await opts.openUrl(authUrl).catch(() => false);
    opts.say(
      opened
        ? `Waiting for the browser (up to ${Math.round((opts.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000)} s)...`
        : `Could not open a browser here: open the URL yourself (on this machine; it returns to ${redirectUrl}). Waiting...`,
    );
    let code: string;
    try {
      code = await listener.waitForCode(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    } catch (e) {
      return fail(
        "the sign-in did not complete",
        e,
        "Run agentperms login again, and approve in the browser",
      );
    }
    mem.code = code;
    let second;
    try {
      second = await auth(provider, { serverUrl, authorizationCode: code, fetchFn: opts.fetch });
    } catch (e) {
      return fail("the code could not be exchanged for tokens", e);
    }
    if (second !== "AUTHORIZED" || !mem.tokens || !mem.client) {
      return fail("no tokens were issued", new Error(`auth() answered ${second}`));
    }
    const at = now().toISOString();
    const login: OAuthLoginV1 = {
      v: 1,
      server: opts.server,
      serverUrl: oauthServerKey(opts.url),
      redirectUrl,
      createdAt: at,
      tokensSavedAt: at,
      clientInformation: mem.client as unknown as OAuthLoginV1["clientInformation"],
      tokens: mem.tokens as unknown as OAuthLoginV1["tokens"],
      ...(mem.discovery
        ? { discoveryState: mem.discovery as unknown as OAuthLoginV1["discoveryState"] }
        : {}),
    };
    const file = await writeOAuthLogin(opts.storeDir, login);
    return { file, summary: summarizeOAuthLogin(login, file), registered };
  } finally {
    await listener.close();
  }
}

/** The port of a stored redirect URL, to try first (a registration that names it can then be reused). */
function portOf(redirectUrl: string | undefined): number | undefined {
  if (!redirectUrl) return undefined;
  try {
    const p = Number(new URL(redirectUrl).port);
    return Number.isInteger(p) && p > 0 ? p : undefined;
  } catch {
    return undefined;
  }
}

function randomToken(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

interface Loopback {
  port: number;
  /** Resolves with the code of the first redirect to /callback; rejects on a bad state, an error or timeout. */
  waitForCode(timeoutMs: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * The one-shot redirect listener on 127.0.0.1. The first request to /callback settles the login: a wrong or
 * missing `state` (a page elsewhere trying to slip in its own code) or an `error` from the authorization server
 * ends it with an error; a right one hands over the code. Other paths (a browser's favicon) get 404.
 */
function openLoopback(expected: string, fixed: number | undefined, preferred: number | undefined): Loopback {
  let settle: ((r: { code?: string; error?: Error }) => void) | undefined;
  const result = new Promise<{ code?: string; error?: Error }>((r) => settle = r);
  let done = false;
  const handler = (req: Request): Response => {
    const u = new URL(req.url);
    if (u.pathname !== CALLBACK_PATH || req.method !== "GET") {
      return new Response("Not found", { status: 404 });
    }
    if (done) return page(410, "This sign-in is already over. You can close this tab.");
    done = true;
    const state = u.searchParams.get("state") ?? "";
    const err = u.searchParams.get("error");
    if (!timingSafeEqual(state, expected)) {
      settle?.({
        error: new Error("the redirect carried a state that does not match this sign-in (refused)"),
      });
      return page(400, "This sign-in was refused: its state does not match. Run agentperms login again.");
    }
    if (err) {
      const desc = (u.searchParams.get("error_description") ?? "").replace(/[^\x20-\x7e]/g, "").slice(0, 200);
      settle?.({ error: new Error(`the authorization server answered ${err}${desc ? `: ${desc}` : ""}`) });
      return page(400, "The sign-in was not approved. You can close this tab.");
    }
    const code = u.searchParams.get("code");
    if (!code) {
      settle?.({ error: new Error("the redirect carried no code") });
      return page(400, "The sign-in returned no code. Run agentperms login again.");
    }
    settle?.({ code });
    return page(200, "Signed in. You can close this tab and return to the terminal.");
  };
  const serve = (port: number) =>
    Deno.serve({
      hostname: "127.0.0.1",
      port,
      onListen: () => {},
      onError: () => new Response(null, { status: 500 }),
    }, handler);
  let server: Deno.HttpServer<Deno.NetAddr>;
  if (fixed !== undefined) {
    try {
      server = serve(fixed);
    } catch (e) {
      throw new AgentPermsError("usage", `Cannot listen for the sign-in redirect on 127.0.0.1:${fixed}`, {
        cause: e,
        hint: "Pick another --port, or leave it out for a free one",
      });
    }
  } else {
    try {
      server = serve(preferred ?? 0);
    } catch {
      server = serve(0);
    }
  }
  let closed: Promise<void> | undefined;
  return {
    port: server.addr.port,
    async waitForCode(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<{ code?: string; error?: Error }>((r) =>
        timer = setTimeout(
          () =>
            r({ error: new Error(`no answer from the browser within ${Math.round(timeoutMs / 1000)} s`) }),
          timeoutMs,
        )
      );
      const r = await Promise.race([result, timeout]);
      clearTimeout(timer);
      done = true;
      if (r.error) throw r.error;
      return r.code!;
    },
    close() {
      closed ??= server.shutdown();
      return closed;
    },
  };
}

function page(status: number, text: string): Response {
  const body = `<!doctype html><meta charset="utf-8"><title>AgentPerms</title><p>${text}</p>\n`;
  return new Response(body, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "referrer-policy": "no-referrer",
    },
  });
}

function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length || b.length === 0) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
}
