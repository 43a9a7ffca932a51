/**
 * Policy format 2 (#18): decide() with argument rules, scopes, classes and guard packs on a typical call, and
 * loading a policy of 1,000 rules. Targets: decide() ≤ 5 µs per typical call; load ≤ 20 ms for 1,000 rules.
 *
 * A "typical call" is a GitHub pull request through the coding-agent example (argument rules on base, head
 * and title, the organization's repository scope, class denies and a class approval) and a read-only SQL
 * query through the data-agent example (table and schema scopes). Group "wired" measures calls the way
 * src/proxy/proxy_session.ts makes them (canonicalize the params with the host's realpath, attach arguments
 * and annotations, decide() with the drift map): decide() reads scopes and guard hits itself, through per-tool
 * plans kept with the compiled policy. Group "load": 100, 1,000 and 10,000 rules, and 1,000 rules through the
 * yaml package's full path (the one a policy with a problem, a warning or unusual YAML takes).
 *
 *   deno bench -A --no-prompt bench/policy_v2_bench.ts
 */
import { parse } from "yaml";
import { canonicalizeCall, compilePolicy, hostRealpath, parsePolicy } from "../mod.ts";
import { loadFastYamlReader } from "../src/policy/parse_policy.ts";

// What loadPolicy does before it parses: js-yaml for the fast path of plain policies.
await loadFastYamlReader();
import { PolicyV2Schema, validateV2 } from "../src/policy/mod.ts";
import { attachCallFacts, type CallV2, decide } from "../src/decision/mod.ts";
import { extractScopes, matchGuards } from "../src/profiles/mod.ts";
import { BUILTIN_GUARD_PACKS } from "../guards/mod.ts";
import { loadSqlParsers } from "../src/sql/mod.ts";

await loadSqlParsers();
const opts = { cwd: "/proj", home: "/home/u" };
const load = (name: string) => {
  const text = Deno.readTextFileSync(new URL(`../examples/policies/${name}`, import.meta.url));
  return compilePolicy(parsePolicy(text, { file: name }).policy, { baseDir: "/proj", home: "/home/u" });
};
const v1 = load("example.mcp.policy.yaml");
const coding = load("coding-agent.v2.mcp.policy.yaml");
const data = load("data-agent.v2.mcp.policy.yaml");

const v1Call = canonicalizeCall({
  server: "filesystem",
  tool: "read_file",
  arguments: { path: "./src/app.ts" },
}, opts);
const prArgs = { owner: "octo-org", repo: "app", title: "Add login", head: "feature/login", base: "main" };
/** canonicalizeCall keeps the arguments for format 2 (older trees did not: attach them the same way). */
const withArgs = <T extends object>(call: T, args: unknown): T =>
  "arguments" in call ? call : Object.defineProperty(call, "arguments", { value: args, enumerable: false });
const pr = withArgs(
  canonicalizeCall({ server: "github", tool: "create_pull_request", arguments: prArgs }, opts),
  prArgs,
);
const sqlArgs = { sql: "SELECT id, total FROM public.orders WHERE total > 10" };
const sql = withArgs(
  canonicalizeCall({ server: "postgres", tool: "query", arguments: sqlArgs }, opts),
  sqlArgs,
);

/** What the proxy attaches once per call: its scopes (through the server's profile) and guard pack hits. */
function withFacts<T extends object>(call: T, server: string, tool: string, args: unknown, policy = coding) {
  const profile = policy.v2!.servers.get(server)!.profile!;
  return Object.assign(Object.create(Object.getPrototypeOf(call)), call, {
    arguments: args,
    profile,
    scopes: extractScopes(profile, tool, args),
    guardHits: BUILTIN_GUARD_PACKS.flatMap((p) => matchGuards(p, tool, args)),
  });
}
const prFacts = withFacts(pr, "github", "create_pull_request", prArgs);
const sqlFacts = withFacts(sql, "postgres", "query", sqlArgs, data);

for (
  const [c, p, want] of [[pr, coding, "approve"], [prFacts, coding, "approve"], [
    sqlFacts,
    data,
    "allow",
  ]] as const
) {
  const d = decide(p, c);
  if (d.verdict !== want) throw new Error(`bench call judged ${d.verdict}: ${d.reason}`);
}

