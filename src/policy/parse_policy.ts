import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { AgentPermsError } from "../errors.ts";
import { KNOWN_KEYS, PolicySchema, type PolicyV1 } from "./schema.ts";
import { KNOWN_KEYS_V2, type PolicyV2, PolicyV2Schema } from "./schema_v2.ts";
import { validateV2 } from "./compile_v2.ts";
import { lintPolicy } from "./lint_policy.ts";
import { lintPolicyV2 } from "./lint_policy_v2.ts";
import type { ServerProfileDescriptor } from "../profiles/mod.ts";
import { editDistance } from "../edit_distance.ts";

/** A problem or warning located in the policy file. */
export interface PolicyDiagnostic {
  /** What is wrong, one sentence. */
  message: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  col?: number;
}

/** A parsed, validated policy with its lint warnings. */
export interface ParsedPolicy {
  /** The policy as written, validated: format 1 or 2 (`version` tells which; format 2 is a superset). */
  policy: PolicyV1 | PolicyV2;
  /** Lint warnings (contradictions, allow-all). Not errors. */
  warnings: PolicyDiagnostic[];
}

/**
 * Parses and strictly validates a policy file's text, format 1 or 2. Fails closed: an empty file, a YAML error,
 * an unknown key, a wrong type, a missing `servers` key, an unsupported version, and in format 2 a regex that
 * needs backtracking, an unknown class, profile or guard throws; nothing falls back to allow.
 *
 * @param text the YAML text
 * @param opts `file` names the source in messages; `profiles`: the server profiles the policy's `profiles:`
 *   list loaded (a `profile:` naming one of them is then known)
 * @returns the policy and its lint warnings
 * @throws {AgentPermsError} `policy_invalid` with every problem as `file:line:col: message`
 */
export function parsePolicy(
  text: string,
  opts: { file: string; profiles?: readonly ServerProfileDescriptor[] },
): ParsedPolicy {
  const fail = (problems: PolicyDiagnostic[], hint?: string): never => {
    const at = (p: PolicyDiagnostic) => (p.line ? `${opts.file}:${p.line}:${p.col ?? 1}` : opts.file);
    const message = problems.length === 1
      ? `Cannot load policy "${opts.file}"${problems[0]!.line ? ` (${at(problems[0]!)})` : ""}: ${
        problems[0]!.message
      }`
      : `Cannot load policy "${opts.file}": ${problems.length} problems\n${
        problems.map((p) => `  ${at(p)}: ${p.message}`).join("\n")
      }`;
    throw new AgentPermsError("policy_invalid", message, { hint });
  };
  if (text.trim() === "" || /^(\s*#.*\n?)*\s*$/.test(text)) {
    fail(
      [{ message: "the file is empty" }],
      'A policy must state its rules; write "servers: {}" to allow all on purpose',
    );
  }
  const fast = parseFast(text, opts);
  if (fast !== undefined) return fast;
  const lc = new LineCounter();
  // Keys are compared as the JavaScript object will hold them: `true:` and `"true":`, `1:` and `"1":` are one
  // key there, and the later one would silently replace the earlier (a server's denied_tools dropped).
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: sameObjectKey });
  if (doc.errors.length === 0) {
    const proto = protoKeyAt(doc.contents, 0);
    if (proto !== undefined) {
      const pos = lc.linePos(proto);
      fail([{ message: 'a key "__proto__" cannot be read safely', line: pos.line, col: pos.col }]);
    }
  }
  if (doc.errors.length > 0) {
    fail(doc.errors.map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return { message: `YAML error: ${e.message.split("\n")[0]}`, line: pos.line, col: pos.col };
    }));
  }
  if (!isMap(doc.contents)) {
    fail([{ message: "the policy must be a YAML mapping with version and servers", line: 1, col: 1 }]);
  }
  const posOf = (path: readonly PropertyKey[], key?: string): { line?: number; col?: number } => {
    let node = doc.getIn(path as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (key !== undefined) {
      const parent = doc.getIn(path as unknown[], true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === key);
        if (pair && isScalar(pair.key)) node = pair.key as { range?: [number, number, number] };
      }
    }
    if (!node?.range) {
      return path.length ? posOf(path.slice(0, -1)) : {};
    }
    const p = lc.linePos(node.range[0]);
    return { line: p.line, col: p.col };
  };
  const data = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const v2 = data.version === 2;
  const result = v2 ? PolicyV2Schema.safeParse(data) : PolicySchema.safeParse(data);
  if (!result.success) {
    fail(result.error.issues.flatMap((issue) => describeIssue(issue, posOf, data)));
  }
  const policy = result.data!;
  if (v2) {
    const p = policy as PolicyV2;
    // A profile named in the policy is only known once its `profiles:` files are loaded (loadPolicy does).
    const profilesPending = (p.profiles?.length ?? 0) > 0 && opts.profiles === undefined;
    const issues = validateV2(p, { profiles: opts.profiles }).filter((i) =>
      !(profilesPending && i.path.at(-1) === "profile")
    );
    if (issues.length > 0) fail(issues.map((i) => ({ message: i.message, ...posOf(i.path) })));
  }
  if (policy.servers === undefined) {
    fail(
      [{ message: 'the policy has no "servers" key', ...posOf([]) }],
      'Name the servers it governs; write "servers: {}" to allow all on purpose',
    );
  }
  const lints = v2
    ? [...lintPolicy(policy as PolicyV1), ...lintPolicyV2(policy as PolicyV2, { profiles: opts.profiles })]
    : lintPolicy(policy as PolicyV1);
  const warnings = lints.map((w) => ({ message: w.message, ...posOf(w.path) }));
  return { policy, warnings };
}

