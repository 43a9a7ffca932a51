import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { AgentPermsError } from "../errors.ts";
import { KNOWN_KEYS, PolicySchema, type PolicyV1 } from "./schema.ts";
import { lintPolicy } from "./lint_policy.ts";
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
  /** The policy as written, validated. */
  policy: PolicyV1;
  /** Lint warnings (contradictions, allow-all). Not errors. */
  warnings: PolicyDiagnostic[];
}

/**
 * Parses and strictly validates a policy file's text. Fails closed: an empty file, a YAML error, an unknown
 * key, a wrong type, a missing `servers` key or an unsupported version throws; nothing falls back to allow.
 *
 * @param text the YAML text
 * @param opts `file` names the source in messages
 * @returns the policy and its lint warnings
 * @throws {AgentPermsError} `policy_invalid` with every problem as `file:line:col: message`
 */
export function parsePolicy(text: string, opts: { file: string }): ParsedPolicy {
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
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
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
  const result = PolicySchema.safeParse(data);
  if (!result.success) {
    fail(result.error.issues.flatMap((issue) => describeIssue(issue, posOf, data)));
  }
  const policy = result.data!;
  if (policy.servers === undefined) {
    fail(
      [{ message: 'the policy has no "servers" key', ...posOf([]) }],
      'Name the servers it governs; write "servers: {}" to allow all on purpose',
    );
  }
  const warnings = lintPolicy(policy).map((w) => ({ message: w.message, ...posOf(w.path) }));
  return { policy, warnings };
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
      return {
        message: `unknown key "${k}"${where}${near ? ` (did you mean "${near}"?)` : ""}`,
        ...posOf(path, k),
      };
    });
  }
  if (path.length === 1 && path[0] === "version") {
    return data.version === undefined ? [{ message: 'missing "version: 1"', ...posOf([]) }] : [{
      message: `unsupported version ${JSON.stringify(data.version)}: only version 1 is supported`,
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
  for (const k of KNOWN_KEYS) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}
