import assert from "node:assert/strict";
import { parse } from "yaml";
import { canonicalizeCall } from "../canonical/mod.ts";
import { compileV2 } from "../policy/compile_v2.ts";
import { PolicyV2Schema } from "../policy/schema_v2.ts";
import { loadSqlParsers } from "../sql/mod.ts";
import {
  allowedByClass,
  approvalByClass,
  type CallV2,
  checkDeniedClasses,
  checkGuardPacks,
  checkReach,
  toolClasses,
} from "./_policy_v2.ts";

await loadSqlParsers();

const CWD = "/proj";
const HOME = "/home/user";

function v2(yaml: string) {
  return compileV2(PolicyV2Schema.parse(parse(yaml)), { baseDir: CWD, home: HOME });
}
function call(
  server: string,
  tool: string,
  args: Record<string, unknown>,
  extra: Partial<CallV2> = {},
): CallV2 {
  return {
    ...canonicalizeCall({ server, tool, arguments: args }, { cwd: CWD, home: HOME }),
    arguments: args,
    ...extra,
  };
}
function reach(yaml: string, server: string, tool: string, args: Record<string, unknown>) {
  const p = v2(yaml);
  return checkReach(p.servers.get(server)!, call(server, tool, args));
}

Deno.test("checkReach() denies a failed argument condition with a rule id naming the argument", () => {
  const y = `version: 2
servers:
  db:
    tools:
      query:
        arguments:
          sql: { max_length: 20 }
          limit: { min: 1, max: 100 }
`;
  const ok = reach(y, "db", "query", { sql: "SELECT 1", limit: 10 });
  assert.equal(ok.deny, undefined);
  assert.deepEqual(ok.held, [
    "servers.db.tools.query.arguments.sql",
    "servers.db.tools.query.arguments.limit",
  ]);
  const long = reach(y, "db", "query", { sql: "SELECT * FROM users WHERE id = 1" });
  assert.deepEqual(long.deny?.ruleIds, ["servers.db.tools.query.arguments.sql"]);
  assert.match(long.deny!.reason, /max_length/);
  const big = reach(y, "db", "query", { sql: "SELECT 1", limit: "1000" });
  assert.deepEqual(big.deny?.ruleIds, ["servers.db.tools.query.arguments.limit"]);
  assert.match(big.deny!.reason, /above max 100/);
  assert.match(reach(y, "db", "query", { limit: "lots" }).deny!.reason, /not a number/);
});

Deno.test("checkReach() judges enum, glob, regex, prefix, required and forbidden; arrays item by item", () => {
  const y = `version: 2
servers:
  gh:
    tools:
      create_issue:
        arguments:
          owner: { enum: [octo-org], required: true }
          title: { regex: "^[A-Za-z0-9 ]+$" }
          labels: { glob: "team-*" }
          branch: { prefix: [feature/, fix/] }
          assignee: { forbidden: true }
`;
  const base = { owner: "octo-org", title: "Fix it", labels: ["team-a", "team-b"], branch: "fix/x" };
  assert.equal(reach(y, "gh", "create_issue", base).deny, undefined);
  const cases: [Record<string, unknown>, string][] = [
    [{ ...base, owner: "evil" }, "enum"],
    [{ ...base, owner: undefined }, "required"],
    [{ ...base, title: "x; rm -rf" }, "regex"],
    [{ ...base, labels: ["team-a", "other"] }, "glob"],
    [{ ...base, branch: "main" }, "prefix"],
    [{ ...base, assignee: "mallory" }, "forbidden"],
    [{ ...base, owner: { login: "octo-org" } }, "enum"],
  ];
  for (const [args, cond] of cases) {
    const d = reach(y, "gh", "create_issue", args).deny;
    assert.ok(d, `${cond} must deny`);
    assert.match(d.reason, new RegExp(`\\(${cond} of`), d.reason);
  }
  // A name variant of the tool gets the same rules (folded names).
  assert.ok(reach(y, "gh", "Create_Issue", { ...base, owner: "evil" }).deny);
});

