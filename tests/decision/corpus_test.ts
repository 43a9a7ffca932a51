/**
 * The decision corpus: every `cases/<topic>/*.yaml` is one call judged by `decide()`.
 * A case has `note`, `request`, `want: {verdict, ruleIds?}` and either its own `policy` or the topic's
 * `_policy.yaml`. Offline and pure: cwd `/proj`, home `/home/user`, no realpath.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { canonicalizeCall, compilePolicy, decide, parsePolicy } from "../../mod.ts";

export interface CorpusCase {
  file: string;
  note: string;
  policyText: string;
  request: {
    server: string;
    tool?: string;
    method?: string;
    arguments?: unknown;
    params?: unknown;
    direction?: "client" | "server";
  };
  want: { verdict: "allow" | "deny" | "approve"; ruleIds?: string[] };
}

export const CORPUS_CWD = "/proj";
export const CORPUS_HOME = "/home/user";

/** Reads every corpus case. */
export function readCorpus(): CorpusCase[] {
  const root = new URL("./cases/", import.meta.url);
  const out: CorpusCase[] = [];
  for (const topic of [...Deno.readDirSync(root)].filter((e) => e.isDirectory).map((e) => e.name).sort()) {
    const dir = new URL(`${topic}/`, root);
    let shared: string | undefined;
    try {
      shared = Deno.readTextFileSync(new URL("_policy.yaml", dir));
    } catch { /* topic without a shared policy */ }
    for (
      const f of [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
        n.endsWith(".yaml") && n !== "_policy.yaml"
      ).sort()
    ) {
      const doc = parse(Deno.readTextFileSync(new URL(f, dir)));
      const policyText = doc.policy ?? shared;
      assert.ok(policyText, `${topic}/${f} has no policy and the topic has no _policy.yaml`);
      out.push({ file: `${topic}/${f}`, note: doc.note, policyText, request: doc.request, want: doc.want });
    }
  }
  return out;
}

/** Judges one corpus case with the real pipeline. */
export function judgeCase(c: CorpusCase) {
  const { policy } = parsePolicy(c.policyText, { file: c.file });
  const compiled = compilePolicy(policy, { baseDir: CORPUS_CWD, home: CORPUS_HOME });
  const call = canonicalizeCall(c.request, { cwd: CORPUS_CWD, home: CORPUS_HOME });
  return decide(compiled, call);
}

const cases = readCorpus();

Deno.test("decision corpus has cases for every topic", () => {
  const topics = new Set(cases.map((c) => c.file.split("/")[0]));
  for (const t of ["v1", "order", "paths", "tools", "guards", "methods", "allow-all"]) {
    assert.ok(topics.has(t), t);
  }
  assert.ok(cases.length >= 100, `only ${cases.length} cases`);
});

for (const c of cases) {
  Deno.test(`decide() corpus ${c.file}: ${c.note}`, () => {
    const d = judgeCase(c);
    assert.equal(d.verdict, c.want.verdict, `${c.file}: ${d.reason} [${d.ruleIds.join(", ")}]`);
    if (c.want.ruleIds) assert.deepEqual(d.ruleIds, c.want.ruleIds, `${c.file}: ${d.reason}`);
    assert.ok(d.reason.length > 0);
    assert.deepEqual(d.errors, []);
  });
}
