/**
 * OAuth for remote servers, end to end on loopback: a local authorization server and a protected MCP resource
 * built from the MCP SDK's server-side auth pieces (`mcpAuthRouter` for discovery, registration, authorize and
 * token; `requireBearerAuth` in front of the SDK's `McpServer` over Streamable HTTP), on Express under Deno.
 * The test plays the user: it follows the authorization URL with `fetch` (the provider approves at once) and
 * lands on the login's loopback redirect. Then the bridge (`runBridge`, and `agentperms proxy --url` when the
 * CLI passes the stored login) uses the stored token, refreshes it when the server says it expired, and fails
 * closed with the fix when it was revoked.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
// @ts-types="@modelcontextprotocol/sdk/server/express"
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
// @ts-types="@modelcontextprotocol/sdk/server/auth/router"
import {
  getOAuthProtectedResourceMetadataUrl,
  mcpAuthRouter,
} from "@modelcontextprotocol/sdk/server/auth/router.js";
// @ts-types="@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth"
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
// @ts-types="@modelcontextprotocol/sdk/server/auth/provider"
import type {
  AuthorizationParams,
  OAuthServerProvider,
} from "@modelcontextprotocol/sdk/server/auth/provider.js";
// @ts-types="@modelcontextprotocol/sdk/server/auth/errors"
import { InvalidGrantError, InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
// @ts-types="@modelcontextprotocol/sdk/server/auth/types"
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
// @ts-types="@modelcontextprotocol/sdk/shared/auth"
import type { OAuthClientInformationFull, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
// @ts-types="@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider"
import { DemoInMemoryClientsStore } from "@modelcontextprotocol/sdk/examples/server/demoInMemoryOAuthProvider.js";
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/streamableHttp"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { compilePolicy } from "../../src/policy/mod.ts";
import { buildRedactFn, runBridge } from "../../src/proxy/mod.ts";
import { MemoryTraceSink } from "../../src/trace/mod.ts";
import { oauthBridgeFetch, oauthSendWrapperOf } from "../../src/proxy/oauth_bridge_fetch.ts";
import { nodeSend } from "../../src/proxy/_http_send.ts";
import { runOAuthLogin } from "../../src/proxy/oauth_login.ts";
import { listOAuthLogins, oauthLoginFile, type OAuthLoginV1 } from "../../src/proxy/oauth_store.ts";
import { childEnv, CLI, CONFIG, DENO, proxyArgv, RawProxy, tempDir, until } from "./_helpers.ts";

// A test's own HOME must not move Deno's cache (an empty one would download every package again).
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  (JSON.parse(new TextDecoder().decode(
    new Deno.Command(DENO, { args: ["info", "--json"], stderr: "null" }).outputSync().stdout,
  )) as { denoDir: string }).denoDir;

/** A token the server issued, and what it is for. */
interface Issued {
  clientId: string;
  scopes: string[];
  resource?: URL;
  expiresAt: number;
}

/**
 * The authorization server's logic (the SDK leaves it to the application): codes bound to their PKCE
 * challenge, access tokens with an expiry, rotating refresh tokens, and test controls to expire or revoke.
 * `authorize` approves at once, as a user who clicks "Allow".
 */
class TestAuthProvider implements OAuthServerProvider {
  readonly clientsStore = new DemoInMemoryClientsStore();
  readonly #codes = new Map<string, { client: OAuthClientInformationFull; params: AuthorizationParams }>();
  readonly access = new Map<string, Issued>();
  readonly refresh = new Map<string, Issued>();
  refreshes = 0;
  authorizations = 0;

  authorize(
    client: OAuthClientInformationFull,
    params: AuthorizationParams,
    res: Parameters<OAuthServerProvider["authorize"]>[2],
  ): Promise<void> {
    this.authorizations++;
    const code = crypto.randomUUID();
    this.#codes.set(code, { client, params });
    const to = new URL(params.redirectUri);
    to.searchParams.set("code", code);
    if (params.state !== undefined) to.searchParams.set("state", params.state);
    res.redirect(302, to.href);
    return Promise.resolve();
  }

  challengeForAuthorizationCode(_client: OAuthClientInformationFull, code: string): Promise<string> {
    const c = this.#codes.get(code);
    if (!c) throw new InvalidGrantError("unknown code");
    return Promise.resolve(c.params.codeChallenge);
  }

