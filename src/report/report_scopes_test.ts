import assert from "node:assert/strict";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";
import { loadSqlParsers } from "../sql/mod.ts";
import { emptyReportData, sampleReportData, XSS } from "../../tests/report/fixtures/report_data.ts";
import { redactReportData } from "./redact_report_data.ts";
import { renderReportHtml } from "./render_report_html.tsx";
import { renderReportJson } from "./render_report_json.ts";
import { renderReportText } from "./render_report_text.ts";
import type { ReportData, ReportScopes } from "./report_data.ts";
import { judgeScopeCall, MAX_REPORTED_SCOPE_VALUES, ScopeUseSummarizer } from "./report_scopes.ts";

await loadSqlParsers();

const POLICY = `version: 2
servers:
  github:
    scopes: { repos: ["octo-org/*"] }
    denied_tools: [delete_repository]
  postgres:
    tools:
      query:
        sql: read_only
        scopes: { tables: [public.orders] }
  gmail:
    scopes: { recipient_domains: [example.com] }
  fetch:
    tools:
      fetch: { scopes: { hosts: [docs.example.org] } }
  memory: {}
approvals:
  require_human_approval: [gmail.send_email]
`;

const compiled = compilePolicy(parsePolicy(POLICY, { file: "p.yaml" }).policy, {
  baseDir: "/proj",
  home: "/home/u",
});
const OPTS = { compiled, profiles: BUILTIN_PROFILES, home: "/home/u", cwd: "/proj" };

function scopesOf(
  calls: { server: string; tool: string; arguments: unknown }[],
  judged = true,
): ReportScopes {
  const s = new ScopeUseSummarizer();
  for (const c of calls) s.add(judgeScopeCall(c, judged ? OPTS : { ...OPTS, compiled: undefined }));
  return s.finish(judged);
}

function value(r: ReportScopes, server: string, kind: string, v: string) {
  return r.servers.find((s) => s.server === server)?.kinds.find((k) => k.kind === kind)?.values.find((x) =>
    x.value === v
  );
}

const CALLS = [
  { server: "github", tool: "get_issue", arguments: { owner: "Octo-Org", repo: "App", issue_number: 1 } },
  { server: "github", tool: "get_issue", arguments: { owner: "octo-org", repo: "app", issue_number: 2 } },
  { server: "github", tool: "get_issue", arguments: { owner: "evil-org", repo: "payload", issue_number: 1 } },
  { server: "github", tool: "delete_repository", arguments: { owner: "octo-org", repo: "site" } },
  {
    server: "postgres",
    tool: "query",
    arguments: { sql: "SELECT * FROM public.orders o JOIN public.users u ON true" },
  },
  { server: "postgres", tool: "query", arguments: { sql: "SELECT total FROM public.orders" } },
  { server: "gmail", tool: "send_email", arguments: { to: ["bob@example.com"], subject: "s", body: "b" } },
  { server: "gmail", tool: "send_email", arguments: { to: ["eve@evil.test"], subject: "s", body: "b" } },
  { server: "fetch", tool: "fetch", arguments: { url: "https://docs.example.org/a" } },
  { server: "fetch", tool: "fetch", arguments: { url: "https://evil.example.net/a" } },
  { server: "memory", tool: "read_graph", arguments: { url: "https://docs.example.org/b" } },
];

Deno.test("judgeScopeCall() reads scopes with the profile decide() uses and hands decide() that reading", () => {
  const j = judgeScopeCall(CALLS[2]!, OPTS);
  assert.equal(j.profile, "github");
  assert.deepEqual(j.scopes?.repos, ["evil-org/payload"]);
  assert.equal(j.decision?.verdict, "deny");
  assert.deepEqual(j.decision?.ruleIds, ["servers.github.scopes.repos"]);
  const fetch = judgeScopeCall(CALLS[8]!, OPTS);
  assert.deepEqual(fetch.decision?.ruleIds, ["servers.fetch.tools.fetch.scopes"]);
  assert.deepEqual(fetch.urlHosts, ["docs.example.org"]);
  assert.equal(judgeScopeCall(CALLS[2]!, { ...OPTS, compiled: undefined }).decision, undefined);
});