Deno.bench("decide(): v1 example, one path (baseline)", { group: "decide", baseline: true }, () => {
  decide(v1, v1Call);
});
Deno.bench("decide(): v2 pull request, scopes and guard hits attached (proxy)", { group: "decide" }, () => {
  decide(coding, prFacts);
});
Deno.bench("decide(): v2 read-only SQL query, scopes attached (proxy)", { group: "decide" }, () => {
  decide(data, sqlFacts);
});
Deno.bench(
  "decide(): v2 pull request, decide() reads scopes and guards (check, replay)",
  { group: "decide" },
  () => {
    decide(coding, pr);
  },
);
// As src/proxy/proxy_session.ts wires it: canonicalize the message's params with the tool's schema and
// description, attach the arguments and annotations, decide() with the session's drift map. decide() reads the
// scopes and guard hits itself (per-tool plans kept with the compiled policy).
const drift = new Map<string, string>();
const WIRED: [string, typeof coding, string, string, Record<string, unknown>, Record<string, boolean>?][] = [
  ["github create_pull_request", coding, "github", "create_pull_request", prArgs],
  ["github get_file_contents", coding, "github", "get_file_contents", {
    owner: "octo-org",
    repo: "app",
    path: "src/app.ts",
  }, { readOnlyHint: true }],
  ["fetch fetch", coding, "fetch", "fetch", { url: "https://docs.deno.com/runtime/", max_length: 5000 }],
  ["postgres query (a statement seen before)", data, "postgres", "query", sqlArgs],
  ["kubernetes kubectl_get", data, "kubernetes", "kubectl_get", {
    resourceType: "pods",
    namespace: "data-etl",
  }, {
    readOnlyHint: true,
  }],
];
const wiredOpts = { ...opts, realpath: hostRealpath };
const wired = (server: string, tool: string, args: unknown, annotations?: unknown) => {
  const call = canonicalizeCall(
    { server, method: "tools/call", params: { name: tool, arguments: args } },
    { ...wiredOpts, inputSchema: undefined, toolDescription: undefined },
  ) as CallV2;
  if (call.arguments === undefined) call.arguments = args;
  return attachCallFacts(call, { annotations });
};
for (const [name, policy, server, tool, args, ann] of WIRED) {
  const call = wired(server, tool, args, ann);
  Deno.bench(`as wired, decide() alone: ${name}`, { group: "wired" }, () => {
    decide(policy, call, { drift });
  });
  Deno.bench(`as wired, canonicalize alone: ${name}`, { group: "wired" }, () => {
    wired(server, tool, args, ann);
  });
}

Deno.bench("canonicalize + facts + decide(): v2 pull request", { group: "decide" }, () => {
  const c = canonicalizeCall({ server: "github", tool: "create_pull_request", arguments: prArgs }, opts);
  decide(coding, withFacts(c, "github", "create_pull_request", prArgs));
});

// 1,000 rules: 100 tools × 8 argument conditions, plus 200 scope entries over 10 servers (100 per server).
function bigPolicy(servers = 10): string {
  const lines = ["version: 2", "servers:"];
  for (let s = 0; s < servers; s++) {
    lines.push(
      `  srv${s}:`,
      `    profile: github`,
      `    scopes:`,
      `      repos: [${Array.from({ length: 20 }, (_, i) => `"org${s}-${i}/*"`).join(", ")}]`,
      `    tools:`,
    );
    for (let t = 0; t < 10; t++) {
      lines.push(`      tool_${t}:`, `        arguments:`);
      lines.push(`          a0: { enum: [x${t}, y${t}] }`);
      lines.push(`          a1: { glob: "feature/${t}-*" }`);
      lines.push(`          a2: { regex: "^[a-z0-9-]{1,${t + 5}}$" }`);
      lines.push(`          a3: { prefix: [p${t}/] }`);
      lines.push(`          a4: { max_length: ${100 + t} }`);
      lines.push(`          a5: { min: 0, max: ${t + 10} }`);
      lines.push(`          a6: { path: { allowed: [./src/${t}], denied: [./src/${t}/secret] } }`);
      lines.push(`          a7: { host: { allowed: ["*.ex${t}.com"] } }`);
    }
  }
  return lines.join("\n") + "\n";
}
const BIG = bigPolicy();
for (const servers of [1, 100]) {
  const text = bigPolicy(servers);
  Deno.bench(`load: parse + compile a v2 policy of ${servers * 100} rules`, { group: "load" }, () => {
    compilePolicy(parsePolicy(text, { file: "big" }).policy, { baseDir: "/proj", home: "/home/u" });
  });
}
// The yaml package's path (a policy whose text holds a tab takes it: see parsePolicy's fast path).
const BIG_FULL = `${BIG}#\t\n`;
Deno.bench("load: the same 1,000 rules through the yaml package (the full path)", { group: "load" }, () => {
  compilePolicy(parsePolicy(BIG_FULL, { file: "big" }).policy, { baseDir: "/proj", home: "/home/u" });
});
Deno.bench("load: parse + compile a v2 policy of 1,000 rules", { group: "load", baseline: true }, () => {
  compilePolicy(parsePolicy(BIG, { file: "big" }).policy, { baseDir: "/proj", home: "/home/u" });
});
// What loadPolicy does on a policy-cache hit (#20: the YAML parse and lint are skipped): the schema is checked
// again, then the policy is compiled.
const BIG_DATA = parse(BIG);
Deno.bench("load: validate + compile the same policy (a policy-cache hit)", { group: "load" }, () => {
  const p = PolicyV2Schema.parse(BIG_DATA);
  validateV2(p);
  compilePolicy(p, { baseDir: "/proj", home: "/home/u" });
});
Deno.bench("load: the YAML parse alone (the yaml package)", { group: "load" }, () => {
  parse(BIG);
});