  exchangeAuthorizationCode(client: OAuthClientInformationFull, code: string): Promise<OAuthTokens> {
    const c = this.#codes.get(code);
    if (!c || c.client.client_id !== client.client_id) throw new InvalidGrantError("unknown code");
    this.#codes.delete(code);
    return Promise.resolve(this.#issue(client.client_id, c.params.scopes ?? [], c.params.resource));
  }

  exchangeRefreshToken(
    client: OAuthClientInformationFull,
    refreshToken: string,
    _scopes?: string[],
    resource?: URL,
  ): Promise<OAuthTokens> {
    const r = this.refresh.get(refreshToken);
    if (!r || r.clientId !== client.client_id) {
      throw new InvalidGrantError("refresh token revoked or unknown");
    }
    this.refresh.delete(refreshToken); // rotation: each refresh token works once
    this.refreshes++;
    return Promise.resolve(this.#issue(client.client_id, r.scopes, resource ?? r.resource));
  }

  verifyAccessToken(token: string): Promise<AuthInfo> {
    const a = this.access.get(token);
    if (!a) throw new InvalidTokenError("unknown token");
    return Promise.resolve({
      token,
      clientId: a.clientId,
      scopes: a.scopes,
      expiresAt: Math.floor(a.expiresAt / 1000),
      ...(a.resource ? { resource: a.resource } : {}),
    });
  }

  /** Every access token expires now (the stored login still thinks it has an hour). */
  expireAccessTokens(): void {
    for (const a of this.access.values()) a.expiresAt = Date.now() - 60_000;
  }

  /** Every token, access and refresh, is revoked. */
  revokeAll(): void {
    this.access.clear();
    this.refresh.clear();
  }

  #issue(clientId: string, scopes: string[], resource?: URL): OAuthTokens {
    const access = `at-${crypto.randomUUID()}`;
    const refresh = `rt-${crypto.randomUUID()}`;
    const issued = { clientId, scopes, resource, expiresAt: Date.now() + 3600_000 };
    this.access.set(access, issued);
    this.refresh.set(refresh, { ...issued });
    return { access_token: access, token_type: "bearer", expires_in: 3600, refresh_token: refresh };
  }
}

/** One request as the protected server saw it. */
interface Seen {
  method: string;
  path: string;
  auth: string | undefined;
}

/**
 * Authorization server and protected MCP resource on one loopback origin (as many remote MCP servers run
 * them): `/mcp` needs a bearer token issued for it; the MCP server behind it has one tool, `whoami`.
 */
async function oauthServer(): Promise<
  { base: URL; mcp: URL; provider: TestAuthProvider; seen: Seen[]; redirectTo?: URL } & AsyncDisposable
> {
  const app = createMcpExpressApp({ host: "127.0.0.1" });
  const seen: Seen[] = [];
  app.use((req: IncomingMessage & { path: string }, _res: unknown, next: () => void) => {
    seen.push({ method: req.method ?? "", path: req.path, auth: req.headers.authorization });
    next();
  });
  const http = app.listen(0, "127.0.0.1");
  await new Promise<void>((r) => http.once("listening", () => r()));
  const base = new URL(`http://127.0.0.1:${(http.address() as AddressInfo).port}/`);
  const mcp = new URL("/mcp", base);
  const provider = new TestAuthProvider();
  const out: { redirectTo?: URL } = {};
  // A page of the protected origin that redirects elsewhere (a token must not follow it).
  app.post("/moved", (_req: unknown, res: ServerResponse) => {
    res.writeHead(307, { location: out.redirectTo?.href ?? "/" }).end();
  });
  // Routes may be added once the port is known: Express looks them up per request.
  app.use(
    mcpAuthRouter({ provider, issuerUrl: base, resourceServerUrl: mcp, scopesSupported: ["mcp:tools"] }),
  );
  app.all(
    "/mcp",
    requireBearerAuth({
      verifier: provider,
      resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcp),
      expectedResource: mcp,
    }),
    async (req: IncomingMessage & { body?: unknown }, res: ServerResponse) => {
      const server = new McpServer({ name: "protected", version: "1.0.0" });
      server.registerTool("whoami", { description: "Says which OAuth client called" }, (extra) => ({
        content: [{ type: "text", text: `client ${extra.authInfo?.clientId ?? "?"}` }],
      }));
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      res.on("close", () => {
        transport.close();
        server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    },
  );
  return Object.assign(out, {
    base,
    mcp,
    provider,
    seen,
    async [Symbol.asyncDispose]() {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  });
}

/** Plays the user who approves: follows the authorization URL to its redirect, and that to the loopback. */
async function approve(authorizationUrl: string): Promise<boolean> {
  const r = await fetch(authorizationUrl, { redirect: "manual" });
  await r.body?.cancel();
  const to = r.headers.get("location");
  if (r.status !== 302 || !to) throw new Error(`the authorization server answered ${r.status}`);
  assert.match(to, /^http:\/\/127\.0\.0\.1:\d+\/callback\?/, "the redirect goes to the loopback listener");
  const back = await fetch(to);
  assert.match(await back.text(), /Signed in/);
  return true;
}

/** A server on another origin that records the Authorization header of everything it is sent. */
function otherOrigin(): { url: URL; auths: (string | null)[] } & AsyncDisposable {
  const auths: (string | null)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    auths.push(req.headers.get("authorization"));
    return new Response("{}", { status: 404 });
  });
  return {
    url: new URL(`http://127.0.0.1:${server.addr.port}/mcp`),
    auths,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/**
 * The bridge in this process, a raw JSON-RPC client on its stdio streams: `request` sends one message and
 * waits for its answer.
 */
async function bridge(
  o: { url: URL; fetch: typeof fetch; diag: string[]; trace: MemoryTraceSink },
): Promise<
  { request: (method: string, params?: unknown) => Promise<Record<string, unknown>> } & AsyncDisposable
> {
  const toBridge = new TransformStream<Uint8Array, Uint8Array>();
  const fromBridge = new TransformStream<Uint8Array, Uint8Array>();
  const writer = toBridge.writable.getWriter();
  const answers = new Map<unknown, Record<string, unknown>>();
  const reading = (async () => {
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of fromBridge.readable) {
      buf += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const m = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (m.id !== undefined) answers.set(m.id, m);
      }
    }
  })();
  const running = runBridge({
    mode: "record",
    server: "protected",
    policy: compilePolicy({ version: 1 }, { baseDir: "/", home: "/nonexistent" }),
    cwd: "/",
    home: "/nonexistent",
    sessionId: "oauth",
    trace: o.trace,
    redact: await buildRedactFn({ version: 1 }, { baseDir: "/" }),
    diag: (m) => void o.diag.push(m),
    tty: () => undefined,
    url: o.url,
    transport: "http",
    fetch: o.fetch,
    clientIn: toBridge.readable,
    clientOut: fromBridge.writable,
    graceMs: 500,
  });
  let next = 1;
  const request = async (method: string, params: unknown = {}) => {
    const id = next++;
    await writer.write(
      new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n"),
    );
    await until(() => answers.has(id), 10_000, `the answer to ${method}`);
    return answers.get(id)!;
  };
  const init = await request("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "t", version: "1" },
  });
  if (init.error === undefined) {
    await writer.write(
      new TextEncoder().encode(
        JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n",
      ),
    );
  }
  return {
    request: (method, params) => method === "initialize" ? Promise.resolve(init) : request(method, params),
    async [Symbol.asyncDispose]() {
      await writer.close();
      assert.equal(await running, 0);
      await reading;
    },
  };
}