/**
 * The common case, fast: a policy that reads without a problem or a warning. The `yaml` package's document
 * parse (kept for line:col positions) is about 90% of loading a large policy and 20-50x slower than js-yaml's
 * reader; js-yaml reads the text here, and anything it reads differently from `yaml` (with `yaml`'s YAML 1.2
 * core schema, which parsePolicy uses) is sent to the full path: tags, directives, merge keys, aliases,
 * complex or null keys, tabs and carriage returns, and any error. A policy with a schema problem, a v2 issue or a
 * lint warning takes the full path too, so every message and position is the one it always was.
 * `parse_policy_fast_test.ts` holds the differential tests (the same data as `yaml` on every example and
 * fixture policy and on generated documents).
 * @param text the policy text
 * @param opts as for parsePolicy
 * @returns the parsed policy, or undefined when the full path must decide
 */
function parseFast(
  text: string,
  opts: { file: string; profiles?: readonly ServerProfileDescriptor[] },
): ParsedPolicy | undefined {
  const data = readYamlFast(text);
  if (data === undefined) return undefined;
  const v2 = data.version === 2;
  const result = v2 ? PolicyV2Schema.safeParse(data) : PolicySchema.safeParse(data);
  if (!result.success || result.data.servers === undefined) return undefined;
  const policy = result.data;
  if (v2) {
    const p = policy as PolicyV2;
    const profilesPending = (p.profiles?.length ?? 0) > 0 && opts.profiles === undefined;
    const issues = validateV2(p, { profiles: opts.profiles }).filter((i) =>
      !(profilesPending && i.path.at(-1) === "profile")
    );
    if (issues.length > 0) return undefined;
  }
  const lints = v2
    ? [...lintPolicy(policy as PolicyV1), ...lintPolicyV2(policy as PolicyV2, { profiles: opts.profiles })]
    : lintPolicy(policy as PolicyV1);
  if (lints.length > 0) return undefined;
  return { policy, warnings: [] };
}

/**
 * What the text holds when js-yaml reads it as `yaml` would (see parseFast), else undefined. Exported for the
 * differential tests only.
 * @param text YAML text
 * @returns the data (a mapping), or undefined when the full path must read it
 */
export function readYamlFast(text: string): Record<string, unknown> | undefined {
  if (FAST_UNSAFE_REGEXP.test(text) || !commentsAligned(text)) return undefined;
  // Escapes exist only in double-quoted scalars: a backslash in a plain or single-quoted one is a backslash
  // to both readers (a regex, a Windows path).
  if (text.includes("\\") && text.includes('"')) return undefined;
  const jsYaml = fastReader();
  if (jsYaml === undefined) return undefined;
  let data: unknown;
  try {
    data = jsYaml.load(text, { schema: jsYaml.CORE_SCHEMA, json: false, maxAliases: 0 });
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) return undefined;
  return plainKeys(data, 0) ? data as Record<string, unknown> : undefined;
}

type JsYaml = typeof import("js-yaml");
let jsYamlModule: JsYaml | undefined;

/** js-yaml once {@link loadFastYamlReader} loaded it and it reads as 5.x's core schema does; else undefined. */
function fastReader(): JsYaml | undefined {
  return jsYamlModule;
}

/**
 * Loads js-yaml (through the import map, so the version `deno.lock` pins) for the policy fast path; `loadPolicy`
 * calls it before a policy is parsed. Until it has run, or when the module cannot load or reads YAML 1.1
 * numbers (`1_000`, `0b1`: js-yaml 4 does), every policy takes the `yaml` path.
 * @returns when it is loaded (or found unusable)
 */
export async function loadFastYamlReader(): Promise<void> {
  if (jsYamlModule !== undefined) return;
  try {
    const m = await import("js-yaml");
    const probe = m.load("a: 1_000\nb: 0b1\nc: 1e400\n", { schema: m.CORE_SCHEMA, json: false }) as
      | Record<string, unknown>
      | null;
    if (probe?.a === "1_000" && probe?.b === "0b1") jsYamlModule = m;
  } catch {
    // unusable: the yaml path reads every policy
  }
}

