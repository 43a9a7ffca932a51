import type { ReportData } from "./report_data.ts";

/** One thing to do next. */
export interface NextStep {
  /** high first. */
  priority: "high" | "medium" | "low";
  /** What to do and why, one sentence. */
  text: string;
  /** The command to run, when there is one. */
  command?: string;
}

const ORDER = { high: 0, medium: 1, low: 2 } as const;

/**
 * Concrete next steps from the report data, most urgent first: each names the thing found and the command
 * that fixes or checks it. Pure.
 * @param data the report data
 * @returns the steps (empty when nothing is left to do)
 */
export function nextSteps(data: ReportData): NextStep[] {
  const steps: NextStep[] = [];
  const policy = data.inputs.policy ?? "mcp.policy.yaml";

  if (!data.policy.available) {
    steps.push({
      priority: "high",
      text: "No policy is in force: record a real session, then infer the least-privilege policy from it",
      command: `agentperms record && agentperms infer --out ${policy}`,
    });
  }
  if (data.replay.available) {
    const through = data.replay.value.attacks.filter((a) => a.expect === "block" && !a.blocked);
    for (const a of through.slice(0, 5)) {
      steps.push({
        priority: "high",
        text:
          `Attack "${a.id}" (${a.evasionClass}) got through with verdict ${a.verdict}: tighten the policy ` +
          `(${a.detail})`,
        command: `agentperms replay --policy ${policy}`,
      });
    }
    const vacuous = data.replay.value.attacks.filter((a) => a.expect === "block" && a.unknownServer);
    if (vacuous.length > 0) {
      const servers = [...new Set(vacuous.map((a) => a.id.split("/")[0]!))].join(", ");
      steps.push({
        priority: "medium",
        text: `${vacuous.length} attack(s) were blocked only because the policy does not list their server ` +
          `(packs: ${servers}); map the pack's servers to yours so the replay tests your real rules`,
        command: `agentperms replay --policy ${policy} --server-map <pack-server>=<your-server>`,
      });
    }
    const overBlocked = data.replay.value.attacks.filter((a) =>
      a.expect === "allow" && !a.passed && !a.unknownServer
    );
    if (overBlocked.length > 0) {
      steps.push({
        priority: "low",
        text:
          `${overBlocked.length} benign control call(s) were blocked: the policy may be stricter than your ` +
          "agent needs",
      });
    }
    if (through.length > 5) {
      steps.push({
        priority: "high",
        text: `${through.length - 5} more attack(s) got through`,
        command: `agentperms replay --policy ${policy}`,
      });
    }
  }
  if (data.lock.available && data.lock.value.drift.length > 0) {
    steps.push({
      priority: "high",
      text:
        `${data.lock.value.drift.length} change(s) since ${data.lock.value.file} was written: review them ` +
        "as a possible rug pull before re-locking",
      command: `agentperms lock --check`,
    });
  } else if (!data.lock.available) {
    steps.push({
      priority: "medium",
      text: "Pin every server's tools so later changes (rug pulls) are caught",
      command: "agentperms lock",
    });
  }
  if (data.scan.available) {
    const seen = new Set<string>();
    const sorted = [...data.scan.value.findings].sort((a, b) => sevRank(a.severity) - sevRank(b.severity));
    for (const f of sorted) {
      if (f.severity !== "high" && f.severity !== "medium") continue;
      const key = `${f.ruleId}\u0000${f.server}`;
      if (seen.has(key) || seen.size >= 8) continue;
      seen.add(key);
      steps.push({
        priority: f.severity === "high" ? "high" : "medium",
        text: `${f.server} (${f.client}): ${f.message}. ${f.hint}`,
      });
    }
  }
  if (data.activity.available) {
    const a = data.activity.value;
    if (a.forwardedNotAllowed > 0) {
      steps.push({
        priority: "medium",
        text: `${a.forwardedNotAllowed} observed call(s) reached a server without an allow decision: ` +
          "switch from record to enforce once the policy covers what the agent needs",
        command: `agentperms enforce --policy ${policy}`,
      });
    }
    if (a.malformed > 0) {
      steps.push({
        priority: "low",
        text: `${a.malformed} trace line(s) could not be read; see the activity section for where`,
      });
    }
  } else {
    steps.push({
      priority: "medium",
      text: "No traces: record what your agent really does so the policy can be inferred from evidence",
      command: "agentperms record",
    });
  }
  if (data.scopes?.available && data.scopes.value.judged) {
    // Values a call reached with no scope rule over them: what the policy could pin (infer --v2 learns them).
    const open = data.scopes.value.servers.filter((s) =>
      s.kinds.some((k) => k.kind !== "hosts" && k.values.some((v) => v.counts.unconstrained > 0))
    );
    if (open.length > 0) {
      steps.push({
        priority: "medium",
        text:
          `The traced calls reached repositories, recipients, channels, tables or namespaces with no scope rule ` +
          `on ${open.map((s) => s.server).join(", ")} (see "Scopes in use"): pin them with format 2 scopes`,
        command: `agentperms infer --v2 --merge ${policy} --out ${policy}`,
      });
    }
  }
  if (data.containment.available) {
    const open = data.containment.value.filter((c) => !c.contained);
    if (open.length > 0) {
      steps.push({
        priority: "low",
        text: `${open.length} server(s) run without the Deno permission layer (${
          open.map((c) => c.server).join(", ")
        }); prefer JS/TS servers or isolate them another way`,
        command: `agentperms sandbox explain --policy ${policy} --server ${open[0]!.server}`,
      });
    }
  }
  steps.push({
    priority: "low",
    text: "Gate every pull request on the policy, the lock and the scan",
    command: "agentperms init",
  });
  return steps.sort((a, b) => ORDER[a.priority] - ORDER[b.priority]);
}

function sevRank(s: string): number {
  return s === "high" ? 0 : s === "medium" ? 1 : s === "low" ? 2 : 3;
}