async function login(storeDir: string, s: { mcp: URL }, server = "protected") {
  return await runOAuthLogin({
    server,
    url: s.mcp,
    storeDir,
    say: () => {},
    openUrl: approve,
    timeoutMs: 10_000,
  });
}

const storedLogin = async (storeDir: string, url: URL): Promise<OAuthLoginV1> =>
  JSON.parse(await Deno.readTextFile(oauthLoginFile(storeDir, url)));

Deno.test("runOAuthLogin() discovers, registers, runs PKCE through the loopback redirect and stores the tokens 0600 in a 0700 folder", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const storeDir = join(tmp.path, "state", "agentperms", "oauth");
  const r = await login(storeDir, s);
  assert.equal(r.registered, true);
  assert.equal(r.file, oauthLoginFile(storeDir, s.mcp));
  assert.equal((await Deno.stat(r.file)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(storeDir)).mode! & 0o777, 0o700);
  const stored = await storedLogin(storeDir, s.mcp);
  assert.equal(stored.serverUrl, s.mcp.href);
  assert.ok(s.provider.access.has(stored.tokens.access_token), "the token the server issued");
  assert.ok(stored.tokens.refresh_token);
  assert.equal(stored.tokens.issuer, s.base.href, "the SDK's issuer stamp is kept");
  assert.equal(stored.discoveryState?.authorizationServerUrl, s.base.href);
  // PKCE and the resource indicator went to the authorization server.
  const authorize = s.seen.find((x) => x.path === "/authorize");
  assert.ok(authorize);
  // The summary and --status never show a token.
  const listed = await listOAuthLogins(storeDir);
  assert.equal(listed.length, 1);
  assert.equal(listed[0]!.refreshable, true);
  const shown = JSON.stringify([r.summary, listed]);
  assert.doesNotMatch(shown, new RegExp(stored.tokens.access_token));
  assert.doesNotMatch(shown, new RegExp(stored.tokens.refresh_token!));
  // No file is left half-written.
  assert.deepEqual([...Deno.readDirSync(storeDir)].map((e) => e.name), [r.file.split("/").pop()]);
});

