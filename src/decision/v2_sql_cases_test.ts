/**
 * Format 2 read-only SQL cases (#18 item 4), in the decision corpus's format (`note`, `policy` or the folder's
 * `_policy.yaml`, `request`, `want` or `wantError`), judged with the SQL parsers loaded. They live here, not in
 * tests/decision/cases/, because that runner does not load the parsers (SQL is then never read-only, so every
 * row would be denied for the wrong reason). Move them to tests/decision/cases/v2-sql/ once it does.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { canonicalizeCall } from "../canonical/mod.ts";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { loadSqlParsers } from "../sql/mod.ts";
import { attachCallFacts, decide } from "./mod.ts";

await loadSqlParsers();

const DIR = new URL("./v2_sql_cases/", import.meta.url);
const CWD = "/proj";
const HOME = "/home/user";
const shared = Deno.readTextFileSync(new URL("_policy.yaml", DIR));

interface Case {
  note: string;
  policy?: string;
  request: { server: string; tool: string; arguments?: Record<string, unknown> };
  want?: { verdict: string; ruleIds?: string[] };
  wantError?: string;
}

const files = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) =>
  n.endsWith(".yaml") && n !== "_policy.yaml"
)
  .sort();

Deno.test("v2 SQL cases: the folder holds allow and deny rows", () => {
  assert.ok(files.length >= 15, `${files.length} cases`);
  assert.ok(files.some((f) => f.startsWith("allow-")) && files.some((f) => f.startsWith("deny-")));
});

for (const f of files) {
  const c = parse(Deno.readTextFileSync(new URL(f, DIR))) as Case;
  Deno.test(`decide() v2 SQL case ${f}: ${c.note}`, () => {
    const { policy } = parsePolicy(c.policy ?? shared, { file: f });
    const compiled = compilePolicy(policy, { baseDir: CWD, home: HOME });
    const call = attachCallFacts(canonicalizeCall(c.request, { cwd: CWD, home: HOME }), {
      arguments: c.request.arguments,
    });
    const d = decide(compiled, call);
    assert.equal(d.verdict, c.want!.verdict, `${f}: ${d.reason} [${d.ruleIds.join(", ")}]`);
    if (c.want!.ruleIds) assert.deepEqual(d.ruleIds, c.want!.ruleIds, `${f}: ${d.reason}`);
    assert.deepEqual(d.errors, []);
  });
}
