import type { ReplayResult } from "./replay_pack.ts";

/** Counts for one evasion class (or `none` for plain attacks and controls). */
export interface EvasionCounts {
  /** Attacks (expect block) in the class. */
  attacks: number;
  /** Of those, blocked. */
  blocked: number;
  /** Benign controls (expect allow) in the class. */
  controls: number;
  /** Of those, allowed. */
  allowed: number;
}

/** Totals over replay results: the gate and the breakdown the report shows. */
export interface ReplaySummary {
  /** Attacks (expect block): how many, how many blocked. */
  attacks: { total: number; blocked: number };
  /** Benign controls (expect allow): how many, how many allowed. */
  controls: { total: number; allowed: number };
  /** Per evasion class; `none` collects attacks without one. */
  byEvasion: Record<string, EvasionCounts>;
  /** Attacks (expect block) per severity: how many, how many blocked. */
  bySeverity: Record<string, { attacks: number; blocked: number }>;
  /** Attacks that got through (result ids). */
  holes: string[];
  /** Controls that were blocked (result ids). */
  overBlocked: string[];
  /**
   * Pack servers whose attacks were blocked only by the unknown-server default-deny, with how many
   * attacks that was; such a block proves nothing about the real server.
   */
  unknownServers: Record<string, number>;
  /** True when every attack was blocked and every control allowed. */
  ok: boolean;
}

/**
 * Sums replay results into the verdict, the gate and a breakdown by evasion class.
 * @param results results of one or more `replayPack` runs
 * @returns the summary
 */
export function summarizeReplay(results: readonly ReplayResult[]): ReplaySummary {
  const s: ReplaySummary = {
    attacks: { total: 0, blocked: 0 },
    controls: { total: 0, allowed: 0 },
    byEvasion: {},
    bySeverity: {},
    holes: [],
    overBlocked: [],
    unknownServers: {},
    ok: true,
  };
  for (const r of results) {
    const cls = (s.byEvasion[r.evasion ?? "none"] ??= { attacks: 0, blocked: 0, controls: 0, allowed: 0 });
    if (r.expect === "block") {
      const sev = (s.bySeverity[r.severity] ??= { attacks: 0, blocked: 0 });
      s.attacks.total++;
      cls.attacks++;
      sev.attacks++;
      if (r.blocked) {
        s.attacks.blocked++;
        cls.blocked++;
        sev.blocked++;
      } else s.holes.push(r.id);
      if (r.unknownServer) s.unknownServers[r.server] = (s.unknownServers[r.server] ?? 0) + 1;
    } else {
      s.controls.total++;
      cls.controls++;
      if (!r.blocked) {
        s.controls.allowed++;
        cls.allowed++;
      } else s.overBlocked.push(r.id);
    }
  }
  s.ok = s.holes.length === 0 && s.overBlocked.length === 0;
  return s;
}
