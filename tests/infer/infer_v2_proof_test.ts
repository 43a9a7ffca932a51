/**
 * Proofs for `infer --v2` (#18 item 8): what it learns (repositories, tables, read-only SQL, classes, the session
 * rule) allows the session it learned from, call by call and in order, and blocks the attacks on what it learned.
 */
import assert from "node:assert/strict";
import { canonicalizeCall } from "../../src/canonical/mod.ts";
import { decide, type Decision } from "../../src/decision/mod.ts";
import {
  advanceSession,
  newSessionState,
  sessionCallOf,
  sessionVerdict,
} from "../../src/decision/session_rules.ts";
import { inferPolicy, inferV2, renderPolicy, TraceAccumulator } from "../../src/infer/mod.ts";
import { type CompiledPolicy, compilePolicy, parsePolicy, type Policy } from "../../src/policy/mod.ts";
import { type SessionRule, sessionRulesOf } from "../../src/policy/session_rules_schema.ts";
import { matchServerProfile } from "../../src/profiles/mod.ts";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";
import { loadSqlParsers } from "../../src/sql/mod.ts";

const home = "/home/dev";
const P = "/home/dev/proj";

type Call = { server: string; tool: string; arguments: Record<string, unknown> };

let n = 0;
const event = (session: string, c: Call) =>
  JSON.stringify({
    v: 1,
    kind: "call",
    time: `2026-12-01T10:00:${String(n % 60).padStart(2, "0")}.000Z`,
    sessionId: session,
    server: c.server,
    mode: "record",
    direction: "client",
    method: "tools/call",
    id: ++n,
    tool: c.tool,
    arguments: c.arguments,
    cwd: P,
    decision: { verdict: "allow", ruleIds: ["policy/allow-all"], reason: "ok" },
    forwarded: true,
    latencyMs: 1,
    result: { outcome: "ok", isError: false, size: 10 },
  });
const toolsOf = (server: string, names: string[]) =>
  JSON.stringify({
    v: 1,
    kind: "tools",
    time: "2026-12-01T09:59:00.000Z",
    sessionId: "s0",
    server,
    mode: "record",
    method: "tools/list",
    tools: names.map((name) => ({ name })),
  });

const gh = (tool: string, repo: string, more: Record<string, unknown> = {}): Call => ({
  server: "github",
  tool,
  arguments: { owner: "acme", repo, ...more },
});
const sql = (text: string): Call => ({ server: "postgres", tool: "query", arguments: { sql: text } });

// The session infer learns from: work on acme/site, then an issue of acme/app is read (untrusted) and only
// reads follow it; a reporting query on the database.
const SESSION: Call[] = [
  gh("list_commits", "site"),
  gh("push_files", "site", { branch: "main", files: [], message: "m" }),
  sql("SELECT id, total FROM public.orders WHERE total > 10"),
  gh("get_issue", "app", { issue_number: 7 }),
  gh("get_file_contents", "app", { path: "README.md" }),
  sql("SELECT count(*) FROM public.orders"),
];

async function learn(sessions: Call[][]) {
  await loadSqlParsers();
  const acc = new TraceAccumulator({ cwd: P, home });
  const lines = [
    toolsOf("github", [
      "list_commits",
      "push_files",
      "get_issue",
      "get_file_contents",
      "create_issue",
      "delete_repository",
    ]),
    toolsOf("postgres", ["query"]),
    ...sessions.flatMap((s, i) => s.map((c) => event(`s${i + 1}`, c))),
  ];
  lines.forEach((l, i) => acc.addLine(l, { file: "t", line: i + 1 }));
  const r = inferPolicy(acc, { baseDir: P, home });
  const v2 = inferV2(r.policy, acc, r.comments);
  const text = renderPolicy(v2.policy, { comments: r.comments });
  const { policy } = parsePolicy(text, { file: "inferred.yaml" });
  return { acc, text, policy, added: v2.added, compiled: compilePolicy(policy, { baseDir: P, home }) };
}

/** The calls of one session judged in order: decide(), then the session rules with the state carried. */
function judgeSession(compiled: CompiledPolicy, rules: readonly SessionRule[], calls: Call[]): Decision[] {
  let state = newSessionState();
  return calls.map((c) => {
    const call = {
      ...canonicalizeCall({ server: c.server, tool: c.tool, arguments: c.arguments }, { cwd: P, home }),
      arguments: c.arguments,
    };
    const profile = matchServerProfile(BUILTIN_PROFILES, { name: c.server })?.profile;
    const sc = sessionCallOf(call, { arguments: c.arguments, profile });
    const d = sessionVerdict(rules, state, sc, decide(compiled, call));
    state = advanceSession(rules, state, sc, d.verdict === "deny" ? "blocked" : "answered");
    return d;
  });
}

