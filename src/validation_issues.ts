/**
 * Validation issues of plugin descriptors (attack packs, guard packs, server profiles) and their one-line
 * form. A module of its own so that the proxy's start, which validates profiles and guard packs, does not load
 * the attack-pack loader to spell an error.
 * @module
 */

/** One problem found in a descriptor. */
export interface PackIssue {
  /** Dotted path into the descriptor (`attacks.3.call.tool`). */
  path: string;
  /** What is wrong. */
  message: string;
}

/**
 * Formats validation issues as one line each, `path: message`.
 * @param issues the issues
 * @returns a string for an error message
 */
export function formatIssues(issues: readonly PackIssue[]): string {
  return issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
}
