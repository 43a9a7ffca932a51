import assert from "node:assert/strict";
import { selfCommand } from "./self_command.ts";

Deno.test("selfCommand() is the binary itself when compiled", () => {
  assert.deepEqual(
    selfCommand({
      execPath: "/usr/local/bin/agentperms",
      moduleUrl: "file:///x/src/clients/self_command.ts",
      mainModule: "file:///x/cli.ts",
    }),
    ["/usr/local/bin/agentperms"],
  );
});

Deno.test("selfCommand() runs cli.ts with the repo's deno.json from a source checkout", () => {
  assert.deepEqual(
    selfCommand({
      execPath: "/opt/deno",
      moduleUrl: "file:///repo/src/clients/self_command.ts",
      mainModule: "file:///repo/cli.ts",
    }),
    ["/opt/deno", "run", "-A", "--config", "/repo/deno.json", "/repo/cli.ts"],
  );
});

Deno.test("selfCommand() runs the bundle file when bundled", () => {
  assert.deepEqual(
    selfCommand({
      execPath: "/opt/deno",
      moduleUrl: "file:///dist/agentperms.js",
      mainModule: "file:///dist/agentperms.js",
    }),
    ["/opt/deno", "run", "-A", "/dist/agentperms.js"],
  );
});

Deno.test("selfCommand() of this process points at this checkout", () => {
  const cmd = selfCommand();
  assert.equal(cmd[0], Deno.execPath());
  assert.ok(cmd.at(-1)!.endsWith("cli.ts"));
});
