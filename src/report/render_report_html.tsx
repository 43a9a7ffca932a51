import { createHash } from "node:crypto";
import type { ComponentChildren } from "preact";
import { renderToString } from "preact-render-to-string";
import { Legend, OutcomeBar, OUTCOMES, ScoreGauge, TimelineChart } from "./_charts.tsx";
import { REPORT_CSS } from "./_styles.ts";
import { nextSteps } from "./next_steps.ts";
import type {
  DecisionCounts,
  ReportActivity,
  ReportAttack,
  ReportContainment,
  ReportData,
  ReportLock,
  ReportPolicy,
  ReportScan,
  ReportScopes,
  Section,
} from "./report_data.ts";
import { SCOPE_VERDICT_TEXT } from "./render_report_text.ts";
import { riskScore } from "./risk_score.ts";

/**
 * The Content-Security-Policy the report carries: nothing may load (no scripts, images, fonts, frames or
 * connections); only the report's own stylesheet, by hash, applies. Defence in depth behind escaping.
 */
function contentSecurityPolicy(): string {
  const hash = createHash("sha256").update(REPORT_CSS).digest("base64");
  return `default-src 'none'; style-src 'sha256-${hash}'; img-src 'none'; base-uri 'none'; form-action 'none'`;
}

/**
 * Renders the report as one self-contained HTML document: inline CSS and SVG, no scripts, no external
 * assets, a CSP that forbids loading anything, light and dark mode, printable. Every value from `data` goes
 * through JSX, so it is escaped (a tool named `<img src=x onerror=alert(1)>` shows as text). Pure; the
 * caller redacts `data` first (see `redactReportData`).
 *
 * @param data what the report shows
 * @returns the HTML text, starting with `<!DOCTYPE html>`
 */
export function renderReportHtml(data: ReportData): string {
  return "<!DOCTYPE html>\n" + renderToString(<Report data={data} />) + "\n";
}

