/**
 * Scan: findings over MCP client configs (nothing started), and with `--tools` over what each server lists.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { scanConfigs } from "./mod.ts";
 * const findings = scanConfigs([{
 *   client: "generic", file: "/tmp/demo/mcp.json", scope: "explicit", format: "json", errors: [],
 *   servers: [{ name: "demo", transport: "stdio", command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "~/.ssh"], env: {}, raw: {}, path: ["mcpServers", "demo"] }],
 * }], { home: "/home/me", cwd: "/work" });
 * assert.ok(findings[0]?.severity === "high" && findings.some((f) => f.ruleId === "unpinned-package"));
 * ```
 * @module
 */
export { type Finding, type RuleInfo, SEVERITIES, type Severity, severityRank } from "./types.ts";
export { RULE_LIST, RULES } from "./rules.ts";
export { scanConfigs, type ScanOptions, sortFindings } from "./scan_configs.ts";
export {
  classifyTool,
  expandEnvRefs,
  type ListedTool,
  poisoningSigns,
  scanListing,
  scanTools,
  type ScanToolsOptions,
} from "./scan_tools.ts";
export {
  renderJson,
  renderSarif,
  renderTable,
  type SarifOptions,
  type ScanSummary,
} from "./render_findings.ts";
export { analyzeLaunch, commandName, type LaunchedPackage, type LaunchInfo } from "./analyze_launch.ts";