Deno.test("runOAuthLogin() refuses a redirect whose state does not match, and stores nothing", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const storeDir = join(tmp.path, "oauth");
  await assert.rejects(
    runOAuthLogin({
      server: "protected",
      url: s.mcp,
      storeDir,
      say: () => {},
      timeoutMs: 10_000,
      // An attacker's page sends the browser to the loopback with its own code and state.
      openUrl: async (u) => {
        const redirect = new URL(new URL(u).searchParams.get("redirect_uri")!);
        redirect.search = "?code=evil&state=forged";
        await (await fetch(redirect)).body?.cancel();
        return true;
      },
    }),
    /state that does not match/,
  );
  await assert.rejects(Deno.stat(oauthLoginFile(storeDir, s.mcp)), Deno.errors.NotFound);
  assert.equal(s.provider.access.size, 0, "no code was exchanged");
});

Deno.test("runOAuthLogin() ends with the authorization server's error when the user does not approve", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const storeDir = join(tmp.path, "oauth");
  await assert.rejects(
    runOAuthLogin({
      server: "protected",
      url: s.mcp,
      storeDir,
      say: () => {},
      timeoutMs: 10_000,
      openUrl: async (u) => {
        const q = new URL(u).searchParams;
        const back = new URL(q.get("redirect_uri")!);
        back.search = new URLSearchParams({ error: "access_denied", state: q.get("state")! }).toString();
        await (await fetch(back)).body?.cancel();
        return true;
      },
    }),
    /the sign-in did not complete: the authorization server answered access_denied/,
  );
  await assert.rejects(Deno.stat(oauthLoginFile(storeDir, s.mcp)), Deno.errors.NotFound);
});

Deno.test("runOAuthLogin() with a pre-registered client id and a fixed port registers nothing", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await s.provider.clientsStore.registerClient(
    {
      client_id: "agentperms-laptops",
      redirect_uris: [`http://127.0.0.1:${port}/callback`],
      token_endpoint_auth_method: "none",
    } as Parameters<typeof s.provider.clientsStore.registerClient>[0],
  );
  const storeDir = join(tmp.path, "oauth");
  const r = await runOAuthLogin({
    server: "protected",
    url: s.mcp,
    storeDir,
    clientId: "agentperms-laptops",
    port,
    say: () => {},
    openUrl: approve,
    timeoutMs: 10_000,
  });
  assert.equal(r.registered, false);
  assert.equal(s.seen.filter((x) => x.path === "/register").length, 0);
  const stored = await storedLogin(storeDir, s.mcp);
  assert.equal(stored.clientInformation.client_id, "agentperms-laptops");
  assert.equal(stored.redirectUrl, `http://127.0.0.1:${port}/callback`);
  assert.equal(s.provider.access.get(stored.tokens.access_token)?.clientId, "agentperms-laptops");
});

