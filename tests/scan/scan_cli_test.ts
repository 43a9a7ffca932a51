import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";
import { fakeIo } from "../../src/cli/io.ts";
import { run, VERSION } from "../../src/cli/run.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url)).replace(/\/$/, "");
const GOLDEN = join(ROOT, "tests/scan/golden");
const UPDATE = Deno.args.includes("--update");

async function scan(args: string[], opts: { cwd?: string; home?: string } = {}) {
  const io = fakeIo({ cwd: opts.cwd ?? ROOT, env: { HOME: opts.home ?? "/home/me" } });
  const code = await run(["scan", ...args], io);
  return { code, out: io.stdoutText(), err: io.stderrText() };
}

async function golden(name: string, actual: string): Promise<void> {
  const text = actual.replaceAll(ROOT, "<ROOT>").replaceAll(
    `"version": "${VERSION}"`,
    '"version": "<VERSION>"',
  );
  const file = join(GOLDEN, name);
  if (UPDATE) await Deno.writeTextFile(file, text);
  assert.equal(text, await Deno.readTextFile(file));
}

Deno.test("agentperms scan --path examples/vulnerable-mcp-demo: ~/.ssh is HIGH, unpinned npx is MEDIUM, exit 1", async () => {
  const r = await scan(["--path", "examples/vulnerable-mcp-demo", "--format", "json"]);
  assert.equal(r.code, 1);
  const findings = JSON.parse(r.out).findings as { ruleId: string; severity: string; message: string }[];
  assert.ok(
    findings.some((f) =>
      f.severity === "high" && f.ruleId === "sensitive-path" && f.message.includes("~/.ssh")
    ),
  );
  assert.ok(
    findings.some((f) =>
      f.severity === "medium" && f.ruleId === "unpinned-package" && f.message.includes("npx")
    ),
  );
  const table = await scan(["--path", "examples/vulnerable-mcp-demo"]);
  assert.equal(table.code, 1);
  assert.match(table.out, /^Scanned 2 servers across 1 config\(s\)\.\n/);
  assert.match(table.out.split("\n")[2]!, /^HIGH/);
});

Deno.test("agentperms scan prints the table, JSON and SARIF goldens", async () => {
  const args = ["--path", "tests/fixtures/clients/valid/kiro.json"];
  const table = await scan(args);
  assert.equal(table.code, 1);
  await golden("kiro.table.txt", table.out);
  const json = await scan([...args, "--format", "json"]);
  await golden("kiro.json", json.out);
  const sarif = await scan([...args, "--format", "sarif"]);
  const doc = JSON.parse(sarif.out);
  assert.equal(doc.version, "2.1.0");
  assert.equal(
    doc.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri,
    "tests/fixtures/clients/valid/kiro.json",
  );
  assert.equal(doc.runs[0].results[0].locations[0].physicalLocation.region.startLine, 3);
  await golden("kiro.sarif.json", sarif.out);
});

Deno.test("agentperms scan --fail-on picks the gate; none never fails", async () => {
  const args = ["--path", "tests/fixtures/clients/valid/cursor-crlf.json"];
  assert.equal((await scan(args)).code, 0, "only medium and low findings");
  assert.equal((await scan([...args, "--fail-on", "medium"])).code, 1);
  assert.equal(
    (await scan(["--path", "tests/fixtures/clients/valid/kiro.json", "--fail-on", "none"])).code,
    0,
  );
  const bad = await scan([...args, "--fail-on", "severe"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /Unknown severity "severe"/);
});

Deno.test("agentperms scan never prints a secret from the config", async () => {
  for (const format of ["table", "json", "sarif"]) {
    const r = await scan(["--path", "tests/fixtures/clients/valid/claude-desktop.json", "--format", format]);
    assert.equal(r.code, 1);
    assert.ok(r.out.includes("GITHUB_PERSONAL_ACCESS_TOKEN"), format);
    assert.ok(!r.out.includes("ghp_abcdefghijklmnopqrstuvwxyz0123456789"), format);
  }
});

Deno.test("agentperms scan with no configs says so and exits 0", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await scan(["--path", dir], { cwd: dir, home: dir });
    assert.equal(r.code, 0);
    assert.equal(r.out, "Scanned 0 servers across 0 config(s).\nNo findings.\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agentperms scan --tools lists each server, flags dangerous and poisoned tools, and reports failures and hangs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "agentperms-scantools-" });
  try {
    const tiny = fromFileUrl(new URL("../clients/_tiny_server.ts", import.meta.url));
    const deno = Deno.execPath();
    const config = {
      mcpServers: {
        tiny: { command: deno, args: ["run", "--no-config", "-A", tiny], env: { TINY_POISON: "1" } },
        missing: { command: join(dir, "no-such-binary"), args: [] },
        hangs: { command: deno, args: ["eval", "setInterval(() => {}, 1000)"] },
      },
    };
    await Deno.writeTextFile(join(dir, "mcp.json"), JSON.stringify(config));
    const started = Date.now();
    const r = await scan(["--path", "mcp.json", "--tools", "--timeout", "2", "--format", "json"], {
      cwd: dir,
    });
    const ms = Date.now() - started;
    const f = JSON.parse(r.out).findings as { ruleId: string; server: string; tool?: string }[];
    const got = f.filter((x) => !["not-wrapped", "config-in-workspace"].includes(x.ruleId))
      .map((x) => `${x.ruleId}:${x.server}:${x.tool ?? ""}`).sort();
    assert.deepEqual(got, [
      "dangerous-tool:tiny:run_command",
      "server-failed:hangs:",
      "server-failed:missing:",
      "tool-poisoning:tiny:run_command",
    ]);
    assert.equal(r.code, 1);
    assert.ok(ms < 20_000, `took ${ms} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
