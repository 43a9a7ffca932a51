import assert from "node:assert/strict";
import { canonicalizeCall } from "../canonical/mod.ts";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";
import { type SessionRule, SessionRulesSchema } from "../policy/session_rules_schema.ts";
import {
  advanceSession,
  MAX_SESSION_VALUES,
  newSessionState,
  type SessionCall,
  sessionCallOf,
  type SessionOutcome,
  type SessionState,
  sessionVerdict,
} from "./session_rules.ts";
import type { Decision } from "./types.ts";

const RULES: SessionRule[] = SessionRulesSchema.parse([
  {
    id: "untrusted-then-send",
    after: { untrusted: true, open_world: true, classes: ["network"], tools: ["github.get_issue"] },
    then: { classes: ["send"], other_scope: ["write", "delete"], new_host: ["network"] },
    verdict: "approve",
  },
  {
    id: "no-exec-after-web",
    after: { tools: ["web.*"] },
    then: { classes: ["exec"] },
    verdict: "deny",
  },
]);

const ALLOW: Decision = { verdict: "allow", ruleIds: ["servers.x"], reason: "ok", errors: [] };
const APPROVE: Decision = {
  verdict: "approve",
  ruleIds: ["approvals.require_human_approval[0]"],
  reason: "ask",
  errors: [],
};
const DENY: Decision = { verdict: "deny", ruleIds: ["servers.x.denied_tools[0]"], reason: "no", errors: [] };

const c = (
  server: string,
  tool: string,
  classes: SessionCall["classes"],
  more: Partial<SessionCall> = {},
) => ({
  server,
  tool,
  classes,
  hosts: [],
  scopes: {},
  ...more,
});
const issue = c("github", "get_issue", ["read"], { untrusted: true, scopes: { repos: ["acme/app"] } });
const readPrivate = c("github", "get_file_contents", ["read"], { scopes: { repos: ["acme/private"] } });
const pushApp = c("github", "push_files", ["write"], { scopes: { repos: ["acme/app"] } });
const pushOther = c("github", "push_files", ["write"], { scopes: { repos: ["acme/infra"] } });
const pushUnknown = c("github", "push_files", ["write"], { scopes: undefined });
const mail = c("gmail", "send_email", ["send"], { scopes: { recipientDomains: ["evil.example"] } });
const fetchDocs = c("web", "fetch", ["network", "read"], { hosts: ["docs.example.com"] });
const fetchEvil = c("web", "fetch", ["network", "read"], { hosts: ["evil.example"] });
const openWorld = c("search", "lookup", ["read"], { openWorld: true });
const shell = c("shell", "run", ["exec"]);
const readFile = c("filesystem", "read_text_file", ["read"], { scopes: {} });

interface Row {
  name: string;
  before: [SessionCall, SessionOutcome?][];
  call: SessionCall;
  base?: Decision;
  want: Decision["verdict"];
  rule?: string;
  reason?: RegExp;
}

const ROWS: Row[] = [
  { name: "nothing armed: a send stays allowed", before: [[readFile]], call: mail, want: "allow" },
  {
    name: "untrusted issue, then mail: approve",
    before: [[issue]],
    call: mail,
    want: "approve",
    rule: "session_rules[0]/untrusted-then-send",
    reason:
      /^github\.get_issue returned untrusted content earlier in this session .*sending mail or messages with gmail\.send_email \(class send\) now needs approval/,
  },
  {
    name: "untrusted issue blocked (never answered): nothing armed",
    before: [[issue, "blocked"]],
    call: mail,
    want: "allow",
  },
  { name: "a send before the untrusted read is not judged later", before: [], call: mail, want: "allow" },
  {
    name: "untrusted issue, then a write to the same repository: allow",
    before: [[issue]],
    call: pushApp,
    want: "allow",
  },
  {
    name: "untrusted issue, then a write to another repository: approve",
    before: [[issue]],
    call: pushOther,
    want: "approve",
    reason: /writing with github\.push_files on repository "acme\/infra"/,
  },
  {
    name: "toxic flow: issue, private read, write to the private repository: approve",
    before: [[issue], [readPrivate]],
    call: c("github", "create_or_update_file", ["write"], { scopes: { repos: ["acme/private"] } }),
    want: "approve",
  },
  {
    name: "a repository seen before the untrusted read stays writable",
    before: [[c("github", "list_commits", ["read"], { scopes: { repos: ["acme/infra"] } })], [issue]],
    call: pushOther,
    want: "allow",
  },
  {
    name: "a write whose scopes cannot be read counts as another scope (fail closed)",
    before: [[issue]],
    call: pushUnknown,
    want: "approve",
    reason: /its scopes cannot be read/,
  },
  {
    name: "network fetch arms; the same host again: allow",
    before: [[fetchDocs]],
    call: c("web", "fetch", ["network", "read"], { hosts: ["docs.example.com"] }),
    want: "allow",
  },
  {
    name: "network fetch arms; a new host: approve (and the web rule does not catch a fetch)",
    before: [[fetchDocs]],
    call: fetchEvil,
    want: "approve",
    reason: /to host "evil\.example"/,
  },
  {
    name: "openWorldHint arms",
    before: [[openWorld]],
    call: mail,
    want: "approve",
  },
  {
    name: "deny rule wins over approve rule",
    before: [[fetchDocs]],
    call: c("shell", "run", ["exec", "send"]),
    want: "deny",
    rule: "session_rules[1]/no-exec-after-web",
  },
  { name: "deny rule: exec after web", before: [[fetchDocs]], call: shell, want: "deny" },
  {
    name: "an approve base stays approve under an approve rule",
    before: [[issue]],
    call: mail,
    base: APPROVE,
    want: "approve",
    rule: "approvals.require_human_approval[0]",
  },
  {
    name: "an approve base becomes deny under a deny rule",
    before: [[fetchDocs]],
    call: shell,
    base: APPROVE,
    want: "deny",
  },
  { name: "a deny base is never loosened", before: [], call: mail, base: DENY, want: "deny" },
  { name: "a deny base stays deny when armed", before: [[issue]], call: readFile, base: DENY, want: "deny" },
  { name: "reads stay allowed after untrusted content", before: [[issue]], call: readFile, want: "allow" },
];

