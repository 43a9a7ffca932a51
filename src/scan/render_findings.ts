import { relative } from "node:path";
import { RULE_LIST } from "./rules.ts";
import type { Finding, Severity } from "./types.ts";

/** What every renderer is given. */
export interface ScanSummary {
  /** Findings, already sorted. */
  findings: readonly Finding[];
  /** Servers scanned. */
  servers: number;
  /** Config files scanned. */
  configs: number;
}

function cut(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/**
 * The human table: the "Scanned N servers across M config(s)." line, findings HIGH first, then one fix line per rule.
 * @param summary findings and counts
 * @returns text
 */
export function renderTable(summary: ScanSummary): string {
  const lines = [`Scanned ${summary.servers} servers across ${summary.configs} config(s).`];
  if (summary.findings.length === 0) return `${lines[0]}\nNo findings.\n`;
  const rows = [
    ["SEVERITY", "RULE", "SERVER", "CLIENT", "DETAIL"],
    ...summary.findings.map((f) => [
      f.severity.toUpperCase(),
      f.ruleId,
      cut(f.server + (f.tool ? `/${f.tool}` : ""), 32),
      f.client,
      f.message,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) {
    lines.push(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  "));
  }
  lines.push("", "Fixes:");
  const seen = new Set<string>();
  for (const f of summary.findings) {
    if (seen.has(f.ruleId)) continue;
    seen.add(f.ruleId);
    lines.push(`  ${f.ruleId}: ${f.hint}`);
  }
  const counts = (["high", "medium", "low", "info"] as Severity[])
    .map((s) => [s, summary.findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`);
  lines.push("", `${summary.findings.length} finding(s): ${counts.join(", ")}`);
  return lines.join("\n") + "\n";
}

/**
 * JSON output: `{ v: 1, servers, configs, findings }`.
 * @param summary findings and counts
 * @returns text
 */
export function renderJson(summary: ScanSummary): string {
  return JSON.stringify(
    { v: 1, servers: summary.servers, configs: summary.configs, findings: summary.findings },
    null,
    2,
  ) +
    "\n";
}

const LEVEL: Record<Severity, string> = { high: "error", medium: "warning", low: "note", info: "note" };
const SECURITY_SEVERITY: Record<Severity, string> = { high: "8.0", medium: "5.0", low: "3.0", info: "1.0" };

/** Options for SARIF output. */
export interface SarifOptions {
  /** AgentPerms version. */
  version: string;
  /** Base for relative artifact URIs (the repository root in CI). */
  cwd: string;
  /** Finds the line of a server in its file (1-based), for regions. */
  lineOf?: (file: string, server: string) => number | undefined;
}

/**
 * SARIF 2.1.0 for GitHub code scanning: one rule per scan rule, one result per finding, the config file as location.
 * @param summary findings and counts
 * @param opts version, base directory and line lookup
 * @returns text
 */
export function renderSarif(summary: ScanSummary, opts: SarifOptions): string {
  const used = new Set(summary.findings.map((f) => f.ruleId));
  const rules = RULE_LIST.filter((r) => used.has(r.id));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [{
      tool: {
        driver: {
          name: "agentperms",
          version: opts.version,
          informationUri: "https://github.com/agentperms/agentperms",
          rules: rules.map((r) => ({
            id: r.id,
            name: r.id.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase()),
            shortDescription: { text: r.title },
            help: { text: r.hint },
            defaultConfiguration: { level: LEVEL[r.severity] },
            properties: { "security-severity": SECURITY_SEVERITY[r.severity], tags: ["security", "mcp"] },
          })),
        },
      },
      results: summary.findings.map((f) => {
        const rel = relative(opts.cwd, f.file).replaceAll("\\", "/");
        const uri = rel.startsWith("..") || rel === "" ? `file://${f.file.replaceAll("\\", "/")}` : rel;
        const line = f.server ? opts.lineOf?.(f.file, f.server) : undefined;
        return {
          ruleId: f.ruleId,
          ruleIndex: index.get(f.ruleId),
          level: LEVEL[f.severity],
          message: { text: `${f.message}. Fix: ${f.hint}` },
          locations: [{
            physicalLocation: {
              artifactLocation: { uri },
              ...(line ? { region: { startLine: line } } : {}),
            },
          }],
          partialFingerprints: { agentpermsFinding: `${f.ruleId}:${f.client}:${f.server}:${f.tool ?? ""}` },
          properties: {
            severity: f.severity,
            server: f.server,
            client: f.client,
            ...(f.tool ? { tool: f.tool } : {}),
          },
        };
      }),
    }],
  };
  return JSON.stringify(sarif, null, 2) + "\n";
}