/**
 * Tags (`!`), directives (`%` at a line start), merge keys (`<<`), anchors (`&`), explicit keys (`? `),
 * collection keys (`]:`, `}:`), tabs, carriage returns, a byte-order mark, `__proto__`, a backslash in a text
 * with a double quote (escapes and escaped line breaks: js-yaml and yaml fold `"a\⏎⏎ b"` differently), block scalars
 * (`|`, `>`: chomping of trailing blank lines differs) and a line that starts with `:`: where the two readers
 * may differ, or where the difference is not worth proving.
 */
const FAST_UNSAFE_REGEXP =
  /[!&\t\r\ufeff]|^%|^\s*(?:---|\.\.\.)|<<|\?(?:[ \n]|$)|[\]}] *:|(?:^|[:\-[,{] *)[|>]|^ *:|__proto__/m;

/**
 * A comment line less indented than the content that follows it (`key:`, `# note` at column 0, then the
 * indented value): js-yaml reads on where yaml refuses the file, so such a file takes the full path.
 */
function commentsAligned(text: string): boolean {
  let comment = -1; // least indentation of the comment lines since the last content line
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    let i = start;
    while (i < end && text.charCodeAt(i) === 32) i++;
    if (i < end) {
      if (text.charCodeAt(i) === 35) comment = comment < 0 ? i - start : Math.min(comment, i - start);
      else {
        if (comment >= 0 && i - start > comment) return false;
        comment = -1;
      }
    }
    start = end + 1;
  }
  return true;
}

/** Two mapping keys that name the same property of the JavaScript object the document becomes. */
function sameObjectKey(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isScalar(a) || !isScalar(b)) return false;
  const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  return text(a.value) === text(b.value);
}

/** The offset of a `__proto__` key however spelled (`"\x5f_proto__"`), else undefined. */
function protoKeyAt(node: unknown, depth: number): number | undefined {
  if (depth > 500) return undefined;
  if (isMap(node)) {
    for (const it of node.items) {
      if (isScalar(it.key) && String(it.key.value) === "__proto__") return it.key.range?.[0] ?? 0;
      const at = protoKeyAt(it.value, depth + 1);
      if (at !== undefined) return at;
    }
  } else if (isSeq(node)) {
    for (const it of node.items) {
      const at = protoKeyAt(it, depth + 1);
      if (at !== undefined) return at;
    }
  }
  return undefined;
}

/**
 * A string in core-schema number syntax: only a quoted scalar or a number too large for a double (js-yaml keeps
 * `1e400` a string, yaml reads Infinity) gives one, so such a document takes the yaml path.
 */
const NUMBER_LIKE_REGEXP =
  /^[-+]?(?:\d[\d_]*(?:\.[\d_]*)?(?:e[-+]?\d+)?|\.\d[\d_]*(?:e[-+]?\d+)?|0o[0-7_]+|0x[\da-f_]+|0b[01_]+|\.inf|\.nan)$/i;

/**
 * No key or value reads differently: js-yaml spells a null key `null`, yaml an empty string; yaml refuses an
 * implicit key over 1,024 characters; numbers too large for a double (see NUMBER_LIKE_REGEXP).
 */
function plainKeys(v: unknown, depth: number): boolean {
  if (depth > 200) return false;
  if (typeof v === "string") return !NUMBER_LIKE_REGEXP.test(v);
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => plainKeys(x, depth + 1));
  if (v === null || typeof v !== "object") return true;
  for (const [k, x] of Object.entries(v)) {
    if (k === "null" || k.length > 1000 || NUMBER_LIKE_REGEXP.test(k) || !plainKeys(x, depth + 1)) {
      return false;
    }
  }
  return true;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  posOf: (path: readonly PropertyKey[], key?: string) => { line?: number; col?: number },
  data: Record<string, unknown>,
): PolicyDiagnostic[] {
  const path = issue.path;
  const where = path.length ? ` at "${path.join(".")}"` : "";
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((k) => {
      const near = didYouMean(k);
      // A format 2 key in a format 1 file: say which version knows it rather than guess a v1 key.
      const v2Only = data.version === 1 && KNOWN_KEYS_V2.includes(k) && !KNOWN_KEYS.includes(k);
      return {
        message: `unknown key "${k}"${where}${
          v2Only ? ` (a format 2 key: write "version: 2")` : near ? ` (did you mean "${near}"?)` : ""
        }`,
        ...posOf(path, k),
      };
    });
  }
  if (path.length === 1 && path[0] === "version") {
    return data.version === undefined ? [{ message: 'missing "version: 1" (or 2)', ...posOf([]) }] : [{
      message: `unsupported version ${JSON.stringify(data.version)}: versions 1 and 2 are supported`,
      ...posOf(path),
    }];
  }
  return [{ message: `${issue.message.replace(/^Invalid input: /, "")}${where}`, ...posOf(path) }];
}

/**
 * Suggests the closest known key for a misspelling.
 * @param key the unknown key
 * @returns a known key within edit distance 3, or undefined
 */
export function didYouMean(key: string): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of [...KNOWN_KEYS, ...KNOWN_KEYS_V2]) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}
