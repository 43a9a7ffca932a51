import assert from "node:assert/strict";
import { parseWrapped } from "./wrapped.ts";

Deno.test("parseWrapped() finds the mode and the original after --, whatever started the proxy", () => {
  assert.deepEqual(
    parseWrapped("/opt/deno", [
      "run",
      "-A",
      "/x/cli.ts",
      "proxy",
      "--mode",
      "enforce",
      "--server",
      "a",
      "--",
      "npx",
      "-y",
      "p",
    ]),
    {
      mode: "enforce",
      original: { command: "npx", args: ["-y", "p"] },
      proxyIndex: 3,
      separatorIndex: 8,
      keepEmptyArgs: false,
    },
  );
  assert.equal(
    parseWrapped("/usr/bin/agentperms", ["proxy", "--mode", "record", "--", "srv"])?.mode,
    "record",
  );
});

Deno.test("parseWrapped() rejects entries that only look similar", () => {
  assert.equal(parseWrapped("npx", ["-y", "proxy"]), undefined);
  assert.equal(parseWrapped("x", ["proxy", "--mode", "watch", "--", "srv"]), undefined);
  assert.equal(
    parseWrapped("x", ["proxy", "--mode", "record", "--server", "a"]),
    undefined,
    "no original after --",
  );
  assert.equal(parseWrapped(undefined, ["proxy", "--mode", "record", "--", "srv"]), undefined);
});

Deno.test("parseWrapped() reads the --keep-empty-args marker before --, not after it", () => {
  const pre = ["run", "cli.ts", "proxy", "--mode", "record", "--server", "s"];
  assert.equal(parseWrapped("deno", [...pre, "--keep-empty-args", "--", "srv"])?.keepEmptyArgs, true);
  assert.equal(parseWrapped("deno", [...pre, "--", "srv", "--keep-empty-args"])?.keepEmptyArgs, false);
});
