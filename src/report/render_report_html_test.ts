import assert from "node:assert/strict";
import fc from "fast-check";
import { emptyReportData, sampleReportData, XSS } from "../../tests/report/fixtures/report_data.ts";
import { renderReportHtml } from "./render_report_html.tsx";

const ESCAPED = "&lt;img src=x onerror=alert(1)>";

Deno.test("renderReportHtml() escapes a hostile tool name everywhere it appears", () => {
  const html = renderReportHtml(sampleReportData());
  assert.ok(!html.includes(XSS), "the raw payload never appears");
  assert.ok(!/<img\b/i.test(html), "no img element");
  assert.ok(!/<script\b/i.test(html), "no script element");
  assert.ok(
    !/\son\w+=/i.test(html.replaceAll(ESCAPED, "")),
    "no event-handler attribute outside the escaped text",
  );
  // It shows in the findings, drift, activity, replay, next steps and policy sections.
  assert.ok(html.split(ESCAPED).length - 1 >= 8, "the escaped payload is shown as text in every section");
});

Deno.test("renderReportHtml() makes a self-contained document that can load nothing", () => {
  const html = renderReportHtml(sampleReportData());
  assert.ok(html.startsWith('<!DOCTYPE html>\n<html lang="en">'));
  const csp = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)?.[1] ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/);
  assert.ok(!/\b(src|href)=/i.test(html.replaceAll(ESCAPED, "")), "no src or href attribute");
  assert.ok(!/https?:\/\//.test(html), "no URL at all");
  assert.ok(!/@import|url\(/.test(html), "no CSS import or url()");
  assert.match(html, /@media \(prefers-color-scheme: dark\)/);
  assert.match(html, /@media print/);
  assert.match(html, /<svg viewBox="0 0 720 200"/, "the timeline is inline SVG");
});

Deno.test("renderReportHtml() shows every section, with its headline figures", () => {
  const html = renderReportHtml(sampleReportData());
  for (
    const id of [
      "risk",
      "next-steps",
      "findings",
      "drift",
      "activity",
      "decisions",
      "replay",
      "containment",
      "policy",
    ]
  ) {
    assert.ok(html.includes(`<section id="${id}">`), `section ${id}`);
  }
  assert.match(html, /Risk <strong>50\/100<\/strong>/);
  assert.match(html, /1 of 2 attack\(s\) against servers in the policy got through/);
  assert.match(html, /1 attack\(s\) were blocked only because the policy does not list their server/);
  assert.match(html, /Scanned 3 server\(s\) across 2 config\(s\): 1 high, 1 medium, 0 low, 0 info\./);
  assert.match(html, /1 of 2 server\(s\) run under Deno permissions/);
  assert.match(html, /27 call\(s\) in 2 trace file\(s\)/);
  assert.match(html, /Why calls were denied.*<code>rule\/&lt;img src=x onerror=alert\(1\)><\/code>/s);
  assert.match(
    html,
    /<td>symlink<\/td><td class="num">1<\/td><td class="num">0<\/td>/,
    "evasion class breakdown",
  );
  assert.match(
    html,
    /Offered but never used.*<td>github<\/td><td>&lt;img src=x onerror=alert\(1\)>, delete_repo<\/td>/s,
  );
});

Deno.test("renderReportHtml() says honestly which sections are not available", () => {
  const html = renderReportHtml(emptyReportData());
  // Seven inputs, and the scopes in use (from the traces, judged by the policy).
  assert.equal(html.split('<p class="na">Not available: ').length - 1, 8);
  assert.match(html, /Not available: no policy at &quot;mcp.policy.yaml&quot;\./);
  assert.match(html, /Risk <strong>30\/100<\/strong>/, "a missing policy counts, unknown inputs do not");
  assert.match(html, /Not assessed \(missing input, so the real score can only be higher\)/);
});

Deno.test("renderReportHtml() never lets a markup character from the data through (property)", () => {
  // Every tag the template writes is known; a "<x" can only come from data. Put arbitrary text after it in
  // every free-text field a server or a config can control and require that it always arrives escaped.
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
      const evil = `<x${a}"'&>${b}`;
      const data = sampleReportData();
      if (
        !data.scan.available || !data.activity.available || !data.replay.available || !data.lock.available
      ) {
        throw new Error("fixture");
      }
      data.scan.value.findings[0]!.server = evil;
      data.scan.value.findings[0]!.message = evil;
      data.lock.value.drift[0]!.detail = evil;
      data.activity.value.servers[0]!.tools[0]!.tool = evil;
      data.activity.value.timeline[0]!.start = evil;
      data.replay.value.attacks[0]!.id = evil;
      data.inputs.policy = evil;
      const html = renderReportHtml(data);
      return !html.includes("<x") && html.includes("&lt;x");
    }),
    { numRuns: 200 },
  );
});