for (const row of ROWS) {
  Deno.test(`sessionVerdict(): ${row.name}`, () => {
    let s: SessionState = newSessionState();
    for (const [call, outcome] of row.before) s = advanceSession(RULES, s, call, outcome ?? "answered");
    const d = sessionVerdict(RULES, s, row.call, row.base ?? ALLOW);
    assert.equal(d.verdict, row.want, d.reason);
    if (row.rule) assert.equal(d.ruleIds[0], row.rule);
    if (row.reason) assert.match(d.reason, row.reason);
    if (d.verdict !== (row.base ?? ALLOW).verdict) {
      assert.match(d.ruleIds[0]!, /^session_rules\[\d+\]\//);
      assert.deepEqual(d.ruleIds.slice(1), (row.base ?? ALLOW).ruleIds);
    }
  });
}

Deno.test("sessionVerdict() never loosens: any state, any call, any base", () => {
  const calls = [
    issue,
    readPrivate,
    pushApp,
    pushOther,
    pushUnknown,
    mail,
    fetchDocs,
    fetchEvil,
    openWorld,
    shell,
  ];
  const rank = { allow: 0, approve: 1, deny: 2 } as const;
  for (const a of calls) {
    for (const b of calls) {
      const s = advanceSession(RULES, advanceSession(RULES, newSessionState(), a, "answered"), b, "answered");
      for (const x of calls) {
        for (const base of [ALLOW, APPROVE, DENY]) {
          const d = sessionVerdict(RULES, s, x, base);
          assert.ok(rank[d.verdict] >= rank[base.verdict], `${a.tool},${b.tool} → ${x.tool}: ${d.verdict}`);
        }
      }
    }
  }
});

Deno.test("advanceSession() is pure, keeps the first arming and JSON round-trips", () => {
  const s0 = newSessionState();
  const s1 = advanceSession(RULES, s0, issue, "answered");
  assert.deepEqual(s0, newSessionState());
  assert.equal(s1.calls, 1);
  assert.deepEqual(s1.armed["session_rules[0]/untrusted-then-send"]?.scopes, ["repos:acme/app"]);
  const s2 = advanceSession(RULES, s1, openWorld, "answered");
  assert.equal(s2.armed["session_rules[0]/untrusted-then-send"]?.source, "github.get_issue");
  const back = JSON.parse(JSON.stringify(s2)) as SessionState;
  assert.deepEqual(sessionVerdict(RULES, back, mail, ALLOW), sessionVerdict(RULES, s2, mail, ALLOW));
  assert.equal(advanceSession(RULES, s2, mail, "blocked"), s2);
});

Deno.test("advanceSession() stops remembering at MAX_SESSION_VALUES, so later hosts count as new", () => {
  let s = newSessionState();
  const many = Array.from({ length: MAX_SESSION_VALUES + 5 }, (_, i) => `h${i}.example`);
  s = advanceSession(RULES, s, c("x", "y", ["read"], { hosts: many }), "answered");
  assert.equal(s.hosts.length, MAX_SESSION_VALUES);
  s = advanceSession(RULES, s, fetchDocs, "answered");
  assert.ok(!s.hosts.includes("docs.example.com"));
  const d = sessionVerdict(RULES, s, c("web", "fetch", ["network"], { hosts: ["docs.example.com"] }), ALLOW);
  assert.equal(d.verdict, "approve");
});

Deno.test("sessionCallOf() reads classes, scopes, hosts and untrusted from the built-in profiles", () => {
  const github = BUILTIN_PROFILES.find((p) => p.server === "github")!;
  const fetch = BUILTIN_PROFILES.find((p) => p.server === "fetch")!;
  const opts = { cwd: "/w", home: "/home/u" };
  const call = (server: string, tool: string, args: Record<string, unknown>) =>
    canonicalizeCall({ server, tool, arguments: args }, opts);
  const got = sessionCallOf(call("github", "get_issue", { owner: "Acme", repo: "App", issue_number: 1 }), {
    profile: github,
    arguments: { owner: "Acme", repo: "App", issue_number: 1 },
  });
  assert.equal(got.untrusted, true);
  assert.deepEqual(got.scopes?.repos, ["acme/app"]);
  assert.deepEqual(got.classes, ["read"]);
  const bad = { owner: "acme", repo: "../x" };
  assert.equal(
    sessionCallOf(call("github", "push_files", bad), { profile: github, arguments: bad }).scopes,
    undefined,
  );
  const f = sessionCallOf(call("fetch", "fetch", { url: "https://Evil.example/x" }), {
    profile: fetch,
    arguments: { url: "https://Evil.example/x" },
  });
  assert.deepEqual(f.hosts, ["evil.example"]);
  assert.ok(f.classes.includes("network"));
  const noProfile = sessionCallOf(call("mystery", "do_thing", {}), { annotations: { openWorldHint: true } });
  assert.equal(noProfile.scopes, undefined);
  assert.equal(noProfile.openWorld, true);
  const res = sessionCallOf(
    canonicalizeCall({ server: "s", method: "resources/read", params: { uri: "https://h.example/a" } }, opts),
  );
  assert.deepEqual([res.classes, res.hosts], [["read", "network"], ["h.example"]]);
});