function Report({ data }: { data: ReportData }) {
  const risk = riskScore(data);
  const steps = nextSteps(data);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta http-equiv="Content-Security-Policy" content={contentSecurityPolicy()} />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="referrer" content="no-referrer" />
        <title>AgentPerms report</title>
        {/* A constant stylesheet; nothing from the data is ever placed in it. */}
        <style dangerouslySetInnerHTML={{ __html: REPORT_CSS }} />
      </head>
      <body>
        <header>
          <h1>AgentPerms report</h1>
          <p class="meta">
            Generated {data.generatedAt} by agentperms {data.version}
            {data.inputs.policy ? ` · policy ${data.inputs.policy}` : ""}
            {data.inputs.path ? ` · configs ${data.inputs.path}` : ""}
            {data.inputs.traces ? ` · traces ${data.inputs.traces}` : ""}
            {data.inputs.lock ? ` · lock ${data.inputs.lock}` : ""}
          </p>
        </header>

        <section id="risk">
          <h2>Overall risk</h2>
          <div class="risk">
            <div class="gauge">
              <ScoreGauge score={risk.score} level={risk.level} />
            </div>
            <div class="why">
              <p>
                Risk <strong>{String(risk.score)}/100</strong>, level{" "}
                <span class={`level level-${risk.level}`}>{risk.level}</span>.
              </p>
              {risk.floors.length > 0 && (
                <p>
                  The level is high regardless of the score because of: {risk.floors.join("; ")}.
                </p>
              )}
              {risk.unknown.length > 0 && (
                <p class="muted">
                  Not assessed (missing input, so the real score can only be higher):{" "}
                  {risk.unknown.join(", ")}.
                </p>
              )}
            </div>
          </div>
          <table>
            <thead>
              <tr>
                <th>Component</th>
                <th class="num">Points</th>
                <th>How it was computed</th>
              </tr>
            </thead>
            <tbody>
              {risk.components.map((c) => (
                <tr key={c.id}>
                  <td>{c.label}</td>
                  <td class="num">{c.points === null ? `? / ${c.max}` : `${c.points} / ${c.max}`}</td>
                  <td>{c.explanation}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">
            The score is the sum of five bounded parts, so no single input can hide the others: config
            exposure (HIGH 10, MEDIUM 4, LOW 1 per finding, at most 30), policy gaps (the share of replayed
            attacks that got through, at most 30; 30 when no policy is in force), lock drift (15 when anything
            drifted), servers outside the sandbox (share, at most 10) and observed calls that reached a server
            without an allow or were blocked by the sandbox (share, at most 15). Levels: high from 60, medium
            from 30; any HIGH finding, attack that got through or drift makes the level high.
          </p>
        </section>

        <section id="next-steps">
          <h2>Next steps</h2>
          {steps.length === 0 ? <p>Nothing to do.</p> : (
            <ol class="steps">
              {steps.map((s, i) => (
                <li key={i}>
                  <span class={`sev sev-${s.priority}`}>{s.priority}</span> {s.text}
                  {s.command && (
                    <>
                      {" "}
                      <code>{s.command}</code>
                    </>
                  )}
                </li>
              ))}
            </ol>
          )}
        </section>

        <section id="findings">
          <h2>Scan findings</h2>
          <SectionBody section={data.scan}>{(s) => <Findings scan={s} />}</SectionBody>
        </section>

        <section id="drift">
          <h2>Lock drift</h2>
          <SectionBody section={data.lock}>{(l) => <Drift lock={l} />}</SectionBody>
        </section>

        <section id="activity">
          <h2>Observed activity</h2>
          <SectionBody section={data.activity}>{(a) => <Activity activity={a} />}</SectionBody>
        </section>

        <section id="decisions">
          <h2>Decisions</h2>
          <SectionBody section={data.activity}>
            {(a) => <Decisions counts={a.totals} calls={a.calls} denyRules={a.denyRules} />}
          </SectionBody>
        </section>

        <section id="scopes">
          <h2>Scopes in use</h2>
          <SectionBody section={data.scopes ?? { available: false, reason: "not collected" }}>
            {(s) => <Scopes scopes={s} />}
          </SectionBody>
        </section>

        <section id="replay">
          <h2>Replay: attacks against the policy</h2>
          <SectionBody section={data.replay}>
            {(r) => <Replay attacks={r.attacks} packs={r.packs} />}
          </SectionBody>
        </section>

        <section id="containment">
          <h2>Containment</h2>
          <SectionBody section={data.containment}>{(c) => <Containment servers={c} />}</SectionBody>
        </section>

        <section id="policy">
          <h2>Policy in force</h2>
          <SectionBody section={data.policy}>{(p) => <Policy policy={p} />}</SectionBody>
        </section>

        <footer>
          <p>Redaction: {data.redaction}</p>
          <p>
            This file is self-contained: no scripts, no external assets, no network requests (its
            Content-Security-Policy forbids them).
          </p>
        </footer>
      </body>
    </html>
  );
}

function SectionBody<T>(props: { section: Section<T>; children: (value: T) => ComponentChildren }) {
  if (!props.section.available) return <p class="na">Not available: {props.section.reason}.</p>;
  return <>{props.children(props.section.value)}</>;
}

function Scopes({ scopes }: { scopes: ReportScopes }) {
  if (scopes.servers.length === 0) {
    return <p>No traced call named a repository, recipient, channel, table, namespace or host.</p>;
  }
  return (
    <>
      <p>
        What the traced calls touched, read with each server's profile (the one the policy's decisions use)
        {scopes.judged
          ? ", and what decide() said about the calls that named each value."
          : ". No policy was given, so nothing is judged."}
      </p>
      <table>
        <thead>
          <tr>
            <th>Server</th>
            <th>Scope</th>
            <th>Value</th>
            <th class="num">Calls</th>
            <th>Verdict</th>
            <th>Rules</th>
          </tr>
        </thead>
        <tbody>
          {scopes.servers.flatMap((srv) => [
            <tr key={srv.server}>
              <td class="name">
                <strong>{srv.server}</strong>
              </td>
              <td class="muted" colSpan={2}>
                {srv.profile ? `profile ${srv.profile}` : "no server profile"}
                {srv.unreadable > 0
                  ? ` · ${srv.unreadable} call(s) whose scopes could not be read: ${
                    srv.unreadableExamples.join("; ")
                  }`
                  : ""}
              </td>
              <td class="num">
                <strong>{String(srv.calls)}</strong>
              </td>
              <td colSpan={2}></td>
            </tr>,
            ...srv.kinds.flatMap((k) => [
              ...k.values.map((v) => (
                <tr key={`${srv.server}/${k.kind}/${v.value}`}>
                  <td></td>
                  <td>{k.kind}</td>
                  <td>
                    <code>{v.value}</code>
                  </td>
                  <td class="num">{String(v.calls)}</td>
                  <td>
                    <span class={v.verdict === "denied" ? "bad" : v.verdict === "allowed" ? "ok" : "muted"}>
                      {SCOPE_VERDICT_TEXT[v.verdict]}
                    </span>
                    {Object.values(v.counts).filter((n) => n > 0).length > 1 && (
                      <div class="muted">
                        {Object.entries(v.counts).filter(([, n]) => n > 0).map(([w, n]) => `${n} ${w}`).join(
                          ", ",
                        )}
                      </div>
                    )}
                  </td>
                  <td>
                    {v.ruleIds.map((id, i) => (
                      <span key={id}>
                        {i > 0 ? ", " : ""}
                        <code>{id}</code>
                      </span>
                    ))}
                  </td>
                </tr>
              )),
              ...(k.more > 0
                ? [
                  <tr key={`${srv.server}/${k.kind}/more`}>
                    <td></td>
                    <td>{k.kind}</td>
                    <td class="muted" colSpan={4}>
                      … and {String(k.more)} more use(s) of values beyond the first ones, not listed
                    </td>
                  </tr>,
                ]
                : []),
            ]),
          ])}
        </tbody>
      </table>
    </>
  );
}

const SEV_ORDER: Record<string, number> = { high: 0, medium: 1, low: 2, info: 3 };

function Findings({ scan }: { scan: ReportScan }) {
  const sorted = [...scan.findings].sort((a, b) =>
    (SEV_ORDER[a.severity] ?? 9) - (SEV_ORDER[b.severity] ?? 9) || a.server.localeCompare(b.server) ||
    a.ruleId.localeCompare(b.ruleId)
  );
  const n = (s: string) => scan.findings.filter((f) => f.severity === s).length;
  return (
    <>
      <p>
        Scanned {String(scan.servers)} server(s) across {String(scan.configs)} config(s):{" "}
        {scan.findings.length === 0
          ? "no findings."
          : `${n("high")} high, ${n("medium")} medium, ${n("low")} low, ${n("info")} info.`}
      </p>
      {sorted.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Severity</th>
              <th>Server</th>
              <th>Finding</th>
              <th>Fix</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((f, i) => (
              <tr key={i}>
                <td>
                  <span class={`sev sev-${f.severity}`}>{f.severity}</span>
                </td>
                <td>
                  {f.server}
                  <div class="muted">{f.client} · {f.file}</div>
                </td>
                <td>
                  {f.message}
                  <div class="muted">
                    <code>{f.ruleId}</code>
                  </div>
                </td>
                <td>{f.hint}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Drift({ lock }: { lock: ReportLock }) {
  return (
    <>
      <p>
        Compared with <code>{lock.file}</code> ({String(lock.servers)} server(s) pinned):{" "}
        {lock.drift.length === 0
          ? <span class="ok">no drift.</span>
          : <span class="bad">{String(lock.drift.length)} difference(s).</span>}
      </p>
      {lock.drift.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>Change</th>
              <th>Server</th>
              <th>Tool</th>
              <th>Fields</th>
              <th>Detail</th>
              <th>Seen in</th>
            </tr>
          </thead>
          <tbody>
            {lock.drift.map((d, i) => (
              <tr key={i}>
                <td>
                  <span class="sev sev-high">{d.change}</span>
                </td>
                <td>{d.server}</td>
                <td>{d.tool ?? "(server)"}</td>
                <td>{d.fields.join(", ")}</td>
                <td>{d.detail}</td>
                <td>{d.source === "lock" ? "lock check" : "trace"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Activity({ activity: a }: { activity: ReportActivity }) {
  return (
    <>
      <p>
        {String(a.calls)} call(s) in {String(a.files)} trace file(s)
        {a.first && a.last ? `, from ${a.first} to ${a.last}` : ""}
        {a.malformed > 0 ? `; ${a.malformed} line(s) could not be read and were skipped` : ""}.
      </p>
      {a.problems.length > 0 && (
        <ul class="muted">
          {a.problems.map((p, i) => <li key={i}>{p}</li>)}
        </ul>
      )}
      {a.timeline.length > 0 && (
        <>
          <h3>Timeline</h3>
          <TimelineChart buckets={a.timeline} />
          <Legend />
        </>
      )}
      {a.servers.length > 0 && (
        <>
          <h3>Per server and tool</h3>
          <table>
            <thead>
              <tr>
                <th>Server</th>
                <th>Tool</th>
                <th class="num">Calls</th>
                {OUTCOMES.map(([k, label]) => <th key={k} class="num">{label}</th>)}
              </tr>
            </thead>
            <tbody>
              {a.servers.flatMap((s) => [
                <tr key={s.server}>
                  <td class="name">
                    <strong>{s.server}</strong>
                  </td>
                  <td class="muted">all tools</td>
                  <td class="num">
                    <strong>{String(s.calls)}</strong>
                  </td>
                  <CountCells counts={s.counts} />
                </tr>,
                ...s.tools.map((t) => (
                  <tr key={`${s.server}\u0000${t.tool}`}>
                    <td></td>
                    <td>
                      <code>{t.tool}</code>
                    </td>
                    <td class="num">{String(t.calls)}</td>
                    <CountCells counts={t.counts} />
                  </tr>
                )),
              ])}
            </tbody>
          </table>
        </>
      )}
      {a.servers.some((s) => s.unusedTools.length > 0) && (
        <>
          <h3>Offered but never used</h3>
          <p class="muted">
            Tools a server listed that the agent never called. If it does not need them, deny them (
            <code>agentperms infer</code> does this from the same traces).
          </p>
          <table>
            <thead>
              <tr>
                <th>Server</th>
                <th>Unused tools</th>
              </tr>
            </thead>
            <tbody>
              {a.servers.filter((s) => s.unusedTools.length > 0).map((s) => (
                <tr key={s.server}>
                  <td>{s.server}</td>
                  <td>{s.unusedTools.join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

function CountCells({ counts }: { counts: DecisionCounts }) {
  return <>{OUTCOMES.map(([k]) => <td key={k} class="num">{counts[k] ? String(counts[k]) : ""}</td>)}</>;
}

function Decisions(
  { counts, calls, denyRules }: {
    counts: DecisionCounts;
    calls: number;
    denyRules: ReportActivity["denyRules"];
  },
) {
  if (calls === 0) return <p>No calls were observed.</p>;
  return (
    <>
      <div class="cards">
        {OUTCOMES.filter(([k]) => k !== "recorded" || counts.recorded > 0).map(([k, label]) => (
          <div key={k} class="card">
            <div class="n">{String(counts[k])}</div>
            <div class="l">{label}</div>
          </div>
        ))}
      </div>
      <OutcomeBar counts={counts} />
      <Legend counts={counts} />
      {denyRules.length > 0 && (
        <>
          <h3>Why calls were denied</h3>
          <table>
            <thead>
              <tr>
                <th>Rule</th>
                <th class="num">Calls</th>
              </tr>
            </thead>
            <tbody>
              {denyRules.map((r) => (
                <tr key={r.ruleId}>
                  <td>
                    <code>{r.ruleId}</code>
                  </td>
                  <td class="num">{String(r.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <p class="muted">
        Allowed, denied and approval come from the policy decision; contained means the Deno permission layer
        blocked what a server tried to do even after the call was let through.
      </p>
    </>
  );
}

function Replay({ attacks: all, packs }: { attacks: ReportAttack[]; packs: string[] }) {
  const attacks = all.filter((a) => a.expect === "block");
  const controls = all.filter((a) => a.expect === "allow");
  const through = attacks.filter((a) => !a.blocked);
  const vacuous = attacks.filter((a) => a.blocked && a.unknownServer).length;
  const classes = new Map<string, { total: number; blocked: number }>();
  for (const a of attacks) {
    const c = classes.get(a.evasionClass) ?? { total: 0, blocked: 0 };
    c.total++;
    if (a.blocked) c.blocked++;
    classes.set(a.evasionClass, c);
  }
  // Controls for servers the policy does not list are blocked by default-deny: expected, not over-blocking.
  const overBlockedRows = controls.filter((c) => !c.passed && !c.unknownServer);
  const overBlocked = overBlockedRows.length;
  const unlistedControls = controls.length - controls.filter((c) => !c.unknownServer).length;
  const tested = attacks.length - vacuous;
  return (
    <>
      <p>
        {through.length > 0
          ? (
            <span class="bad">
              {String(through.length)} of {String(tested)} attack(s) against servers in the policy got through
            </span>
          )
          : tested > 0
          ? <span class="ok">All {String(tested)} attack(s) against servers in the policy blocked</span>
          : (
            <span class="bad">
              No attack tested the servers in this policy
            </span>
          )} ({String(attacks.length)} replayed from {String(packs.length)} pack(s): {packs.join(", ")}).
        {controls.length - unlistedControls > 0 &&
          ` ${controls.length - unlistedControls - overBlocked} of ${
            controls.length - unlistedControls
          } benign control call(s) for servers in the policy still allowed.`}
      </p>
      {vacuous > 0 && (
        <p class="muted">
          {String(vacuous)}{" "}
          attack(s) were blocked only because the policy does not list their server. That proves nothing about
          your real servers, so they do not count in the score; map the pack's servers to yours with{" "}
          <code>agentperms replay --server-map</code>.
          {unlistedControls > 0 &&
            ` ${unlistedControls} benign control(s) for such servers were blocked the same way and are not counted as over-blocking.`}
        </p>
      )}
      <h3>By evasion class</h3>
      <table>
        <thead>
          <tr>
            <th>Evasion class</th>
            <th class="num">Attacks</th>
            <th class="num">Blocked</th>
            <th class="num">Got through</th>
          </tr>
        </thead>
        <tbody>
          {[...classes.entries()].sort((a, b) => a[0].localeCompare(b[0])).map(([name, c]) => (
            <tr key={name}>
              <td>{name}</td>
              <td class="num">{String(c.total)}</td>
              <td class="num">{String(c.blocked)}</td>
              <td class="num">
                {c.total - c.blocked > 0 ? <span class="bad">{String(c.total - c.blocked)}</span> : "0"}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Attacks that got through and controls that were blocked</h3>
      {through.length + overBlocked === 0
        ? <p>None.</p>
        : <AttackTable rows={[...through, ...overBlockedRows]} />}
      <details>
        <summary>
          All {String(all.length)} replayed call(s) ({String(attacks.length - through.length)}{" "}
          attack(s) blocked, {String(controls.length - overBlocked)} control(s) allowed)
        </summary>
        <AttackTable rows={all} />
      </details>
    </>
  );
}

function AttackTable({ rows }: { rows: ReportAttack[] }) {
  return (
    <table>
      <thead>
        <tr>
          <th>Result</th>
          <th>Attack</th>
          <th>Class</th>
          <th>Severity</th>
          <th>Verdict</th>
          <th>Detail</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((a, i) => (
          <tr key={i}>
            <td>
              {a.expect === "allow"
                ? (a.passed
                  ? <span class="ok">control allowed</span>
                  : <span class="bad">control blocked</span>)
                : a.blocked
                ? <span class="ok">blocked{a.unknownServer ? " (unlisted server)" : ""}</span>
                : <span class="bad">GOT THROUGH</span>}
            </td>
            <td>
              <code>{a.id}</code>
            </td>
            <td>{a.evasionClass}</td>
            <td>
              <span class={`sev sev-${a.severity}`}>{a.severity}</span>
            </td>
            <td>{a.verdict}</td>
            <td>{a.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Containment({ servers }: { servers: ReportContainment[] }) {
  if (servers.length === 0) return <p>No servers to assess.</p>;
  const n = servers.filter((s) => s.contained).length;
  return (
    <>
      <p>
        {String(n)} of {String(servers.length)} server(s) run under Deno permissions derived from the policy.
      </p>
      <table>
        <thead>
          <tr>
            <th>Server</th>
            <th>Contained</th>
            <th>Mode</th>
            <th>How / why not</th>
          </tr>
        </thead>
        <tbody>
          {servers.map((s, i) => (
            <tr key={i}>
              <td>{s.server}</td>
              <td>{s.contained ? <span class="ok">yes</span> : <span class="bad">no</span>}</td>
              <td>{s.mode}</td>
              <td>
                <code>{s.detail}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Policy({ policy }: { policy: ReportPolicy }) {
  return (
    <>
      <p>
        <code>{policy.file}</code> constrains {String(policy.servers.length)} server(s)
        {policy.servers.length ? `: ${policy.servers.join(", ")}` : ""}.
      </p>
      {policy.warnings.length > 0 && (
        <ul>
          {policy.warnings.map((w, i) => <li key={i} class="sev-medium">{w}</li>)}
        </ul>
      )}
      <pre>{policy.text}</pre>
    </>
  );
}
