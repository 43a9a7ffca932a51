/**
 * Format 2 decision cases (#18), in the decision corpus's format: each `v2_cases/<topic>/*.yaml` has `note`,
 * `policy` (or the topic's `_policy.yaml`), `request` and `want` (verdict, rule ids) or `wantError`. Judged the
 * way the proxy judges (canonicalize, the call's arguments attached, decide) with the SQL parsers loaded.
 *
 * They live here rather than in tests/decision/cases/ because that runner neither loads the SQL parsers nor,
 * until the canonicalizer keeps a call's arguments, gives decide() the arguments format 2 reads: there, every
 * row would be denied for the wrong reason. Move them once both hold.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { canonicalizeCall } from "../canonical/mod.ts";
import { compilePolicy, parsePolicy } from "../policy/mod.ts";
import { loadSqlParsers } from "../sql/mod.ts";
import { attachCallFacts, decide } from "./mod.ts";

await loadSqlParsers();

const ROOT = new URL("./v2_cases/", import.meta.url);
const CWD = "/proj";
const HOME = "/home/user";

interface Case {
  note: string;
  policy?: string;
  request: { server: string; tool: string; arguments?: Record<string, unknown> };
  want?: { verdict: string; ruleIds?: string[] };
  wantError?: string;
}
const KEYS = new Set(["note", "policy", "request", "want", "wantError"]);

const topics = [...Deno.readDirSync(ROOT)].filter((e) => e.isDirectory).map((e) => e.name).sort();
const cases: { file: string; c: Case; shared?: string }[] = [];
for (const t of topics) {
  const dir = new URL(`${t}/`, ROOT);
  let shared: string | undefined;
  try {
    shared = Deno.readTextFileSync(new URL("_policy.yaml", dir));
  } catch { /* a topic without a shared policy */ }
  for (
    const f of [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
      n.endsWith(".yaml") && n !== "_policy.yaml"
    ).sort()
  ) {
    cases.push({ file: `${t}/${f}`, c: parse(Deno.readTextFileSync(new URL(f, dir))) as Case, shared });
  }
}

Deno.test("v2 cases: every feature has allow (or load) and deny rows, and each case is well formed", () => {
  for (const t of ["v2-arguments", "v2-scopes", "v2-sql", "v2-classes", "v2-guard-packs", "v2-compat"]) {
    const mine = cases.filter((x) => x.file.startsWith(`${t}/`));
    assert.ok(mine.some((x) => x.c.want?.verdict === "deny"), `${t} has deny rows`);
    assert.ok(mine.some((x) => x.c.want?.verdict !== "deny"), `${t} has other rows`);
  }
  for (const { file, c } of cases) {
    assert.deepEqual(Object.keys(c).filter((k) => !KEYS.has(k)), [], file);
    assert.ok(
      (c.want === undefined) !== (c.wantError === undefined),
      `${file}: exactly one of want, wantError`,
    );
  }
  assert.ok(cases.length >= 100, `${cases.length} cases`);
});

for (const { file, c, shared } of cases) {
  Deno.test(`decide() v2 case ${file}: ${c.note}`, () => {
    const judge = () => {
      const { policy } = parsePolicy(c.policy ?? shared!, { file });
      const compiled = compilePolicy(policy, { baseDir: CWD, home: HOME });
      const call = attachCallFacts(canonicalizeCall(c.request, { cwd: CWD, home: HOME }), {
        arguments: c.request.arguments,
      });
      return decide(compiled, call);
    };
    if (c.wantError !== undefined) {
      assert.throws(judge, (e: Error) => e.message.includes(c.wantError!), `${file}: wants "${c.wantError}"`);
      return;
    }
    const d = judge();
    assert.equal(d.verdict, c.want!.verdict, `${file}: ${d.reason} [${d.ruleIds.join(", ")}]`);
    if (c.want!.ruleIds) assert.deepEqual(d.ruleIds, c.want!.ruleIds, `${file}: ${d.reason}`);
    assert.ok(d.reason.length > 0);
    assert.deepEqual(d.errors, []);
  });
}
