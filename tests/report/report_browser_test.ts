// Loads a rendered report in headless Chromium (Debian's package, driven by playwright-core): it must render
// with zero console errors, zero network requests beyond the file itself, and the XSS payload must stay text.
import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";
import { renderReportHtml } from "../../src/report/mod.ts";
import { emptyReportData, sampleReportData, XSS } from "./fixtures/report_data.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function haveChromium(): boolean {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
}

const inCi = (Deno.env.get("CI") ?? "").toLowerCase() === "true";
const available = haveChromium();
if (!available && inCi) {
  // In CI a missing browser is a broken environment, not a reason to skip.
  Deno.test("report renders in Chromium (browser present)", () => {
    assert.fail(`Chromium not found at ${CHROMIUM}: run .ci/run (it installs the Debian "chromium" package)`);
  });
}

Deno.test({
  name:
    "renderReportHtml() output loads in Chromium with no errors, no requests, and the XSS payload as text",
  ignore: !available,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using dir = await tempDir();
    const reports = [["full", sampleReportData()], ["empty", emptyReportData()], ["cli", undefined]] as const;
    const context = await chromium.launchPersistentContext(join(dir.path, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      timeout: 30_000,
    });
    try {
      for (const [name, data] of reports) {
        const file = join(dir.path, `${name}.html`);
        if (data) await Deno.writeTextFile(file, renderReportHtml(data));
        else await cliReport(dir.path, file);
        const url = pathToFileURL(file).href;
        const page = await context.newPage();
        const consoleErrors: string[] = [];
        const requests: string[] = [];
        const dialogs: string[] = [];
        page.on("console", (m) => {
          if (m.type() === "error" || m.type() === "warning") consoleErrors.push(m.text());
        });
        page.on("pageerror", (e) => consoleErrors.push(String(e)));
        page.on("request", (r) => requests.push(r.url()));
        page.on("dialog", (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        await page.goto(url, { waitUntil: "load", timeout: 15_000 });
        await page.screenshot({ path: join(dir.path, `${name}.png`), fullPage: true, timeout: 15_000 });
        const keep = Deno.env.get("AGENTPERMS_REPORT_SCREENSHOT_DIR");
        if (keep) await Deno.copyFile(join(dir.path, `${name}.png`), join(keep, `report-${name}.png`));

        assert.deepEqual(consoleErrors, [], `${name}: console errors`);
        assert.deepEqual(requests, [url], `${name}: the only request is the file itself`);
        assert.deepEqual(dialogs, [], `${name}: no dialog opened`);
        assert.equal(await page.locator("img").count(), 0, `${name}: no <img> element exists`);
        assert.equal(await page.locator("[onerror]").count(), 0, `${name}: no onerror attribute exists`);
        assert.equal(await page.locator("script").count(), 0, `${name}: no script element exists`);
        if (name === "full") {
          // Dark mode and print are real: the page's background follows the colour scheme and print media.
          await page.emulateMedia({ colorScheme: "dark" });
          assert.equal(await bodyBackground(page), "rgb(13, 17, 23)", "dark background in dark mode");
          await page.screenshot({ path: join(dir.path, "dark.png"), timeout: 15_000 });
          if (keep) await Deno.copyFile(join(dir.path, "dark.png"), join(keep, "report-dark.png"));
          await page.emulateMedia({ colorScheme: "dark", media: "print" });
          assert.equal(await bodyBackground(page), "rgb(255, 255, 255)", "white background when printed");
          await page.emulateMedia({ colorScheme: "light", media: "screen" });
          assert.equal(await bodyBackground(page), "rgb(255, 255, 255)", "white background in light mode");
          const body = await page.locator("body").innerText();
          assert.ok(body.includes(XSS), "the payload is shown as text");
          assert.ok(body.includes("Overall risk"));
          assert.equal(await page.locator("svg").count() > 0, true, "charts are inline SVG");
        } else if (name === "empty") {
          assert.ok((await page.locator("body").innerText()).includes("Not available"));
        } else {
          const body = await page.locator("body").innerText();
          assert.ok(body.includes(XSS), "a hostile tool name from a real trace file is shown as text");
          assert.ok(body.includes("attack(s) blocked") || body.includes("got through"));
        }
        await page.close();
      }
    } finally {
      await context.close();
    }
  },
});

/** A report made by the real command from a trace file whose tool name is the payload. */
async function cliReport(dir: string, out: string): Promise<void> {
  const work = join(dir, "work");
  await Deno.mkdir(work);
  await Deno.writeTextFile(
    join(work, ".mcp.json"),
    JSON.stringify({ mcpServers: { fs: { command: "uvx", args: ["x"] } } }),
  );
  const event = {
    v: 1,
    kind: "call",
    time: "2026-01-01T10:00:00.000Z",
    sessionId: "s",
    server: "fs",
    mode: "enforce",
    tool: XSS,
    decision: { verdict: "deny", ruleIds: [], reason: "" },
  };
  await Deno.writeTextFile(join(work, "t.jsonl"), JSON.stringify(event) + "\n");
  const io = fakeIo({ cwd: work, env: { HOME: join(dir, "home") } });
  const policy = resolve(import.meta.dirname!, "../../examples/policies/example.mcp.policy.yaml");
  const code = await run(
    ["report", "--policy", policy, "--path", work, "--traces", "t.jsonl", "--out", out],
    io,
  );
  assert.equal(code, 0, io.stderrText());
}

function bodyBackground(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.body).backgroundColor);
}

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "agentperms-report-browser-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
