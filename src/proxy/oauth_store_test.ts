import assert from "node:assert/strict";
import { join } from "node:path";
import {
  listOAuthLogins,
  oauthLoginFile,
  type OAuthLoginV1,
  oauthServerKey,
  oauthStoreDir,
  readOAuthLogin,
  removeOAuthLogins,
  writeOAuthLogin,
} from "./oauth_store.ts";

const login = (serverUrl: string, server = "linear"): OAuthLoginV1 => ({
  v: 1,
  server,
  serverUrl,
  redirectUrl: "http://127.0.0.1:4567/callback",
  createdAt: "2026-12-07T10:00:00.000Z",
  tokensSavedAt: "2026-12-07T10:00:00.000Z",
  clientInformation: { client_id: "c1", issuer: "https://auth.example/" },
  tokens: {
    access_token: "at-secret-1",
    token_type: "bearer",
    refresh_token: "rt-secret-1",
    expires_in: 3600,
    issuer: "https://auth.example/",
  },
});

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    await fn(join(root, "state", "agentperms", "oauth"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("oauthStoreDir() uses XDG_STATE_HOME, else HOME, and refuses neither", () => {
  assert.equal(oauthStoreDir((n) => ({ XDG_STATE_HOME: "/s", HOME: "/h" })[n]), "/s/agentperms/oauth");
  assert.equal(oauthStoreDir((n) => ({ HOME: "/h" })[n]), "/h/.local/state/agentperms/oauth");
  assert.throws(() => oauthStoreDir(() => undefined), /neither XDG_STATE_HOME nor HOME/);
});

Deno.test("oauthLoginFile() is keyed by scheme, host, port and path; user info, query and fragment do not count", () => {
  const a = oauthLoginFile("/d", new URL("https://mcp.example/mcp"));
  assert.match(a, /^\/d\/[0-9a-f]{32}\.json$/);
  assert.equal(oauthLoginFile("/d", new URL("https://u:p@mcp.example/mcp?x=1#f")), a);
  assert.notEqual(oauthLoginFile("/d", new URL("https://mcp.example:8443/mcp")), a);
  assert.notEqual(oauthLoginFile("/d", new URL("https://mcp.example/other")), a);
  assert.equal(oauthServerKey(new URL("https://u:p@mcp.example/mcp?x=1")), "https://mcp.example/mcp");
});

Deno.test("writeOAuthLogin() writes 0600 in a 0700 folder, atomically, and readOAuthLogin() reads it back", async () => {
  await withDir(async (dir) => {
    const url = new URL("https://mcp.example/mcp");
    const file = await writeOAuthLogin(dir, login(url.href));
    assert.equal(file, oauthLoginFile(dir, url));
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    assert.deepEqual(await readOAuthLogin(dir, url), login(url.href));
    await writeOAuthLogin(dir, {
      ...login(url.href),
      tokens: { access_token: "at-2", token_type: "bearer" },
    });
    assert.equal((await readOAuthLogin(dir, url))?.tokens.access_token, "at-2");
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      [file.split("/").pop()],
      "no temp file left",
    );
  });
});

Deno.test("readOAuthLogin() does not use a file for another URL, or one that is not a login, and never quotes it", async () => {
  await withDir(async (dir) => {
    const url = new URL("https://mcp.example/mcp");
    await writeOAuthLogin(dir, login(url.href));
    // The file of url, holding a login for elsewhere (copied or tampered with).
    const elsewhere = new URL("https://evil.example/mcp");
    await Deno.copyFile(oauthLoginFile(dir, url), oauthLoginFile(dir, elsewhere));
    const notes: string[] = [];
    assert.equal(await readOAuthLogin(dir, elsewhere, (m) => notes.push(m)), undefined);
    assert.match(notes.join("\n"), /is for another URL; not used/);
    await Deno.writeTextFile(oauthLoginFile(dir, url), '{"v":1,"tokens":{"access_token":"at-secret-1"}}', {
      mode: 0o600,
    });
    assert.equal(await readOAuthLogin(dir, url, (m) => notes.push(m)), undefined);
    assert.match(notes.join("\n"), /is not a valid login; not used/);
    assert.doesNotMatch(notes.join("\n"), /secret/);
    assert.equal(await readOAuthLogin(dir, new URL("https://none.example/mcp")), undefined);
  });
});

Deno.test("readOAuthLogin() makes a login others can read 0600 again", async () => {
  await withDir(async (dir) => {
    const url = new URL("https://mcp.example/mcp");
    const file = await writeOAuthLogin(dir, login(url.href));
    await Deno.chmod(file, 0o644);
    const notes: string[] = [];
    assert.ok(await readOAuthLogin(dir, url, (m) => notes.push(m)));
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    assert.match(notes[0]!, /was readable by others; made it 0600/);
  });
});

Deno.test("listOAuthLogins() summarizes without tokens; removeOAuthLogins() by name or by URL", async () => {
  await withDir(async (dir) => {
    assert.deepEqual(await listOAuthLogins(dir), []);
    await writeOAuthLogin(dir, login("https://b.example/mcp", "notion"));
    await writeOAuthLogin(dir, login("https://a.example/mcp", "linear"));
    await writeOAuthLogin(dir, login("https://a.example/v2/mcp", "linear"));
    const all = await listOAuthLogins(dir);
    assert.deepEqual(all.map((l) => [l.server, l.serverUrl]), [
      ["linear", "https://a.example/mcp"],
      ["linear", "https://a.example/v2/mcp"],
      ["notion", "https://b.example/mcp"],
    ]);
    assert.equal(all[0]!.expiresAt, "2026-12-07T11:00:00.000Z");
    assert.equal(all[0]!.issuer, "https://auth.example/");
    assert.equal(all[0]!.refreshable, true);
    assert.doesNotMatch(JSON.stringify(all), /secret/);
    assert.equal((await removeOAuthLogins(dir, { url: new URL("https://a.example/v2/mcp") })).length, 1);
    assert.equal((await removeOAuthLogins(dir, { server: "linear" })).length, 1);
    assert.deepEqual((await listOAuthLogins(dir)).map((l) => l.server), ["notion"]);
    // A broken file goes too when its URL is named.
    await Deno.writeTextFile(oauthLoginFile(dir, new URL("https://c.example/mcp")), "{", { mode: 0o600 });
    assert.equal((await removeOAuthLogins(dir, { url: new URL("https://c.example/mcp") })).length, 1);
    assert.deepEqual(await removeOAuthLogins(dir, { server: "nobody" }), []);
  });
});
