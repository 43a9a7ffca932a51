import assert from "node:assert/strict";
import { join } from "node:path";
import { fakeIo } from "../io.ts";
import { run } from "../run.ts";

Deno.test("clients --all lists every place looked at with why; clients alone points there when nothing is found", async () => {
  const home = await Deno.makeTempDir({ prefix: "agentperms-clients-" });
  try {
    const io = fakeIo({ env: { HOME: home }, cwd: home });
    assert.equal(await run(["clients"], io), 0);
    assert.match(io.stdoutText(), /No MCP client configs found\. Run `agentperms clients --all`/);

    await Deno.mkdir(join(home, ".cursor"));
    await Deno.writeTextFile(join(home, ".cursor", "mcp.json"), '{"mcpServers":{"a":{"command":"x"}}}');
    const all = fakeIo({ env: { HOME: home }, cwd: home });
    assert.equal(await run(["clients", "--all"], all), 0);
    const out = all.stdoutText();
    assert.match(out, /^CLIENT\s+SCOPE\s+RESULT\s+FILE\n/);
    assert.match(out, /cursor\s+user\s+parsed: 1 server\(s\)\s+.*\.cursor\/mcp\.json/);
    assert.match(out, /claude-code\s+user\s+skipped: not found\s+.*\.claude\.json/);
    assert.match(out, /Looked at \d+ place\(s\); 1 config\(s\) with MCP servers\./);

    const json = fakeIo({ env: { HOME: home }, cwd: home });
    assert.equal(await run(["clients", "--all", "--format", "json"], json), 0);
    const parsed = JSON.parse(json.stdoutText());
    assert.ok(parsed.looked.some((l: { status: string }) => l.status === "not-found"));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