Deno.test("checkReach() any and all over arrays, and JSON pointer keys", () => {
  const y = `version: 2
servers:
  mail:
    tools:
      send_email:
        arguments:
          to: { all: { glob: "*@example.com" } }
          /headers/*: { max_length: 10 }
          tags: { any: { enum: [reviewed] } }
`;
  const ok = { to: ["a@example.com"], headers: { a: "short" }, tags: ["x", "reviewed"] };
  assert.equal(reach(y, "mail", "send_email", ok).deny, undefined);
  assert.match(
    reach(y, "mail", "send_email", { ...ok, to: ["a@example.com", "b@evil.test"] }).deny!.reason,
    /all\.glob/,
  );
  assert.match(
    reach(y, "mail", "send_email", { ...ok, headers: { a: "x".repeat(11) } }).deny!.reason,
    /headers\/a/,
  );
  assert.match(reach(y, "mail", "send_email", { ...ok, tags: ["x"] }).deny!.reason, /any/);
});

Deno.test("checkReach() path and host conditions judge what the canonicalizer resolved", () => {
  const y = `version: 2
servers:
  fs:
    tools:
      write_file:
        arguments:
          path: { path: { allowed: [./src], denied: [./src/secrets] } }
  web:
    tools:
      fetch:
        arguments:
          url: { host: { allowed: ["*.example.com"], denied: [evil.example.com] } }
`;
  assert.equal(reach(y, "fs", "write_file", { path: "src/a.ts" }).deny, undefined);
  assert.match(reach(y, "fs", "write_file", { path: "src/../../etc/passwd" }).deny!.reason, /outside/);
  assert.match(reach(y, "fs", "write_file", { path: "./src/secrets/k" }).deny!.reason, /denied/);
  assert.equal(reach(y, "web", "fetch", { url: "https://docs.example.com/a" }).deny, undefined);
  assert.match(reach(y, "web", "fetch", { url: "https://evil.example.com/" }).deny!.reason, /denied/);
  assert.match(reach(y, "web", "fetch", { url: "https://attacker.test/" }).deny!.reason, /not in/);
  // An IPv4 spelled as a decimal number is read by the canonicalizer, so an allowlist cannot be dodged.
  assert.ok(reach(y, "web", "fetch", { url: "http://2130706433/" }).deny);
});

Deno.test("checkReach() scopes: repos through the github profile, unreadable values fail closed", () => {
  const y = `version: 2
servers:
  github:
    scopes: { repos: ["octo-org/*"] }
`;
  assert.equal(
    reach(y, "github", "get_issue", { owner: "Octo-Org", repo: "site", issue_number: 1 }).deny,
    undefined,
  );
  const other = reach(y, "github", "create_issue", { owner: "evil-org", repo: "x", title: "t" });
  assert.deepEqual(other.deny?.ruleIds, ["servers.github.scopes.repos"]);
  const fork = reach(y, "github", "fork_repository", {
    owner: "octo-org",
    repo: "app",
    organization: "evil-org",
  });
  assert.match(fork.deny!.reason, /evil-org\/app/);
  const bad = reach(y, "github", "create_or_update_file", { owner: "octo-org", repo: "../../x", path: "a" });
  assert.deepEqual(bad.deny?.ruleIds, ["servers.github.scopes"]);
  assert.match(bad.deny!.reason, /cannot be read/);
});

Deno.test("checkReach() scopes without a profile fail closed; hosts need none", () => {
  const y = `version: 2
servers:
  custom:
    scopes: { repos: ["a/*"] }
  web:
    scopes: { hosts: ["*.example.com"] }
`;
  assert.match(reach(y, "custom", "anything", {}).deny!.reason, /no server profile/);
  assert.equal(reach(y, "web", "fetch", { url: "https://a.example.com" }).deny, undefined);
  assert.deepEqual(reach(y, "web", "fetch", { url: "https://b.test" }).deny?.ruleIds, [
    "servers.web.scopes.hosts",
  ]);
});

Deno.test("checkReach() read-only SQL from the profile and from sql: read_only, with table scopes", () => {
  const y = `version: 2
servers:
  postgres:
    tools:
      query:
        scopes: { tables: ["public.*"], schemas: [public] }
  warehouse:
    tools:
      run_sql:
        sql: read_only
`;
  assert.equal(reach(y, "postgres", "query", { sql: "SELECT * FROM public.orders" }).deny, undefined);
  const stacked = reach(y, "postgres", "query", { sql: "COMMIT; DROP TABLE public.orders" });
  assert.deepEqual(stacked.deny?.ruleIds, ["profile/postgres/query/read-only-sql"]);
  const other = reach(y, "postgres", "query", { sql: "SELECT * FROM billing.cards" });
  assert.deepEqual(other.deny?.ruleIds, ["servers.postgres.tools.query.scopes.tables"]);
  assert.ok(reach(y, "warehouse", "run_sql", { query: "DELETE FROM t" }).deny);
  assert.equal(reach(y, "warehouse", "run_sql", { query: "SELECT 1" }).deny, undefined);
  assert.match(reach(y, "warehouse", "run_sql", {}).deny!.reason, /no SQL/);
});

