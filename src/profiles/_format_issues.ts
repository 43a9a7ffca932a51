import type { PackIssue } from "../plugins/mod.ts";

/**
 * Formats validation issues as one line each, `path: message` (as the plugins area's `formatIssues`). A copy of
 * that one line: importing it through src/plugins/mod.ts loaded the attack-pack loader (its zod schemas and the
 * yaml package) into every proxy start, which needs none of it (#20 item 6). A test holds the two to the same text.
 * @param issues the issues
 * @returns a string for an error message
 */
export function formatIssues(issues: readonly PackIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
}
