import assert from "node:assert/strict";
import denoJson from "../../deno.json" with { type: "json" };
import { selfCommand, V8_FLAGS } from "./self_command.ts";

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
    [
      "/opt/deno",
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=1",
      "--config",
      "/repo/deno.json",
      "/repo/cli.ts",
    ],
  );
});

Deno.test("selfCommand() runs the bundle file when bundled", () => {
  assert.deepEqual(
    selfCommand({
      execPath: "/opt/deno",
      moduleUrl: "file:///dist/agentperms.js",
      mainModule: "file:///dist/agentperms.js",
    }),
    ["/opt/deno", "run", "-A", "--v8-flags=--max-semi-space-size=1", "/dist/agentperms.js"],
  );
});

Deno.test("selfCommand() of this process points at this checkout", () => {
  const cmd = selfCommand();
  assert.equal(cmd[0], Deno.execPath());
  assert.ok(cmd.at(-1)!.endsWith("cli.ts"));
});

Deno.test("selfCommand()'s V8 flags are the ones deno compile embeds", () => {
  for (const task of ["compile", "compile:target"] as const) {
    assert.ok(denoJson.tasks[task].includes(`--v8-flags=${V8_FLAGS}`), task);
  }
});