/** The session rules the policy holds, or the learned one while the schema does not accept them yet. */
function rulesOf(policy: Policy, learned: { written: boolean; why: string }, fallback: SessionRule) {
  const rules = sessionRulesOf(policy);
  if (rules.length > 0) return rules;
  assert.match(learned.why, /does not accept session_rules yet/);
  return [fallback];
}

Deno.test("infer --v2 learns repositories, tables, read-only SQL, classes and the session rule, with evidence", async () => {
  const { text, policy, added } = await learn([SESSION]);
  const servers = policy.servers!;
  assert.equal(policy.version, 2);
  const github = servers.github as { scopes?: { repos?: string[] }; denied_tools?: string[] };
  assert.deepEqual(github.scopes?.repos, ["acme/app", "acme/site"]);
  assert.ok(github.denied_tools?.includes("class:delete"), JSON.stringify(github.denied_tools));
  const pg = servers.postgres as { scopes?: { tables?: string[] }; tools?: Record<string, { sql?: string }> };
  assert.deepEqual(pg.scopes?.tables, ["public.orders"]);
  assert.equal(pg.tools?.query?.sql, "read_only");
  assert.match(text, /acme\/app +# 2 call\(s\)/);
  assert.match(text, /each one statement that only reads/);
  assert.match(
    text,
    /classes used: read \(get_file_contents, get_issue, list_commits\), write \(push_files\)/,
  );
  assert.ok(
    added.sessionRule.written || /does not accept/.test(added.sessionRule.why),
    added.sessionRule.why,
  );
});

Deno.test("infer --v2: the session it learned from replays allowed, in order, with its session rules", async () => {
  const { policy, compiled, added, acc } = await learn([SESSION]);
  const rules = rulesOf(policy, added.sessionRule, acc.sessionRule.rule);
  const approvals = new Set(policy.approvals?.require_human_approval ?? []);
  judgeSession(compiled, rules, SESSION).forEach((d, i) => {
    const c = SESSION[i]!;
    const want = approvals.has(`${c.server}.${c.tool}`) ? "approve" : "allow";
    assert.equal(d.verdict, want, `${c.server}.${c.tool}: ${d.reason}`);
  });
});

Deno.test("infer --v2: what it learned blocks the attacks on it", async () => {
  const { policy, compiled, added, acc } = await learn([SESSION]);
  const one = (c: Call) => judgeSession(compiled, [], [c])[0]!;
  const attacks: [Call, RegExp][] = [
    [gh("push_files", "infra", { branch: "main", files: [], message: "m" }), /scopes\.repos/],
    [gh("delete_repository", "site"), /denied_tools/],
    [sql("SELECT 1; COMMIT; DROP TABLE public.orders"), /sql|read-only|tables/],
    [sql("SELECT * FROM public.secrets"), /scopes\.tables/],
    [sql("SELECT pg_read_file('/etc/passwd')"), /./],
  ];
  for (const [c, rule] of attacks) {
    const d = one(c);
    assert.equal(d.verdict, "deny", `${c.tool} ${JSON.stringify(c.arguments)}: ${d.reason}`);
    assert.match(d.ruleIds.join(" "), rule, d.reason);
  }
  // The toxic flow inside what was learned: after the untrusted issue, a push to acme/site (in scope, but not
  // touched in this session before the issue came in) needs a human.
  const rules = rulesOf(policy, added.sessionRule, acc.sessionRule.rule);
  const flow = judgeSession(compiled, rules, [
    gh("get_issue", "app", { issue_number: 9 }),
    gh("push_files", "site", { branch: "main", files: [], message: "m" }),
  ]);
  assert.equal(flow[0]!.verdict, "allow");
  assert.equal(flow[1]!.verdict, "approve", flow[1]!.reason);
  assert.match(flow[1]!.ruleIds[0]!, /^session_rules\[0\]\/untrusted-then-send$/);
});

Deno.test("infer --v2 writes no session rule when the trace sends after untrusted content, and says why", async () => {
  // acme/docs was not touched before the issue came in.
  const leak = [...SESSION, gh("push_files", "docs", { branch: "x", files: [], message: "m" })];
  const { policy, added, acc } = await learn([leak]);
  assert.equal(added.sessionRule.written, false);
  assert.match(added.sessionRule.why, /github\.push_files came after untrusted content in session s1/);
  assert.equal(acc.sessionRule.learned(), false);
  assert.deepEqual(sessionRulesOf(policy), []);
});

Deno.test("infer --v2 writes no scopes for a server whose learned call could not be read", async () => {
  const odd = [...SESSION, gh("list_commits", "../../x")];
  const { policy, text } = await learn([odd]);
  assert.equal((policy.servers!.github as { scopes?: unknown }).scopes, undefined);
  assert.match(text, /no scopes written: list_commits: \/repo/);
});
