/**
 * The report's only stylesheet, inlined into the HTML. A constant: no value from the data ever goes in here
 * (a `<style>` element's text is not escaped by the renderer), and its hash goes into the page's
 * Content-Security-Policy.
 */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #59636e; --card: #f6f8fa; --line: #d1d9e0;
  --allowed: #1a7f37; --denied: #cf222e; --approved: #8250df; --refused: #bc4c00;
  --contained: #0969da; --recorded: #8c959f;
  --high: #cf222e; --medium: #9a6700; --low: #1a7f37; --info: #59636e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --card: #151b23; --line: #3d444d;
    --allowed: #3fb950; --denied: #f85149; --approved: #ab7df8; --refused: #db6d28;
    --contained: #4493f8; --recorded: #9198a1;
    --high: #f85149; --medium: #d29922; --low: #3fb950; --info: #9198a1;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0 auto; max-width: 1100px; padding: 24px; background: var(--bg); color: var(--fg);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 16px 0 6px; }
p { margin: 6px 0; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre {
  background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px;
  overflow-x: auto; white-space: pre-wrap; word-break: break-word;
}
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td { word-break: break-word; }
td.name { word-break: normal; overflow-wrap: break-word; min-width: 8em; }
.muted { color: var(--muted); }
.meta { color: var(--muted); font-size: 13px; }
.na {
  border: 1px dashed var(--line); border-radius: 6px; padding: 10px 12px; color: var(--muted);
}
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.card {
  flex: 1 1 130px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px;
}
.card .n { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.card .l { color: var(--muted); font-size: 12px; }
.risk { display: flex; gap: 24px; align-items: center; flex-wrap: wrap; }
.risk .gauge { flex: 0 0 140px; }
.risk .why { flex: 1 1 400px; }
.level { font-weight: 700; text-transform: uppercase; }
.sev { font-weight: 700; font-size: 12px; text-transform: uppercase; }
.sev-high, .level-high { color: var(--high); }
.sev-medium, .level-medium { color: var(--medium); }
.sev-low, .level-low { color: var(--low); }
.sev-info { color: var(--info); }
.ok { color: var(--allowed); font-weight: 600; }
.bad { color: var(--denied); font-weight: 600; }
svg text { fill: var(--muted); font: 11px system-ui, sans-serif; }
svg .axis { stroke: var(--line); }
svg .track { stroke: var(--line); fill: none; }
svg .arc-high { stroke: var(--high); fill: none; }
svg .arc-medium { stroke: var(--medium); fill: none; }
svg .arc-low { stroke: var(--low); fill: none; }
svg text.big { fill: var(--fg); font-size: 30px; font-weight: 700; }
.f-allowed { fill: var(--allowed); } .f-denied { fill: var(--denied); } .f-approved { fill: var(--approved); }
.f-approvalRefused { fill: var(--refused); } .f-contained { fill: var(--contained); }
.f-recorded { fill: var(--recorded); }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 12px; color: var(--muted); margin: 4px 0; }
.legend svg { vertical-align: -1px; margin-right: 4px; }
ol.steps li { margin: 6px 0; }
ol.steps code { background: var(--card); border: 1px solid var(--line); border-radius: 4px; padding: 1px 5px; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--muted); }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  :root {
    --bg: #ffffff; --fg: #000000; --muted: #444444; --card: #ffffff; --line: #bbbbbb;
  }
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  section, table, tr, .card, svg { break-inside: avoid; }
  pre { white-space: pre-wrap; }
}
`;