Deno.test("tool classes: class entries deny, approve and allow; annotations only tighten", () => {
  const p = v2(`version: 2
servers:
  github:
    allowed_tools: [class:read]
    denied_tools: [class:delete]
approvals:
  require_human_approval: [github.class:send]
`);
  const s = p.servers.get("github")!;
  assert.deepEqual(checkDeniedClasses(s, call("github", "delete_repository", {}))?.ruleIds, [
    "servers.github.denied_tools[0]",
  ]);
  assert.equal(approvalByClass(p, s, call("github", "create_issue", {}))?.entry, "github.class:send");
  assert.equal(allowedByClass(s, call("github", "get_issue", {}))?.entry, "class:read");
  // A server that says its delete tool only reads cannot loosen anything...
  const lying = call("github", "frobnicate", {}, { annotations: { readOnlyHint: true } });
  assert.equal(allowedByClass(s, lying), undefined);
  // ...but a hint can tighten: a read tool that says it is destructive is denied.
  const hinted = call("github", "get_issue", {}, { annotations: { destructiveHint: true } });
  assert.ok(toolClasses(s, hinted).wide.has("delete"));
  assert.ok(checkDeniedClasses(s, hinted));
  // The hint also takes "read" away from the allow side (the strict set is what every source agrees on).
  assert.equal(allowedByClass(s, hinted), undefined);
});

Deno.test("checkGuardPacks() denies dangerous argument values unless the policy switches the guard off", () => {
  const on = v2("version: 2\nservers: {}\n");
  const c = call("git", "git_clone", { args: ["--upload-pack=touch /tmp/pwned", "repo"] });
  assert.match(checkGuardPacks(on, c)!.ruleIds[0]!, /^dangerous-arguments\//);
  const off = v2("version: 2\nservers: {}\nguards: { dangerous-arguments: false }\n");
  assert.equal(checkGuardPacks(off, c), undefined);
  const oneOff = v2(`version: 2\nservers: {}\nguards: { ${checkGuardPacks(on, c)!.ruleIds[0]}: false }\n`);
  assert.equal(checkGuardPacks(oneOff, c), undefined);
});

Deno.test("per-tool plans: one compiled policy judges the same tool under other hints and profiles as a fresh one", () => {
  const y = `version: 2
servers:
  github:
    allowed_tools: [class:read]
    denied_tools: [class:delete]
    tools:
      "class:write":
        arguments:
          title: { max_length: 5 }
`;
  const shared = v2(y);
  const s = shared.servers.get("github")!;
  const hints = [
    undefined,
    { readOnlyHint: true },
    { readOnlyHint: false },
    { readOnlyHint: false, destructiveHint: false },
    { destructiveHint: true },
    { openWorldHint: true },
    { readOnlyHint: "yes" as unknown as boolean },
  ];
  // Twice over, so the second round reads every plan from the cache.
  for (let round = 0; round < 2; round++) {
    for (const tool of ["get_issue", "update_issue", "delete_repo", "create_pull_request"]) {
      for (const annotations of hints) {
        const c = call("github", tool, { title: "a long title" }, annotations ? { annotations } : {});
        const fresh = v2(y).servers.get("github")!;
        const key = `${tool} ${JSON.stringify(annotations)} round ${round}`;
        assert.deepEqual([...toolClasses(s, c).wide].sort(), [...toolClasses(fresh, c).wide].sort(), key);
        assert.deepEqual([...toolClasses(s, c).strict].sort(), [...toolClasses(fresh, c).strict].sort(), key);
        assert.deepEqual(checkDeniedClasses(s, c), checkDeniedClasses(fresh, c), key);
        assert.deepEqual(allowedByClass(s, c), allowedByClass(fresh, c), key);
        assert.deepEqual(checkReach(s, c), checkReach(fresh, c), key);
      }
    }
  }
});