Deno.test("runOAuthLogin() gives up after its timeout and closes the loopback listener", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  let redirect: URL | undefined;
  await assert.rejects(
    runOAuthLogin({
      server: "protected",
      url: s.mcp,
      storeDir: join(tmp.path, "oauth"),
      say: () => {},
      timeoutMs: 300,
      openUrl: (u) => {
        redirect = new URL(new URL(u).searchParams.get("redirect_uri")!);
        return Promise.resolve(false);
      },
    }),
    /did not complete: no answer from the browser within/,
  );
  await assert.rejects(fetch(redirect!), "the listener is closed");
});

Deno.test("the bridge sends the stored token and lists tools; an expired token is refreshed once and stored; a revoked one fails closed with the fix; no token in the trace, stderr or an error", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const storeDir = join(tmp.path, "oauth");
  await login(storeDir, s);
  const first = await storedLogin(storeDir, s.mcp);
  const diag: string[] = [];
  const trace = new MemoryTraceSink();
  const oauth = await oauthBridgeFetch({
    server: "protected",
    url: s.mcp,
    storeDir,
    diag: (m) => diag.push(m),
  });
  assert.equal(oauth?.loggedIn, true);
  const answers: unknown[] = [];
  {
    await using b = await bridge({ url: s.mcp, fetch: oauth!.fetch, diag, trace });
    const list = await b.request("tools/list");
    answers.push(list);
    assert.deepEqual((list.result as { tools: { name: string }[] }).tools.map((t) => t.name), ["whoami"]);
    const mcpRequests = s.seen.filter((x) => x.path === "/mcp");
    assert.ok(mcpRequests.length >= 2);
    assert.ok(mcpRequests.every((x) => x.auth === `Bearer ${first.tokens.access_token}`));

    // The server says the access token expired: one refresh, the new tokens stored, the call retried.
    s.provider.expireAccessTokens();
    const call = await b.request("tools/call", { name: "whoami", arguments: {} });
    answers.push(call);
    assert.match(JSON.stringify(call.result), /client /);
    assert.equal(s.provider.refreshes, 1);
    const second = await storedLogin(storeDir, s.mcp);
    assert.notEqual(second.tokens.access_token, first.tokens.access_token);
    assert.notEqual(
      second.tokens.refresh_token,
      first.tokens.refresh_token,
      "the rotated refresh token is kept",
    );
    assert.equal((await Deno.stat(oauthLoginFile(storeDir, s.mcp))).mode! & 0o777, 0o600);
    assert.equal(s.seen.at(-1)?.auth, `Bearer ${second.tokens.access_token}`);

    // Revoked (access and refresh): the request fails closed with a JSON-RPC error that says what to run.
    s.provider.revokeAll();
    const refused = await b.request("tools/call", { name: "whoami", arguments: {} });
    answers.push(refused);
    const err = refused.error as { code: number; message: string };
    assert.equal(err.code, -32000);
    assert.match(err.message, /refused \(HTTP 401\) and could not be refreshed/);
    assert.match(err.message, /agentperms login --server protected --url http:\/\/127\.0\.0\.1:\d+\/mcp/);
    assert.equal(s.provider.authorizations, 1, "no new authorization was started from the bridge");
    // Later requests fail at once, without another refresh attempt.
    const again = await b.request("tools/list");
    answers.push(again);
    assert.match(JSON.stringify(again.error), /agentperms login --server protected/);
    assert.equal(s.provider.refreshes, 1);
    const last = await storedLogin(storeDir, s.mcp);
    const everything = JSON.stringify([trace.events, diag, answers]);
    for (const t of [first, second, last]) {
      assert.doesNotMatch(everything, new RegExp(t.tokens.access_token));
      assert.doesNotMatch(everything, new RegExp(t.tokens.refresh_token!));
    }
  }
});

