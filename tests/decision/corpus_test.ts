/**
 * The decision corpus: every `cases/<topic>/*.yaml` is one call judged by `decide()`.
 * A case has `note`, `request`, either its own `policy` or the topic's `_policy.yaml`, and exactly one of
 * `want: {verdict, ruleIds?}` or `wantError` (a text the error must contain: a policy that does not load, or a
 * decision that lists a rule error). The schema is strict: a misspelled key fails the case instead of skipping
 * a check. Offline and pure: cwd `/proj`, home `/home/user`, no realpath.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { z } from "zod";
import { canonicalizeCall, compilePolicy, decide, parsePolicy } from "../../mod.ts";

const REQUEST_SCHEMA = z.strictObject({
  server: z.string(),
  tool: z.string().optional(),
  method: z.string().optional(),
  arguments: z.unknown().optional(),
  params: z.unknown().optional(),
  direction: z.enum(["client", "server"]).optional(),
});
const WANT_SCHEMA = z.strictObject({
  verdict: z.enum(["allow", "deny", "approve"]),
  ruleIds: z.array(z.string()).min(1).optional(),
});
/** One case file. `policy` is YAML text, or a mapping written inline (serialized back to YAML). */
export const CASE_SCHEMA = z.strictObject({
  note: z.string().min(1),
  policy: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  request: REQUEST_SCHEMA,
  want: WANT_SCHEMA.optional(),
  wantError: z.string().min(1).optional(),
}).refine((c) => (c.want === undefined) !== (c.wantError === undefined), {
  message: "a case needs exactly one of want and wantError",
});

export interface CorpusCase {
  file: string;
  note: string;
  policyText: string;
  request: z.infer<typeof REQUEST_SCHEMA>;
  want?: z.infer<typeof WANT_SCHEMA>;
  wantError?: string;
}

export const CORPUS_CWD = "/proj";
export const CORPUS_HOME = "/home/user";

/**
 * Reads and validates one case document.
 * @throws when the document does not fit {@link CASE_SCHEMA}
 */
export function parseCase(file: string, text: string, shared: string | undefined): CorpusCase {
  const r = CASE_SCHEMA.safeParse(parse(text));
  if (!r.success) {
    throw new Error(
      `${file}: ${r.error.issues.map((i) => `${i.path.join(".") || "(case)"}: ${i.message}`).join("; ")}`,
    );
  }
  const doc = r.data;
  const policyText = typeof doc.policy === "object" ? JSON.stringify(doc.policy) : doc.policy ?? shared;
  if (policyText === undefined) throw new Error(`${file} has no policy and the topic has no _policy.yaml`);
  return { file, note: doc.note, policyText, request: doc.request, want: doc.want, wantError: doc.wantError };
}

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
      out.push(parseCase(`${topic}/${f}`, Deno.readTextFileSync(new URL(f, dir)), shared));
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

/**
 * Checks one case against its `want` or `wantError`.
 * @throws an assertion error when the decision differs
 */
export function checkCase(c: CorpusCase): void {
  if (c.wantError !== undefined) {
    let d: ReturnType<typeof judgeCase>;
    try {
      d = judgeCase(c);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      assert.ok(msg.includes(c.wantError), `${c.file}: error "${msg}" does not contain "${c.wantError}"`);
      return;
    }
    assert.equal(d.verdict, "deny", `${c.file}: an error must deny (${d.reason})`);
    assert.ok(
      d.errors.some((e) => e.includes(c.wantError!)),
      `${c.file}: wanted an error containing "${c.wantError}", got ${d.verdict} [${d.ruleIds.join(", ")}]`,
    );
    return;
  }
  const want = c.want!;
  const d = judgeCase(c);
  assert.equal(d.verdict, want.verdict, `${c.file}: ${d.reason} [${d.ruleIds.join(", ")}]`);
  if (want.ruleIds) assert.deepEqual(d.ruleIds, want.ruleIds, `${c.file}: ${d.reason}`);
  assert.ok(d.reason.length > 0);
  assert.deepEqual(d.errors, []);
}

const cases = readCorpus();

Deno.test("decision corpus has cases for every topic", () => {
  const topics = new Set(cases.map((c) => c.file.split("/")[0]));
  for (
    const t of [
      "v1",
      "order",
      "paths",
      "tools",
      "guards",
      "methods",
      "allow-all",
      "file-uri",
      "url-parsers",
      "embedded-ip",
      "kernel-paths",
      "shell",
      "option-injection",
      "placement",
    ]
  ) {
    assert.ok(topics.has(t), t);
  }
  assert.ok(cases.length >= 100, `only ${cases.length} cases`);
});

Deno.test("decision corpus schema rejects a misspelled key and a case without an expectation", () => {
  const ok = "note: n\nrequest: { server: s }\nwant: { verdict: deny }\n";
  assert.doesNotThrow(() => parseCase("t/ok.yaml", ok, "version: 1\nservers: {}\n"));
  assert.throws(() => parseCase("t/a.yaml", ok.replace("want:", "wnat:"), "x"), /wnat|exactly one/);
  assert.throws(() => parseCase("t/b.yaml", ok.replace("verdict", "verdcit"), "x"), /verdcit|verdict/);
  assert.throws(() => parseCase("t/c.yaml", ok + "wantError: boom\n", "x"), /exactly one/);
  assert.throws(() => parseCase("t/d.yaml", ok.replace("server:", "sever:"), "x"), /sever|server/);
  assert.throws(() => parseCase("t/e.yaml", ok, undefined), /no policy/);
});

Deno.test("decision corpus wantError fails when the call is judged without an error", () => {
  const c = parseCase(
    "t/w.yaml",
    'note: n\nrequest: { server: fs, tool: read, arguments: { path: "/tmp/a" } }\nwantError: "boom"\n',
    "version: 1\nservers: { fs: {} }\n",
  );
  assert.throws(() => checkCase(c), /error/);
  const bad = parseCase(
    "t/p.yaml",
    'note: n\nrequest: { server: fs }\nwantError: "unknown key"\n',
    "version: 1\nservers: { fs: { alow: [] } }\n",
  );
  checkCase(bad);
});

for (const c of cases) {
  Deno.test(`decide() corpus ${c.file}: ${c.note}`, () => checkCase(c));
}