Deno.test("ScopeUseSummarizer counts the calls per value and takes each verdict from decide()", () => {
  const r = scopesOf(CALLS);
  assert.equal(r.judged, true);
  const app = value(r, "github", "repos", "octo-org/app")!;
  assert.equal(app.calls, 2, "owner and repo are read case-insensitively");
  assert.equal(app.verdict, "allowed");
  assert.deepEqual(app.ruleIds, ["servers.github.scopes"]);
  const evil = value(r, "github", "repos", "evil-org/payload")!;
  assert.equal(evil.verdict, "denied");
  assert.deepEqual(evil.ruleIds, ["servers.github.scopes.repos"]);
  // Denied by denied_tools before any scope rule: the scope verdict is not known.
  const site = value(r, "github", "repos", "octo-org/site")!;
  assert.equal(site.verdict, "undecided");
  assert.deepEqual(site.ruleIds, ["servers.github.denied_tools[0]"]);
  // Every table of the statement is named; the one outside denies, the one inside was not reached there.
  assert.equal(value(r, "postgres", "tables", "public.users")!.verdict, "denied");
  const orders = value(r, "postgres", "tables", "public.orders")!;
  assert.equal(orders.calls, 2);
  assert.deepEqual(orders.counts, { allowed: 1, denied: 0, unconstrained: 0, undecided: 1, unjudged: 0 });
  // An approval-listed tool: the scope rules held (they come before approvals), so the domain is allowed.
  assert.equal(value(r, "gmail", "recipient_domains", "example.com")!.verdict, "allowed");
  assert.equal(value(r, "gmail", "recipient_domains", "evil.test")!.verdict, "denied");
  assert.equal(value(r, "gmail", "recipients", "eve@evil.test")!.verdict, "undecided");
  // Hosts: judged by a hosts scope on fetch; on a server without scope rules they are unconstrained.
  assert.equal(value(r, "fetch", "hosts", "docs.example.org")!.verdict, "allowed");
  assert.equal(value(r, "fetch", "hosts", "evil.example.net")!.verdict, "denied");
  assert.deepEqual(value(r, "fetch", "hosts", "evil.example.net")!.ruleIds, [
    "servers.fetch.tools.fetch.scopes.hosts",
  ]);
  assert.equal(value(r, "memory", "hosts", "docs.example.org")!.verdict, "unconstrained");
  assert.deepEqual(r.servers.map((s) => s.server), ["github", "fetch", "gmail", "postgres", "memory"]);
});

Deno.test("ScopeUseSummarizer reads the domain of an address the trace redacted, and lists no redacted address", () => {
  const r = scopesOf([
    {
      server: "gmail",
      tool: "send_email",
      arguments: { to: ["‹redacted›@example.com"], subject: "s", body: "b" },
    },
    {
      server: "gmail",
      tool: "send_email",
      arguments: { to: ["‹redacted›@evil.test"], subject: "s", body: "b" },
    },
  ]);
  assert.equal(value(r, "gmail", "recipient_domains", "example.com")!.verdict, "allowed");
  assert.equal(value(r, "gmail", "recipient_domains", "evil.test")!.verdict, "denied");
  const kinds = r.servers.find((s) => s.server === "gmail")!.kinds.map((k) => k.kind);
  assert.ok(!kinds.includes("recipients"), kinds.join());
});

Deno.test("ScopeUseSummarizer without a policy lists the values unjudged, and counts unreadable calls", () => {
  const r = scopesOf([
    ...CALLS.slice(0, 2),
    { server: "gmail", tool: "send_email", arguments: { to: ["[REDACTED:email]"] } },
  ], false);
  assert.equal(r.judged, false);
  assert.equal(value(r, "github", "repos", "octo-org/app")!.verdict, "unjudged");
  const gmail = r.servers.find((s) => s.server === "gmail")!;
  assert.equal(gmail.unreadable, 1);
  assert.match(gmail.unreadableExamples[0]!, /^send_email: \/to\/0/);
});

Deno.test("ScopeUseSummarizer keeps at most MAX_REPORTED_SCOPE_VALUES values per kind and counts the rest", () => {
  const calls = Array.from({ length: MAX_REPORTED_SCOPE_VALUES + 3 }, (_, i) => ({
    server: "github",
    tool: "get_issue",
    arguments: { owner: "octo-org", repo: `r${i}`, issue_number: 1 },
  }));
  const k = scopesOf(calls, false).servers[0]!.kinds[0]!;
  assert.equal(k.values.length, MAX_REPORTED_SCOPE_VALUES);
  assert.equal(k.more, 3);
});