Deno.test("the bridge's fetch sends a token only to the origin of the URL it was obtained for", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  await using other = otherOrigin();
  const storeDir = join(tmp.path, "oauth");
  await login(storeDir, s);
  const token = (await storedLogin(storeDir, s.mcp)).tokens.access_token;
  const oauth = await oauthBridgeFetch({ server: "protected", url: s.mcp, storeDir, diag: () => {} });
  // Asked to fetch another origin (a redirect target, a legacy endpoint elsewhere): no token.
  await (await oauth!.fetch(other.url, { method: "POST", body: "{}" })).body?.cancel();
  assert.deepEqual(other.auths, [null]);
  // A bridge pointed at the other origin finds no login there, and sends nothing.
  const elsewhere = await oauthBridgeFetch({ server: "protected", url: other.url, storeDir, diag: () => {} });
  assert.equal(elsewhere?.loggedIn, false);
  await assert.rejects(
    (async () => {
      const r = await elsewhere!.fetch(other.url, { method: "POST", body: "{}" });
      await r.body?.cancel();
      if (r.status === 404) throw new Error("404 as expected");
    })(),
    /404 as expected/,
  );
  assert.deepEqual(other.auths, [null, null]);
  // The same host on another port is another origin.
  assert.ok(!(other.auths as (string | null)[]).includes(`Bearer ${token}`));
  // A redirect from the protected origin to another one is not followed with the token on it.
  s.redirectTo = other.url;
  const moved = new URL("/moved", s.base);
  const r = await oauth!.fetch(moved, { method: "POST", body: "{}", redirect: "follow" });
  await r.body?.cancel();
  assert.equal(r.status, 307, "the redirect comes back to the caller");
  assert.equal(s.seen.find((x) => x.path === "/moved")?.auth, `Bearer ${token}`);
  assert.deepEqual(other.auths, [null, null], "the other origin never saw it");
  // The same login over the bridge's own HTTP client (node:http for plain http): the same rules.
  const send = oauthSendWrapperOf(oauth!.fetch)!(nodeSend());
  await (await send(other.url, { method: "POST", headers: {}, body: "{}" })).discard();
  assert.deepEqual(other.auths, [null, null, null]);
  const r2 = await send(moved, { method: "POST", headers: {}, body: "{}" });
  await r2.discard();
  assert.equal(r2.status, 307);
  assert.equal(s.seen.filter((x) => x.path === "/moved").at(-1)?.auth, `Bearer ${token}`);
  assert.deepEqual(other.auths, [null, null, null]);
  assert.equal(oauthSendWrapperOf(fetch), undefined, "only the fetches it made");
  // An Authorization header of the entry's own wins: no stored login is used.
  assert.equal(
    await oauthBridgeFetch({
      server: "protected",
      url: s.mcp,
      storeDir,
      diag: () => {},
      headers: { authorization: "Bearer mine" },
    }),
    undefined,
  );
});

Deno.test("the bridge's fetch refreshes an access token about to expire before sending it, once, and sends the new one", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const storeDir = join(tmp.path, "oauth");
  await login(storeDir, s);
  const first = await storedLogin(storeDir, s.mcp);
  // The server said 3600 s; by this clock 3570 s have passed.
  const now = () => new Date(Date.parse(first.tokensSavedAt) + 3570_000);
  const oauth = await oauthBridgeFetch({ server: "protected", url: s.mcp, storeDir, diag: () => {}, now });
  const post = async () => {
    const r = await oauth!.fetch(s.mcp, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: "{}",
    });
    await r.body?.cancel();
    return r.status;
  };
  assert.notEqual(await post(), 401);
  assert.equal(s.provider.refreshes, 1, "refreshed before the request, not after a 401");
  const second = await storedLogin(storeDir, s.mcp);
  assert.notEqual(second.tokens.access_token, first.tokens.access_token);
  const mcp = s.seen.filter((x) => x.path === "/mcp");
  assert.deepEqual(
    mcp.map((x) => x.auth),
    [`Bearer ${second.tokens.access_token}`],
    "the old token never went",
  );
  // The new token is good for another hour by the same clock: no more refreshes.
  assert.notEqual(await post(), 401);
  assert.equal(s.provider.refreshes, 1);
  // A token far from its expiry is not refreshed.
  const fresh = await oauthBridgeFetch({ server: "protected", url: s.mcp, storeDir, diag: () => {} });
  await (await fresh!.fetch(s.mcp, { method: "POST", body: "{}" })).body?.cancel();
  assert.equal(s.provider.refreshes, 1);
});

