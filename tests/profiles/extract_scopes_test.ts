import assert from "node:assert/strict";
import { loadSqlParsers } from "../../src/sql/mod.ts";
import {
  defineServerProfile,
  extractScopes,
  matchServerProfile,
  type ServerProfileDescriptor,
  validateServerProfile,
} from "../../src/profiles/mod.ts";

await loadSqlParsers();

const profile: ServerProfileDescriptor = {
  apiVersion: 1,
  server: "test",
  match: {
    packages: ["@acme/test-mcp"],
    commands: ["test-mcp"],
    urls: ["https://mcp.acme.test/*"],
    names: ["test*"],
  },
  tools: {
    get_repo: { classes: ["read"], scopes: { repos: { owner: "/owner", repo: "/repo" } } },
    by_name: { scopes: { repos: { fullName: "/repository" } } },
    clone: { scopes: { repos: [{ url: "/url" }, { url: "/remotes/*" }] } },
    send: { scopes: { recipients: ["/to", "/cc", "/bcc", "/forward/address"] } },
    post: { scopes: { channels: ["/channel"] } },
    query: { scopes: { tables: { sql: "/sql" } } },
    describe: { scopes: { tables: { names: ["/table"] } } },
    kube_get: {
      scopes: {
        namespaces: [{ from: "/namespace", default: "default" }, { from: "/allNamespaces", ifTrue: "*" }],
        kinds: ["/resourceType"],
      },
    },
    kube_apply: {
      scopes: { manifests: ["/manifest"], namespaces: [{ from: "/namespace", default: "default" }] },
    },
    "fetch*": { scopes: { hosts: ["/url"] } },
    "*": { scopes: { repos: { owner: "/o", repo: "/r" } } },
  },
};

const scopes = (tool: string, args: Record<string, unknown>) => extractScopes(profile, tool, args);

Deno.test("extractScopes() reads owner+repo, lowercased, and refuses a traversal in either", () => {
  assert.deepEqual(scopes("get_repo", { owner: "Octo-Org", repo: "Site.io" }).repos, ["octo-org/site.io"]);
  const t = scopes("get_repo", { owner: "octo", repo: "../../other/evil" });
  assert.deepEqual(t.repos, []);
  assert.equal(t.unreadable.length, 1);
  assert.match(t.unreadable[0]!, /^\/repo: /);
  assert.equal(scopes("get_repo", { owner: "octo", repo: ".." }).unreadable.length, 1);
  assert.match(scopes("get_repo", { repo: "site" }).unreadable[0] ?? "", /exactly one owner/);
  assert.deepEqual(
    scopes("get_repo", {}).unreadable,
    [],
    "no repository arguments: no scope, nothing unreadable",
  );
});

Deno.test("extractScopes() reads full names including GitLab subgroups", () => {
  assert.deepEqual(scopes("by_name", { repository: "Octo/Site" }).repos, ["octo/site"]);
  assert.deepEqual(scopes("by_name", { repository: "group/sub/proj" }).repos, ["group/sub/proj"]);
  assert.equal(scopes("by_name", { repository: "justone" }).unreadable.length, 1);
});

Deno.test("extractScopes() reads repository URLs and git remotes on GitHub, GitLab and other servers", () => {
  const cases: [string, string][] = [
    ["https://github.com/Octo/Site.git", "octo/site"],
    ["https://github.com/octo/site/tree/main/src", "octo/site"],
    ["git@github.com:octo/site.git", "octo/site"],
    ["ssh://git@github.com/octo/site", "octo/site"],
    ["https://api.github.com/repos/octo/site", "octo/site"],
    ["https://gitlab.com/group/sub/proj/-/tree/main", "gitlab.com/group/sub/proj"],
    ["git@gitlab.com:group/sub/proj.git", "gitlab.com/group/sub/proj"],
    ["ssh://git@git.example.org:2222/team/repo.git", "git.example.org/team/repo"],
    ["git://git.kernel.org/pub/scm/git/git.git", "git.kernel.org/pub/scm/git/git"],
    ["origin\thttps://github.com/octo/site.git (fetch)", "octo/site"],
    ["https://user:token@github.com/octo/site", "octo/site"],
  ];
  for (const [url, want] of cases) assert.deepEqual(scopes("clone", { url }).repos, [want], url);
  for (
    const bad of [
      "/home/u/repo",
      "file:///tmp/repo",
      "ext::sh -c evil",
      "https://github.com/octo",
      "not a url",
    ]
  ) {
    const got = scopes("clone", { url: bad });
    assert.deepEqual(got.repos, [], bad);
    assert.equal(got.unreadable.length, 1, bad);
  }
  assert.deepEqual(
    scopes("clone", { remotes: ["https://github.com/a/b", "git@github.com:c/d.git"] }).repos,
    ["a/b", "c/d"],
  );
});

Deno.test("extractScopes() reads recipients in every form, with their domains", () => {
  const got = scopes("send", {
    to: "Bob <Bob@Example.com>",
    cc: ["carol@corp.test", '"Doe, John" <john@corp.test>'],
    bcc: "a@x.test; b@y.test",
    forward: { address: "evil@attacker.test" },
  });
  assert.deepEqual(got.recipients, [
    "a@x.test",
    "b@y.test",
    "bob@example.com",
    "carol@corp.test",
    "evil@attacker.test",
    "john@corp.test",
  ]);
  assert.deepEqual(got.recipientDomains, ["attacker.test", "corp.test", "example.com", "x.test", "y.test"]);
  assert.deepEqual(got.unreadable, []);
  assert.deepEqual(scopes("send", { to: "Bob@Exämple.com" }).recipientDomains, ["xn--exmple-cua.com"]);
});

