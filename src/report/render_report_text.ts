import { nextSteps } from "./next_steps.ts";
import type { ReportData, ReportScopes, ScopeVerdict, Section } from "./report_data.ts";
import { riskScore } from "./risk_score.ts";

/** How each scope verdict reads in the text report. */
export const SCOPE_VERDICT_TEXT: Record<ScopeVerdict, string> = {
  allowed: "allowed by scopes",
  denied: "DENIED by scopes",
  unconstrained: "no scope rule",
  undecided: "call decided by another rule or value",
  unjudged: "not judged (no policy)",
};

/**
 * Renders the report as plain text for a terminal: the risk, one line per input, the scopes in use in full
 * (per server and kind, each value with its calls, what `decide()` said and the rules), and the next steps.
 * Pure; the caller redacts `data` first.
 * @param data what the report shows
 * @returns the text, ending with a newline
 */
export function renderReportText(data: ReportData): string {
  const risk = riskScore(data);
  const out: string[] = [
    `AgentPerms report, generated ${data.generatedAt} by agentperms ${data.version}`,
    `Risk ${risk.score}/100 (${risk.level})${risk.floors.length ? `: ${risk.floors.join("; ")}` : ""}`,
    "",
  ];
  const line = <T>(label: string, s: Section<T>, what: (v: T) => string) =>
    out.push(`${label}: ${s.available ? what(s.value) : `not available (${s.reason})`}`);
  line("Scan", data.scan, (s) => {
    const n = (sev: string) => s.findings.filter((f) => f.severity === sev).length;
    return `${s.findings.length} finding(s) in ${s.servers} server(s) (${n("high")} high, ${
      n("medium")
    } medium, ${n("low")} low)`;
  });
  line(
    "Lock",
    data.lock,
    (l) => l.drift.length === 0 ? `no drift (${l.file})` : `${l.drift.length} difference(s)`,
  );
  line(
    "Activity",
    data.activity,
    (a) =>
      `${a.calls} call(s) in ${a.files} trace file(s): ${a.totals.allowed} allowed, ${a.totals.denied} denied, ${a.totals.approved} approved, ${a.totals.approvalRefused} approval refused`,
  );
  line("Replay", data.replay, (r) => {
    const attacks = r.attacks.filter((a) => a.expect === "block");
    const controls = r.attacks.filter((a) => a.expect === "allow");
    return `${attacks.filter((a) => a.blocked).length}/${attacks.length} attack(s) blocked, ${
      controls.filter((a) => !a.blocked).length
    }/${controls.length} benign control(s) allowed (${r.packs.join(", ")})`;
  });
  line(
    "Containment",
    data.containment,
    (c) => `${c.filter((s) => s.contained).length} of ${c.length} server(s) contained`,
  );
  line("Policy", data.policy, (p) => `${p.file} (${p.servers.length} server(s))`);
  out.push("", "Scopes in use:");
  const scopes = data.scopes ?? { available: false as const, reason: "not collected" };
  if (!scopes.available) out.push(`  not available (${scopes.reason})`);
  else out.push(...scopeLines(scopes.value));
  const steps = nextSteps(data);
  if (steps.length > 0) {
    out.push("", "Next steps:");
    steps.forEach((s, i) =>
      out.push(`  ${i + 1}. [${s.priority}] ${s.text}${s.command ? ` (${s.command})` : ""}`)
    );
  }
  out.push("", `Redaction: ${data.redaction}`);
  return out.join("\n") + "\n";
}

/**
 * The scopes section as text lines, indented by two spaces.
 * @param s the scopes in use
 * @returns the lines
 */
export function scopeLines(s: ReportScopes): string[] {
  if (s.servers.length === 0) {
    return ["  no traced call named a repository, recipient, channel, table, namespace or host"];
  }
  const out: string[] = [];
  if (!s.judged) out.push("  (no policy: the values are listed, not judged)");
  for (const srv of s.servers) {
    out.push(
      `  ${srv.server}${
        srv.profile ? ` (profile ${srv.profile})` : " (no server profile)"
      }: ${srv.calls} call(s)${
        srv.unreadable > 0
          ? `, ${srv.unreadable} whose scopes could not be read (${srv.unreadableExamples.join("; ")})`
          : ""
      }`,
    );
    for (const k of srv.kinds) {
      out.push(`    ${k.kind}:`);
      const width = Math.min(40, Math.max(...k.values.map((v) => v.value.length)));
      for (const v of k.values) {
        const mixed = Object.entries(v.counts).filter(([, n]) => n > 0).length > 1
          ? ` [${Object.entries(v.counts).filter(([, n]) => n > 0).map(([w, n]) => `${n} ${w}`).join(", ")}]`
          : "";
        out.push(
          `      ${v.value.padEnd(width)}  ${String(v.calls).padStart(5)} call(s)  ${
            SCOPE_VERDICT_TEXT[v.verdict]
          }${mixed}${v.ruleIds.length ? `  ${v.ruleIds.join(", ")}` : ""}`,
        );
      }
      if (k.more > 0) {
        out.push(`      … and ${k.more} more use(s) of values beyond the first ones, not listed`);
      }
    }
  }
  return out;
}