Deno.test("the bridge's fetch does not bring back a login removed while it ran (agentperms login --logout)", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const storeDir = join(tmp.path, "oauth");
  await login(storeDir, s);
  const oauth = await oauthBridgeFetch({ server: "protected", url: s.mcp, storeDir, diag: () => {} });
  await Deno.remove(oauthLoginFile(storeDir, s.mcp));
  s.provider.expireAccessTokens();
  await assert.rejects(
    oauth!.fetch(s.mcp, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
    /could not be refreshed; run `agentperms login --server protected/,
  );
  assert.equal(s.provider.refreshes, 0);
  await assert.rejects(Deno.stat(oauthLoginFile(storeDir, s.mcp)), Deno.errors.NotFound);
});

Deno.test("the bridge without a stored login turns the server's 401 into the fix, and never starts a sign-in", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const diag: string[] = [];
  const oauth = await oauthBridgeFetch({
    server: "protected",
    url: s.mcp,
    storeDir: join(tmp.path, "oauth"),
    diag: (m) => diag.push(m),
  });
  assert.equal(oauth?.loggedIn, false);
  await using b = await bridge({ url: s.mcp, fetch: oauth!.fetch, diag, trace: new MemoryTraceSink() });
  const init = await b.request("initialize");
  const err = init.error as { message: string };
  assert.match(err.message, /asks for an OAuth sign-in \(HTTP 401\) and there is no stored login for it/);
  assert.match(err.message, /agentperms login --server protected/);
  assert.equal(s.provider.authorizations, 0);
  assert.equal(s.seen.filter((x) => x.path === "/register").length, 0, "no client was registered");
});

/** Runs `agentperms login …` with a temp state folder; `onUrl` gets the authorization URL it prints. */
async function cliLogin(
  args: string[],
  env: Record<string, string>,
  onUrl?: (url: string) => Promise<unknown>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(DENO, {
    args: ["run", "-A", "--config", CONFIG, CLI, "login", ...args],
    env: childEnv({ DENO_DIR, ...env }),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const errDone = (async () => {
    const dec = new TextDecoder();
    let followed = false;
    for await (const chunk of child.stderr) {
      stderr += dec.decode(chunk, { stream: true });
      const m = /^\s+(http:\/\/\S+\/authorize\?\S+)$/m.exec(stderr);
      if (m && onUrl && !followed) {
        followed = true;
        await onUrl(m[1]!);
      }
    }
  })();
  const [status, out] = await Promise.all([child.status, new Response(child.stdout).text(), errDone]);
  return { code: status.code, stdout: out, stderr };
}

Deno.test("agentperms login --url stores a login; --status lists it without tokens; --logout removes it", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const env = { HOME: tmp.path, XDG_STATE_HOME: join(tmp.path, "state") };
  const storeDir = join(tmp.path, "state", "agentperms", "oauth");
  const r = await cliLogin(
    ["--server", "protected", "--url", s.mcp.href, "--no-browser", "--timeout", "20"],
    env,
    approve,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /Signed in to "protected" \(http:\/\/127\.0\.0\.1:\d+\/mcp\), registered as a new OAuth client: tokens stored in .*\.json \(0600\)/,
  );
  assert.match(r.stderr, /Could not open a browser here/);
  const stored = await storedLogin(storeDir, s.mcp);
  assert.equal((await Deno.stat(oauthLoginFile(storeDir, s.mcp))).mode! & 0o777, 0o600);
  const status = await cliLogin(["--status", "--format", "json"], env);
  assert.equal(status.code, 0, status.stderr);
  const listed = JSON.parse(status.stdout);
  assert.equal(listed.logins.length, 1);
  assert.equal(listed.logins[0].server, "protected");
  assert.equal(listed.logins[0].refreshable, true);
  const text = await cliLogin(["--status"], env);
  assert.match(
    text.stdout,
    /protected\s+http:\/\/127\.0\.0\.1:\d+\/mcp\s+http:\/\/127\.0\.0\.1:\d+\/\s+expires \S+\s+yes/,
  );
  for (const out of [r.stdout, r.stderr, status.stdout, text.stdout]) {
    assert.doesNotMatch(out, new RegExp(stored.tokens.access_token));
    assert.doesNotMatch(out, new RegExp(stored.tokens.refresh_token!));
  }
  const out = await cliLogin(["--logout", "--server", "protected"], env);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /Removed the login for "protected"/);
  await assert.rejects(Deno.stat(oauthLoginFile(storeDir, s.mcp)), Deno.errors.NotFound);
  const none = await cliLogin(["--logout", "--server", "protected"], env);
  assert.equal(none.code, 2);
});

Deno.test("agentperms login --path takes the URL of the entry named --server from a client config", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const env = { HOME: tmp.path, XDG_STATE_HOME: join(tmp.path, "state") };
  const config = join(tmp.path, ".mcp.json");
  await Deno.writeTextFile(
    config,
    JSON.stringify({ mcpServers: { protected: { type: "http", url: "${MCP_BASE}/mcp" } } }),
  );
  const r = await cliLogin(
    ["--server", "protected", "--path", config, "--no-browser", "--timeout", "20"],
    { ...env, MCP_BASE: s.base.href.replace(/\/$/, "") },
    approve,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.ok(await Deno.stat(oauthLoginFile(join(tmp.path, "state", "agentperms", "oauth"), s.mcp)));
  const missing = await cliLogin(["--server", "nope", "--path", config], env);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /No remote entry named "nope"/);
});

Deno.test("agentperms login without a URL source, or with two, is a usage error", async () => {
  await using tmp = await tempDir();
  const env = { HOME: tmp.path };
  const none = await cliLogin(["--server", "x"], env);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /Give exactly one of --url, --client or --path/);
  const two = await cliLogin(["--server", "x", "--url", "https://a/mcp", "--client", "cursor"], env);
  assert.equal(two.code, 2);
});

Deno.test("agentperms proxy --url with a stored login: tools listed with the token, an expired one refreshed, a revoked one refused with the fix; no token in the trace or on stderr", async () => {
  await using tmp = await tempDir();
  await using s = await oauthServer();
  const state = join(tmp.path, "state");
  const storeDir = join(state, "agentperms", "oauth");
  await login(storeDir, s);
  const first = await storedLogin(storeDir, s.mcp);
  const traces = join(tmp.path, "traces");
  const argv = proxyArgv(
    { mode: "record", server: "protected", traceDir: traces, separator: false, extra: ["--url", s.mcp.href] },
    [],
  );
  const p = new RawProxy(argv, { HOME: tmp.path, XDG_STATE_HOME: state, DENO_DIR });
  let id = 0;
  const ask = async (method: string, params: unknown = {}) => {
    await p.send({ jsonrpc: "2.0", id: ++id, method, params });
    return await p.response(id, 30_000);
  };
  const init = await ask("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "t", version: "1" },
  });
  assert.equal(init.error, undefined, JSON.stringify(init));
  await p.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  const list = await ask("tools/list");
  assert.deepEqual((list.result as { tools: { name: string }[] }).tools.map((t) => t.name), ["whoami"]);
  assert.equal(s.seen.filter((x) => x.path === "/mcp").at(-1)?.auth, `Bearer ${first.tokens.access_token}`);
  s.provider.expireAccessTokens();
  const call = await ask("tools/call", { name: "whoami", arguments: {} });
  assert.match(JSON.stringify(call.result), /client /);
  assert.equal(s.provider.refreshes, 1);
  const second = await storedLogin(storeDir, s.mcp);
  assert.notEqual(second.tokens.access_token, first.tokens.access_token);
  s.provider.revokeAll();
  const refused = await ask("tools/call", { name: "whoami", arguments: {} });
  assert.match(
    (refused.error as { message: string }).message,
    /did not answer: the OAuth login for "protected" was refused \(HTTP 401\) and could not be refreshed\. Fix: run `agentperms login --server protected --url http:\/\/127\.0\.0\.1:\d+\/mcp`/,
  );
  await p.closeStdin();
  assert.equal(await p.exit(30_000), 0);
  let traced = "";
  for await (const e of Deno.readDir(traces)) traced += await Deno.readTextFile(join(traces, e.name));
  assert.match(traced, /proxy started \(record\) for \\"protected\\": remote http:\/\/127\.0\.0\.1:\d+\/mcp/);
  for (const t of [first, second]) {
    for (const secret of [t.tokens.access_token, t.tokens.refresh_token!]) {
      assert.doesNotMatch(traced + p.stderr + JSON.stringify(p.messages), new RegExp(secret));
    }
  }
  await p[Symbol.asyncDispose]();
});
