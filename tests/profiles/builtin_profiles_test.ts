import assert from "node:assert/strict";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";
import { extractScopes, matchServerProfile, validateServerProfile } from "../../src/profiles/mod.ts";

Deno.test("BUILTIN_PROFILES are valid, have unique server ids, cite sources and carry samples", () => {
  const ids = new Set<string>();
  for (const p of BUILTIN_PROFILES) {
    assert.deepEqual(validateServerProfile(p), [], p.server);
    assert.ok(!ids.has(p.server), `duplicate ${p.server}`);
    ids.add(p.server);
    assert.ok((p.sources ?? []).length > 0, `${p.server} cites where its names come from`);
    assert.ok((p.samples ?? []).length > 0, `${p.server} has samples`);
  }
  for (
    const want of [
      "filesystem",
      "mcp-server-git",
      "fetch",
      "memory",
      "everything",
      "github",
      "postgres",
      "sqlite",
      "slack",
      "gmail",
      "kubernetes",
      "playwright",
      "puppeteer",
      "desktop-commander",
    ]
  ) assert.ok(ids.has(want), `a profile for ${want}`);
});

Deno.test("BUILTIN_PROFILES are found from real launch commands", () => {
  const find = (server: Parameters<typeof matchServerProfile>[1]) =>
    matchServerProfile(BUILTIN_PROFILES, server)?.profile.server;
  assert.equal(
    find({ command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/w"] }),
    "filesystem",
  );
  assert.equal(find({ command: "uvx", args: ["mcp-server-git", "--repository", "/w"] }), "mcp-server-git");
  assert.equal(
    find({ command: "docker", args: ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server:v1.2.0"] }),
    "github",
  );
  assert.equal(find({ url: "https://api.githubcopilot.com/mcp/" }), "github");
  assert.equal(find({ command: "npx", args: ["@playwright/mcp@latest"] }), "playwright");
  assert.equal(find({ command: "npx", args: ["-y", "mcp-server-kubernetes"] }), "kubernetes");
  assert.equal(find({ name: "postgres-prod", command: "node", args: ["custom.js"] }), "postgres");
  assert.equal(find({ name: "unknown-thing", command: "node", args: ["x.js"] }), undefined);
});

Deno.test("BUILTIN_PROFILES read the scopes the #18 attacks use", () => {
  const byId = (id: string) => BUILTIN_PROFILES.find((p) => p.server === id)!;
  // A token used on a repository the agent was never meant to touch.
  assert.deepEqual(
    extractScopes(byId("github"), "create_or_update_file", { owner: "victim", repo: "secrets", path: "a" })
      .repos,
    ["victim/secrets"],
  );
  // A bcc to an outside domain.
  assert.deepEqual(
    extractScopes(byId("gmail"), "send_email", { to: ["me@corp.test"], bcc: ["x@evil.test"] })
      .recipientDomains,
    ["corp.test", "evil.test"],
  );
  // A read-only query tool that commits and drops.
  const q = extractScopes(byId("postgres"), "query", { sql: "COMMIT; DROP TABLE users" });
  assert.equal(q.sql[0]?.readOnly, false);
  // A Kubernetes call on another namespace through a manifest.
  assert.deepEqual(
    extractScopes(byId("kubernetes"), "kubectl_apply", {
      namespace: "dev",
      manifest: "kind: Secret\nmetadata: {name: s, namespace: prod}\n",
    }).namespaces,
    ["dev", "prod"],
  );
  // A fetch to an attacker's host.
  assert.deepEqual(extractScopes(byId("fetch"), "fetch", { url: "https://attacker.test/x" }).hosts, [
    "attacker.test",
  ]);
  // A send_message on a Slack channel.
  assert.deepEqual(
    extractScopes(byId("slack"), "slack_post_message", { channel_id: "C9", text: "x" }).channels,
    ["c9"],
  );
});

Deno.test("the built-in profiles' SQL samples hold with the SQL parsers loaded", async () => {
  const { loadSqlParsers } = await import("../../src/sql/mod.ts");
  const { validateServerProfile } = await import("../../src/profiles/server_profile.ts");
  const { postgres } = await import("../../profiles/databases.ts");
  await loadSqlParsers();
  const issues = validateServerProfile(postgres);
  if (issues.length > 0) throw new Error(JSON.stringify(issues));
});
