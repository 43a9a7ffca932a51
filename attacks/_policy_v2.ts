/**
 * Shared pieces of the three policy format 2 packs (#18): one per example v2 policy (coding agent, data agent,
 * personal assistant). Private to `attacks/`.
 * @module
 */
import type { Attack, AttackCall } from "../src/plugins/mod.ts";

/** The issue every format 2 attack comes from. */
export const ISSUE = "issue #18: what a call may touch";
/** Why `COMMIT;` in a read-only tool is an attack. */
export const SQL_ESCAPE =
  "https://www.postgresql.org/docs/current/sql-commit.html (COMMIT escapes a read-only transaction)";
/** The toxic agent flow across repositories. */
export const REPO_SCOPE =
  "https://invariantlabs.ai/blog/mcp-github-vulnerability (toxic agent flow across repositories)";

/** The format 2 feature an attack or control exercises (its `evasion` is `v2-<feature>`). */
export type Feature = "arguments" | "scopes" | "sql" | "classes" | "guards";

/**
 * An attack the example policy must block.
 * @param feature the format 2 feature that blocks it
 * @param id attack id within the pack
 * @param title one line
 * @param call the call
 * @param severity how bad it is when it gets through
 * @param references where the attack shape comes from
 * @returns the attack
 */
export function attack(
  feature: Feature,
  id: string,
  title: string,
  call: AttackCall,
  severity: Attack["severity"] = "high",
  references: string[] = [ISSUE],
): Attack {
  return { id, title, severity, references, call, expect: "block", evasion: `v2-${feature}` };
}

/**
 * A benign call the example policy must keep allowing (id `control.<id>`).
 * @param feature the format 2 feature it sits beside
 * @param id control id, without the `control.` prefix
 * @param title one line
 * @param call the call
 * @returns the control
 */
export function control(feature: Feature, id: string, title: string, call: AttackCall): Attack {
  return {
    id: `control.${id}`,
    title,
    severity: "low",
    references: [ISSUE],
    call,
    expect: "allow",
    evasion: `v2-${feature}`,
  };
}

/** A github-mcp-server call. */
export const gh = (tool: string, args: Record<string, unknown>): AttackCall => ({
  server: "github",
  tool,
  arguments: args,
});
/** A postgres `query` call. */
export const pg = (sql: string): AttackCall => ({ server: "postgres", tool: "query", arguments: { sql } });
/** A Kubernetes server call. */
export const k8s = (tool: string, args: Record<string, unknown>): AttackCall => ({
  server: "kubernetes",
  tool,
  arguments: args,
});
/** A gmail server call. */
export const mail = (tool: string, args: Record<string, unknown>): AttackCall => ({
  server: "gmail",
  tool,
  arguments: args,
});