Deno.test("extractScopes() lists a recipient it cannot read, and a header injection", () => {
  assert.equal(scopes("send", { to: "bob" }).unreadable.length, 1);
  assert.equal(scopes("send", { to: "a@b.test\nBcc: evil@x.test" }).unreadable.length, 1);
  assert.equal(scopes("send", { cc: [42] }).unreadable.length, 1);
});

Deno.test("extractScopes() reads channels without the leading #", () => {
  assert.deepEqual(scopes("post", { channel: "#General" }).channels, ["general"]);
});

Deno.test("extractScopes() reads tables from SQL and classifies it", () => {
  const got = scopes("query", { sql: "SELECT * FROM public.users u JOIN orders o ON true" });
  assert.deepEqual(got.tables, ["orders", "public.users"]);
  assert.equal(got.sql[0]?.readOnly, true);
  const w = scopes("query", { sql: "COMMIT; DROP TABLE users" });
  assert.equal(w.sql[0]?.readOnly, false);
  assert.equal(w.sql[0]?.statements, 2);
  assert.equal(scopes("query", { sql: "SELEC oops" }).unreadable.length, 1);
  assert.deepEqual(scopes("describe", { table: "users" }).tables, ["users"]);
});

Deno.test("extractScopes() gives the server's default namespace and reads all-namespaces flags", () => {
  assert.deepEqual(scopes("kube_get", { resourceType: "Pods" }), {
    matched: "kube_get",
    repos: [],
    recipients: [],
    recipientDomains: [],
    channels: [],
    tables: [],
    namespaces: ["default"],
    kinds: ["pods"],
    hosts: [],
    sql: [],
    unreadable: [],
  });
  assert.deepEqual(scopes("kube_get", { resourceType: "pods", allNamespaces: true }).namespaces, [
    "*",
    "default",
  ]);
  assert.deepEqual(scopes("kube_get", { resourceType: "pods", namespace: "prod" }).namespaces, ["prod"]);
});

Deno.test("extractScopes() reads kinds and namespaces from every manifest document", () => {
  const manifest = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: kube-system}\n---\n" +
    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n";
  const got = scopes("kube_apply", { manifest });
  assert.deepEqual(got.kinds, ["deployment", "secret"]);
  assert.deepEqual(got.namespaces, ["default", "kube-system"]);
  assert.equal(scopes("kube_apply", { manifest: "kind: [unclosed" }).unreadable.length, 1);
  assert.equal(scopes("kube_apply", { manifest: "just: text" }).unreadable.length, 1, "no kind");
});

Deno.test("extractScopes() reads hosts through a glob entry and marks a non-URL unreadable", () => {
  const got = scopes("fetch_page", { url: "https://Docs.Example.com:8443/x" });
  assert.equal(got.matched, "fetch*");
  assert.deepEqual(got.hosts, ["docs.example.com"]);
  assert.equal(scopes("fetch_page", { url: "http://" }).unreadable.length, 1);
});

Deno.test("extractScopes() prefers the exact tool entry, then globs in order, and reports unknown tools", () => {
  assert.equal(scopes("get_repo", {}).matched, "get_repo");
  assert.equal(scopes("anything_else", { o: "a", r: "b" }).matched, "*");
  const none = extractScopes({ ...profile, tools: {} }, "x", {});
  assert.equal(none.matched, undefined);
});

Deno.test("validateServerProfile() rejects an unknown apiVersion, unknown keys, bad pointers and failing samples", () => {
  assert.match(
    validateServerProfile({ ...profile, apiVersion: 2 })[0]?.message ?? "",
    /unsupported apiVersion 2/,
  );
  assert.match(
    JSON.stringify(validateServerProfile({ ...profile, tool: {} })),
    /unknown key\(s\) \\"tool\\"/,
  );
  assert.ok(validateServerProfile({ ...profile, tools: { x: { scopes: { hosts: ["url"] } } } }).length > 0);
  assert.ok(validateServerProfile({ ...profile, tools: { x: { classes: ["launch"] } } }).length > 0);
  const failing = {
    ...profile,
    samples: [{ tool: "get_repo", args: { owner: "a", repo: "b" }, want: { repos: ["a/c"] } }],
  };
  assert.match(validateServerProfile(failing)[0]?.message ?? "", /the sample wants \["a\/c"\]/);
  assert.throws(
    () => defineServerProfile(failing as ServerProfileDescriptor),
    /Invalid server profile "test"/,
  );
  assert.deepEqual(validateServerProfile(profile), []);
});

Deno.test("matchServerProfile() finds a profile by package, command or URL before a name", () => {
  const other: ServerProfileDescriptor = {
    apiVersion: 1,
    server: "other",
    match: { names: ["*"] },
    tools: {},
  };
  const ps = [other, profile];
  assert.equal(
    matchServerProfile(ps, { command: "npx", args: ["-y", "@acme/test-mcp@1.2.3"] })?.profile.server,
    "test",
  );
  assert.equal(matchServerProfile(ps, { command: "/usr/local/bin/test-mcp" })?.by, "command");
  assert.equal(matchServerProfile(ps, { url: "https://mcp.acme.test/v1" })?.by, "url");
  assert.equal(matchServerProfile(ps, { name: "anything", command: "node" })?.profile.server, "other");
  assert.equal(matchServerProfile([profile], { name: "unrelated" }), undefined);
});
