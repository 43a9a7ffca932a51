import type { ReportData } from "./report_data.ts";

/** Risk level shown beside the score. */
export type RiskLevel = "low" | "medium" | "high";

/** One part of the score, with the reason a reader can check. */
export interface RiskComponent {
  /** Stable id: `exposure`, `policy`, `drift`, `containment`, `activity`. */
  id: string;
  /** Short label. */
  label: string;
  /** Points this part adds (0..max), or null when its input is not available. */
  points: number | null;
  /** The most this part can add. */
  max: number;
  /** How the points were reached, in one sentence. */
  explanation: string;
}

/** The overall risk and why. */
export interface RiskScore {
  /** 0..100: the sum of the available components. */
  score: number;
  /** Level after the floor rules. */
  level: RiskLevel;
  /** Every component, including unknown ones. */
  components: RiskComponent[];
  /** Why the level is at least high even if the score is lower (empty when no floor applied). */
  floors: string[];
  /** Components whose input was missing; the score can only be higher than shown. */
  unknown: string[];
}

/** Points per finding severity inside the exposure component. */
const SEVERITY_POINTS = { high: 10, medium: 4, low: 1, info: 0 } as const;

/**
 * Computes the overall risk from a report's data. It fixes the original's formula
 * (`min(100, 25·HIGH + 10·MEDIUM + 3·LOW + 20·unblocked)`), which saturated at four HIGH findings, grew with
 * the number of attacks in the pack rather than the share that got through, ignored drift, containment and
 * what the agent actually did, and treated a missing policy as an empty one without saying so.
 *
 * Here the score is the sum of five bounded components (exposure 30, policy 30, drift 15, containment 10,
 * activity 15 = 100), so no single input can hide the others; the policy and activity parts use rates, not
 * counts; a missing input is reported as unknown (never as zero risk); and any HIGH finding, any attack that
 * got through or any drift puts the level at high whatever the score.
 *
 * @param data the report data
 * @returns the score, its level and one explanation per component
 */
export function riskScore(data: ReportData): RiskScore {
  const components: RiskComponent[] = [];
  const floors: string[] = [];

  // Exposure: what the client configs give away, before any agent runs.
  if (data.scan.available) {
    const f = data.scan.value.findings;
    const n = { high: 0, medium: 0, low: 0, info: 0 };
    for (const x of f) n[x.severity]++;
    const raw = n.high * SEVERITY_POINTS.high + n.medium * SEVERITY_POINTS.medium +
      n.low * SEVERITY_POINTS.low;
    components.push({
      id: "exposure",
      label: "Config exposure",
      points: Math.min(30, raw),
      max: 30,
      explanation: `${n.high} high × 10 + ${n.medium} medium × 4 + ${n.low} low × 1 = ${raw}` +
        (raw > 30 ? ", capped at 30" : "") + ` (from ${data.scan.value.servers} server(s) scanned).`,
    });
    if (n.high > 0) floors.push(`${n.high} HIGH scan finding(s)`);
  } else components.push(unknown("exposure", "Config exposure", 30, data.scan.reason));

  // Policy: the share of attacks the policy lets through; no policy means nothing is blocked.
  if (data.replay.available) {
    const attacks = data.replay.value.attacks.filter((x) => x.expect === "block");
    // An attack blocked only because the policy does not list its server says nothing about the servers
    // the policy does constrain (the original's "8/8 trivially"); leave those out of the share.
    const a = attacks.filter((x) => !(x.blocked && x.unknownServer));
    const through = a.filter((x) => !x.blocked).length;
    const pts = a.length ? Math.round((30 * through) / a.length) : 0;
    if (a.length === 0 && attacks.length > 0) {
      components.push(
        unknown(
          "policy",
          "Policy gaps",
          30,
          `all ${attacks.length} replayed attack(s) target servers the policy does not list, so the replay ` +
            "proves nothing about your servers (map them with replay --server-map)",
        ),
      );
    } else {
      components.push({
        id: "policy",
        label: "Policy gaps",
        points: pts,
        max: 30,
        explanation: a.length
          ? `${through} of ${a.length} replayed attack(s) got through: 30 × ${through}/${a.length} = ${pts}` +
            (attacks.length > a.length
              ? ` (${
                attacks.length - a.length
              } more were blocked only because their server is not in the policy ` +
                "and are not counted)."
              : ".")
          : "No attacks were replayed.",
      });
    }
    if (through > 0) floors.push(`${through} attack(s) got through the policy`);
  } else if (!data.policy.available) {
    components.push({
      id: "policy",
      label: "Policy gaps",
      points: 30,
      max: 30,
      explanation: `No policy is in force (${data.policy.reason}), so nothing limits what an agent may call.`,
    });
    floors.push("no policy in force");
  } else components.push(unknown("policy", "Policy gaps", 30, data.replay.reason));

  // Drift: a tool that changed after it was trusted is a rug pull until a human reviews it.
  if (data.lock.available) {
    const d = data.lock.value.drift.length;
    components.push({
      id: "drift",
      label: "Lock drift",
      points: d > 0 ? 15 : 0,
      max: 15,
      explanation: d > 0
        ? `${d} difference(s) from ${data.lock.value.file}; any unreviewed change counts in full.`
        : `No drift from ${data.lock.value.file}.`,
    });
    if (d > 0) floors.push(`${d} tool(s) or server(s) drifted from the lock`);
  } else components.push(unknown("drift", "Lock drift", 15, data.lock.reason));

  // Containment: servers that run outside the Deno permission layer rely on the JSON-RPC check alone.
  if (data.containment.available && data.containment.value.length > 0) {
    const all = data.containment.value;
    const open = all.filter((c) => !c.contained).length;
    const pts = Math.round((10 * open) / all.length);
    components.push({
      id: "containment",
      label: "Containment",
      points: pts,
      max: 10,
      explanation: `${open} of ${all.length} server(s) not contained: 10 × ${open}/${all.length} = ${pts}.`,
    });
  } else {
    components.push(
      unknown(
        "containment",
        "Containment",
        10,
        data.containment.available ? "no servers to assess" : data.containment.reason,
      ),
    );
  }

  // Activity: calls that reached a server without an allow, and OS accesses the sandbox had to block.
  if (data.activity.available && data.activity.value.calls > 0) {
    const a = data.activity.value;
    const risky = a.forwardedNotAllowed + a.totals.contained;
    const pts = Math.min(15, Math.round((15 * risky) / a.calls));
    components.push({
      id: "activity",
      label: "Observed activity",
      points: pts,
      max: 15,
      explanation:
        `${a.forwardedNotAllowed} call(s) reached a server without an allow and ${a.totals.contained} ` +
        `access(es) were blocked by the sandbox, of ${a.calls} call(s): 15 × ${risky}/${a.calls} = ${pts}.`,
    });
  } else {
    components.push(
      unknown(
        "activity",
        "Observed activity",
        15,
        data.activity.available ? "the traces hold no calls" : data.activity.reason,
      ),
    );
  }

  const score = components.reduce((s, c) => s + (c.points ?? 0), 0);
  let level: RiskLevel = score >= 60 ? "high" : score >= 30 ? "medium" : "low";
  if (floors.length > 0) level = "high";
  return {
    score,
    level,
    components,
    floors,
    unknown: components.filter((c) => c.points === null).map((c) => c.label),
  };
}

function unknown(id: string, label: string, max: number, reason: string): RiskComponent {
  return { id, label, points: null, max, explanation: `Unknown: ${reason}.` };
}