function withScopes(base: ReportData, scopes: ReportScopes): ReportData {
  return { ...base, scopes: { available: true, value: scopes } };
}

Deno.test("renderReportText() lists each server's scopes with calls, verdict and rules", () => {
  const text = renderReportText(withScopes(emptyReportData(), scopesOf(CALLS)));
  assert.match(text, /^Scopes in use:$/m);
  assert.match(text, /^ {2}github \(profile github\): 4 call\(s\)$/m);
  assert.match(text, /^ {6}octo-org\/app +2 call\(s\) {2}allowed by scopes {2}servers\.github\.scopes$/m);
  assert.match(
    text,
    /^ {6}evil-org\/payload +1 call\(s\) {2}DENIED by scopes {2}servers\.github\.scopes\.repos$/m,
  );
  assert.match(text, /public\.orders +2 call\(s\) {2}allowed by scopes \[1 allowed, 1 undecided\]/);
  assert.match(text, /docs\.example\.org +1 call\(s\) {2}no scope rule$/m);
  assert.match(renderReportText(emptyReportData()), /^Scopes in use:\n {2}not available \(/m);
});

Deno.test("renderReportJson() carries the scopes section", () => {
  const out = JSON.parse(renderReportJson(withScopes(emptyReportData(), scopesOf(CALLS))));
  assert.equal(out.scopes.available, true);
  const gh = out.scopes.value.servers.find((s: { server: string }) => s.server === "github");
  assert.equal(gh.kinds[0].kind, "repos");
  assert.deepEqual(gh.kinds[0].values[0], {
    value: "octo-org/app",
    calls: 2,
    verdict: "allowed",
    counts: { allowed: 2, denied: 0, unconstrained: 0, undecided: 0, unjudged: 0 },
    ruleIds: ["servers.github.scopes"],
  });
});

Deno.test("renderReportHtml() shows the scopes section, escaped", () => {
  const scopes = scopesOf([
    ...CALLS,
    { server: "slack", tool: "slack_post_message", arguments: { channel_id: XSS, text: "hi" } },
  ], false);
  const html = renderReportHtml(withScopes(sampleReportData(), scopes));
  assert.match(html, /<section id="scopes"><h2>Scopes in use<\/h2>/);
  assert.match(html, /<code>octo-org\/app<\/code>/);
  assert.ok(!html.includes(XSS));
  assert.match(html, /&lt;img src=x onerror=alert\(1\)>/);
  assert.match(
    renderReportHtml(emptyReportData()),
    /id="scopes"><h2>Scopes in use<\/h2><p class="na">Not available/,
  );
});

Deno.test("redactReportData() redacts the scope values (a recipient address is shown redacted)", () => {
  const data = withScopes(emptyReportData(), scopesOf(CALLS));
  const red = redactReportData(data, (s) => s.replace(/[\w.]+@[\w.]+/g, "[email]"));
  const json = JSON.stringify(red.scopes);
  assert.ok(!json.includes("bob@example.com"));
  assert.ok(json.includes('"value":"[email]"'));
  assert.ok(json.includes('"value":"example.com"'), "a domain alone is not an address");
});

Deno.test("nextSteps() asks to pin scope values a call reached with no scope rule (hosts are left to allowed_hosts)", async () => {
  const { nextSteps } = await import("./next_steps.ts");
  const pinned = (d: ReportData) => nextSteps(d).filter((s) => s.text.includes("no scope rule"));
  const open = scopesOf([{ server: "memory", tool: "read_graph", arguments: {} }, ...CALLS]);
  assert.deepEqual(pinned(withScopes(emptyReportData(), open)), [], "only hosts reached with no scope rule");
  const withGit = new ScopeUseSummarizer();
  for (const c of CALLS) withGit.add(judgeScopeCall(c, OPTS));
  withGit.add(judgeScopeCall({ server: "github", tool: "get_issue", arguments: { owner: "a", repo: "b" } }, {
    ...OPTS,
    compiled: compilePolicy({ version: 2, servers: { github: {} } }, { baseDir: "/proj", home: "/home/u" }),
  }));
  const steps = pinned(withScopes(emptyReportData(), withGit.finish(true)));
  assert.equal(steps.length, 1);
  assert.match(steps[0]!.text, /no scope rule on github/);
  assert.equal(steps[0]!.command, "agentperms infer --v2 --merge mcp.policy.yaml --out mcp.policy.yaml");
});
