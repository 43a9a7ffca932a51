import assert from "node:assert/strict";
import { lockVersionsFromLaunches, parseServerCommand, splitPackageSpec } from "./mod.ts";

Deno.test("parseServerCommand() reads npx, bunx, pnpm dlx and deno run entries", () => {
  const npx = parseServerCommand(["/usr/bin/npx", "-y", "@scope/srv@1.2.3", "--root", "/x"], "/w");
  assert.deepEqual([npx.kind, npx.pkg, npx.version, npx.serverArgs], ["npm", "@scope/srv", "1.2.3", [
    "--root",
    "/x",
  ]]);
  const pkgFlag = parseServerCommand(["npx", "--package=tool@2.0.0", "tool-bin", "a"], "/w");
  assert.deepEqual([pkgFlag.pkg, pkgFlag.version, pkgFlag.bin], ["tool", "2.0.0", "tool-bin"]);
  assert.equal(parseServerCommand(["bunx", "srv"], "/w").pkg, "srv");
  assert.equal(parseServerCommand(["pnpm", "dlx", "srv@1.0.0"], "/w").version, "1.0.0");
  assert.equal(parseServerCommand(["npx.cmd", "srv"], "/w").kind, "npm");
  const tsx = parseServerCommand(["npx", "-y", "tsx", "src/server.ts", "--x"], "/w");
  assert.deepEqual([tsx.kind, tsx.module, tsx.serverArgs], ["script", "/w/src/server.ts", ["--x"]]);
  const deno = parseServerCommand([
    "deno",
    "run",
    "-A",
    "--allow-run",
    "--unstable-kv",
    "npm:@s/p@1.0.0/bin",
    "x",
  ], "/w");
  assert.deepEqual(
    [deno.kind, deno.pkg, deno.version, deno.bin, deno.keptFlags, deno.droppedFlags, deno.serverArgs],
    ["npm", "@s/p", "1.0.0", "bin", ["--unstable-kv"], ["-A", "--allow-run"], ["x"]],
  );
  const jsr = parseServerCommand(["deno", "run", "-c", "deno.json", "jsr:@x/y"], "/w");
  assert.deepEqual([jsr.kind, jsr.module, jsr.droppedFlags], ["deno-spec", "jsr:@x/y", ["-c", "deno.json"]]);
});

Deno.test("parseServerCommand() marks python, docker and binaries as other", () => {
  for (
    const argv of [
      ["uvx", "mcp-server-git"],
      ["python3", "server.py"],
      ["docker", "run", "x"],
      ["/opt/srv"],
      ["node"],
    ]
  ) {
    assert.equal(parseServerCommand(argv, "/w").kind, "other", argv.join(" "));
  }
  assert.deepEqual(splitPackageSpec("@a/b"), { name: "@a/b" });
  assert.deepEqual(splitPackageSpec("b@^1"), { name: "b", version: "^1" });
});

Deno.test("lockVersionsFromLaunches() keeps exact versions pinned in mcp.lock launches", () => {
  assert.deepEqual(
    lockVersionsFromLaunches([
      { command: "npx", args: ["-y", "@m/fs@2026.8.31", "/w"] },
      { command: "npx", args: ["-y", "loose@latest"] },
      { command: "deno", args: ["run", "npm:@s/p@1.2.3/bin"] },
      { command: "uvx", args: ["git@1.0.0"] },
    ], "/w"),
    { "@m/fs": "2026.8.31", "@s/p": "1.2.3" },
  );
});
