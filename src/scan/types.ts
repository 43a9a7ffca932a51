/** How bad a finding is; HIGH first in every output. */
export type Severity = "high" | "medium" | "low" | "info";

/** Severities from worst to mildest. */
export const SEVERITIES: readonly Severity[] = ["high", "medium", "low", "info"];

/** One problem scan found in a client config or a server's tools. Never holds a secret's value. */
export interface Finding {
  /** Stable kebab-case rule id, e.g. "sensitive-path". */
  ruleId: string;
  /** Severity. */
  severity: Severity;
  /** The server entry's name ("" for file-level findings). */
  server: string;
  /** The client whose config it is. */
  client: string;
  /** The config file (absolute). */
  file: string;
  /** What is wrong, one sentence. */
  message: string;
  /** How to fix it, one sentence. */
  hint: string;
  /** The tool a tool-level finding is about. */
  tool?: string;
}

/** A rule's description, for SARIF and help. */
export interface RuleInfo {
  /** Id. */
  id: string;
  /** Default severity. */
  severity: Severity;
  /** Short title. */
  title: string;
  /** Fix hint. */
  hint: string;
}

/**
 * Ranks a severity (0 = high).
 * @param s a severity
 * @returns its index in `SEVERITIES`
 */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}
