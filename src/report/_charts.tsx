// Inline SVG charts for the report. Colours come from CSS classes (so dark mode and print work); every
// text node is a JSX child, so it is escaped.
import type { DecisionCounts, TimelineBucket } from "./report_data.ts";
import type { RiskLevel } from "./risk_score.ts";

/** Outcome keys in stacking order, with their labels. */
export const OUTCOMES: ReadonlyArray<[keyof DecisionCounts, string]> = [
  ["allowed", "Allowed"],
  ["denied", "Denied"],
  ["approved", "Approved"],
  ["approvalRefused", "Approval refused"],
  ["contained", "Contained"],
  ["recorded", "Recorded (no decision)"],
];

/** A colour legend for the outcome classes. */
export function Legend(props: { counts?: DecisionCounts }) {
  return (
    <div class="legend">
      {OUTCOMES.filter(([k]) => !props.counts || props.counts[k] > 0).map(([k, label]) => (
        <span key={k}>
          <svg width="10" height="10" aria-hidden="true">
            <rect width="10" height="10" class={`f-${k}`} />
          </svg>
          {label}
          {props.counts ? ` ${props.counts[k]}` : ""}
        </span>
      ))}
    </div>
  );
}

function total(c: DecisionCounts): number {
  return OUTCOMES.reduce((s, [k]) => s + c[k], 0);
}

function shortTime(iso: string, spanMs: number): string {
  // Day-long or longer timelines label dates; shorter ones label times (UTC, like the trace).
  return spanMs >= 2 * 86400000 ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}Z`;
}

/** Stacked bars: calls per time bucket, coloured by outcome. */
export function TimelineChart(props: { buckets: TimelineBucket[] }) {
  const { buckets } = props;
  const W = 720, H = 200, left = 40, right = 10, top = 10, bottom = 30;
  const plotW = W - left - right, plotH = H - top - bottom;
  const max = Math.max(1, ...buckets.map((b) => total(b.counts)));
  const bw = plotW / Math.max(1, buckets.length);
  const span = buckets.length
    ? Date.parse(buckets[buckets.length - 1]!.end) - Date.parse(buckets[0]!.start)
    : 0;
  const labelIdx = buckets.length <= 1 ? [0] : [0, Math.floor((buckets.length - 1) / 2), buckets.length - 1];
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      width="100%"
      role="img"
      aria-label={`Calls over time, ${buckets.length} interval(s), at most ${max} per interval`}
    >
      <line class="axis" x1={left} y1={top + plotH} x2={W - right} y2={top + plotH} />
      <line class="axis" x1={left} y1={top} x2={left} y2={top + plotH} />
      <text x={left - 6} y={top + 10} text-anchor="end">{String(max)}</text>
      <text x={left - 6} y={top + plotH} text-anchor="end">0</text>
      {buckets.map((b, i) => {
        let y = top + plotH;
        // Few buckets would make slabs; cap the bar width and centre it in its slot.
        const w = Math.min(48, Math.max(1, bw - 2 * Math.min(2, bw * 0.1)));
        const x = left + i * bw + (bw - w) / 2;
        return (
          <g key={i}>
            <title>{`${b.start} – ${b.end}: ${total(b.counts)} call(s)`}</title>
            {OUTCOMES.filter(([k]) => b.counts[k] > 0).map(([k, label]) => {
              const h = (b.counts[k] / max) * plotH;
              y -= h;
              return (
                <rect key={k} class={`f-${k}`} x={fix(x)} y={fix(y)} width={fix(w)} height={fix(h)}>
                  <title>{`${label}: ${b.counts[k]}`}</title>
                </rect>
              );
            })}
          </g>
        );
      })}
      {buckets.length > 0 &&
        labelIdx.map((i, n) => (
          <text
            key={n}
            x={fix(left + i * bw + (n === 0 ? 0 : n === labelIdx.length - 1 ? bw : bw / 2))}
            y={H - 10}
            text-anchor={n === 0 ? "start" : n === labelIdx.length - 1 ? "end" : "middle"}
          >
            {shortTime(n === labelIdx.length - 1 && n > 0 ? buckets[i]!.end : buckets[i]!.start, span)}
          </text>
        ))}
    </svg>
  );
}

/** One horizontal bar split by outcome (the decisions overview). */
export function OutcomeBar(props: { counts: DecisionCounts }) {
  const W = 720, H = 18;
  const t = Math.max(1, total(props.counts));
  let x = 0;
  return (
    <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label="Share of calls by outcome">
      {OUTCOMES.filter(([k]) => props.counts[k] > 0).map(([k, label]) => {
        const w = (props.counts[k] / t) * W;
        const r = (
          <rect key={k} class={`f-${k}`} x={fix(x)} y="0" width={fix(w)} height={H}>
            <title>{`${label}: ${props.counts[k]}`}</title>
          </rect>
        );
        x += w;
        return r;
      })}
    </svg>
  );
}

/** The score ring: an arc proportional to the score, coloured by level. */
export function ScoreGauge(props: { score: number; level: RiskLevel }) {
  const r = 52, c = 2 * Math.PI * r;
  const len = (Math.max(0, Math.min(100, props.score)) / 100) * c;
  return (
    <svg viewBox="0 0 140 140" width="140" height="140" role="img" aria-label={`Risk ${props.score} of 100`}>
      <circle class="track" cx="70" cy="70" r={r} stroke-width="12" />
      <circle
        class={`arc-${props.level}`}
        cx="70"
        cy="70"
        r={r}
        stroke-width="12"
        stroke-dasharray={`${fix(len)} ${fix(c)}`}
        transform="rotate(-90 70 70)"
      />
      <text class="big" x="70" y="78" text-anchor="middle">{String(props.score)}</text>
      <text x="70" y="98" text-anchor="middle">of 100</text>
    </svg>
  );
}

function fix(n: number): string {
  return (Math.round(n * 100) / 100).toString();
}
