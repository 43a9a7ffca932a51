/** The command surface: `proxy --help`, the hidden `_proxy` alias that rewritten client configs use. */
import assert from "node:assert/strict";
import { fakeIo } from "../../src/cli/io.ts";
import { run } from "../../src/cli/run.ts";

Deno.test("agentperms proxy --help lists the options and examples; _proxy is hidden from the command list", async () => {
  const io = fakeIo();
  assert.equal(await run(["proxy", "--help"], io), 0);
  const help = io.stdoutText();
  for (
    const opt of [
      "--mode",
      "--server",
      "--policy",
      "--trace-dir",
      "--lock",
      "--max-message-bytes",
      "--deny-style",
      "--approval-timeout",
      "--no-contain",
    ]
  ) {
    assert.ok(help.includes(opt), opt);
  }
  assert.match(help, /Examples:/);
  const top = fakeIo();
  assert.equal(await run(["--help"], top), 0);
  assert.match(top.stdoutText(), /\bproxy\b/);
  assert.doesNotMatch(top.stdoutText(), /_proxy/);
  const hidden = fakeIo();
  assert.equal(await run(["_proxy", "--help"], hidden), 0);
  assert.match(hidden.stdoutText(), /--mode/);
});

Deno.test("agentperms proxy rejects a bad mode, a missing server and enforce without a policy (exit 2)", async () => {
  for (
    const args of [
      ["proxy", "--mode", "enforced", "--server", "x", "--", "true"],
      ["proxy", "--mode", "record", "--", "true"],
      ["_proxy", "--mode", "enforce", "--server", "x", "--", "true"],
      ["proxy", "--mode", "record", "--server", "x", "--max-message-bytes", "0", "--", "true"],
    ]
  ) {
    const io = fakeIo({ env: { HOME: "/nonexistent-home" } });
    assert.equal(await run(args, io), 2, `${args.join(" ")}: ${io.stderrText()}`);
  }
});

Deno.test("agentperms _proxy accepts the hidden --keep-empty-args that wiring writes, and does not list it", async () => {
  const io = fakeIo({ env: { HOME: "/nonexistent-home" } });
  assert.equal(
    await run(["_proxy", "--mode", "enforce", "--server", "x", "--keep-empty-args", "--", "true"], io),
    2,
  );
  assert.doesNotMatch(io.stderrText(), /unknown option/);
  assert.match(io.stderrText(), /policy/i);
  const help = fakeIo();
  await run(["proxy", "--help"], help);
  assert.doesNotMatch(help.stdoutText(), /keep-empty-args/);
});
