import assert from "node:assert/strict";
import fc from "fast-check";
import { buildProgram } from "./run.ts";
import { fakeIo } from "./io.ts";
import { registerProxy } from "./commands/proxy.ts";
import { readWiredProxyArgs } from "./wired_proxy.ts";

/** What commander gives the proxy's action for these arguments, or "error" when it refuses them. */
async function viaCommander(
  args: string[],
): Promise<{ argv: string[]; opts: unknown } | "error" | "no action"> {
  const program = buildProgram({ io: fakeIo(), setExit: () => {}, debug: () => false }, [registerProxy]);
  let got: { argv: string[]; opts: unknown } | undefined;
  for (const c of program.commands) c.action((argv: string[], opts: unknown) => void (got = { argv, opts }));
  try {
    await program.parseAsync(args, { from: "user" });
  } catch {
    return "error";
  }
  return got ?? "no action";
}

const WIRED: string[][] = [
  ["proxy", "--mode", "record", "--server", "fs", "--", "node", "x.js"],
  [
    "_proxy",
    "--mode",
    "enforce",
    "--server",
    "fs",
    "--policy",
    "/p.yaml",
    "--",
    "npx",
    "-y",
    "pkg@1",
    "--flag",
  ],
  [
    "proxy",
    "--mode",
    "enforce",
    "--server",
    "gh",
    "--policy",
    "p.yaml",
    "--trace-dir",
    "/t",
    "--trace-results",
    "--otel",
    "--lock",
    "mcp.lock",
    "--server-env",
    "GITHUB_TOKEN,HOME",
    "--keep-empty-args",
    "--",
    "docker",
  ],
  [
    "proxy",
    "--server",
    "s",
    "--mode",
    "record",
    "-p",
    "x.yaml",
    "--no-contain",
    "--no-tty",
    "--",
    "a",
    "--",
    "b",
  ],
  [
    "proxy",
    "--mode",
    "record",
    "--server",
    "s",
    "--server-env",
    "A",
    "--server-env",
    "B, C,",
    "--",
    "--debug",
  ],
  ["proxy", "--mode", "record", "--server", "s", "--cwd", "/w", "--", "deno", "run", "--help"],
];

Deno.test("readWiredProxyArgs() reads wired command lines exactly as commander hands them to the proxy's action", async () => {
  for (const args of WIRED) {
    const fast = readWiredProxyArgs(args);
    assert.ok(fast, args.join(" "));
    assert.deepEqual(fast, await viaCommander(args), args.join(" "));
  }
});

Deno.test("readWiredProxyArgs() leaves everything else to commander (help, errors, the bridge, other flags)", () => {
  const base = ["--mode", "record", "--server", "s"];
  for (
    const args of [
      [],
      ["proxy"],
      ["proxy", "--help"],
      ["proxy", "-h", ...base, "--", "x"],
      ["help", "proxy"],
      ["--debug", "proxy", ...base, "--", "x"],
      ["proxy", ...base],
      ["proxy", ...base, "--"],
      ["proxy", "--mode", "bogus", "--server", "s", "--", "x"],
      ["proxy", "--mode=record", "--server", "s", "--", "x"],
      ["proxy", "--server", "s", "--", "x"],
      ["proxy", "--mode", "record", "--", "x"],
      ["proxy", ...base, "--mode", "enforce", "--", "x"],
      ["proxy", ...base, "--otel", "--otel", "--", "x"],
      ["proxy", "--mode", "record", "--server", "-x", "--", "x"],
      ["proxy", "--mode", "record", "--server", "", "--", "x"],
      ["proxy", ...base, "--policy", "--", "x"],
      ["proxy", ...base, "--url", "https://h/mcp"],
      ["proxy", ...base, "--remote", "http"],
      ["proxy", ...base, "--transport", "sse", "--", "x"],
      ["proxy", ...base, "--max-message-bytes", "5", "--", "x"],
      ["proxy", ...base, "--unknown", "--", "x"],
      ["proxy", ...base, "x"],
      ["record", ...base, "--", "x"],
      // Names every object inherits are no flags: the words before "--" belong to commander.
      ["proxy", ...base, "constructor", "evil", "--", "x"],
      ["proxy", ...base, "toString", "evil", "--", "x"],
      ["proxy", ...base, "__proto__", "evil", "--", "x"],
      ["proxy", ...base, "hasOwnProperty", "--", "x"],
    ]
  ) {
    assert.equal(readWiredProxyArgs(args), undefined, args.join(" "));
  }
});

Deno.test("readWiredProxyArgs(): whenever it reads a command line, commander reads it the same (property)", async () => {
  const value = fc.constantFrom(
    "record",
    "enforce",
    "bogus",
    "fs",
    "p.yaml",
    "A,B",
    " A, ,B ",
    "-x",
    "",
    "--",
    "x y",
    "constructor",
    "toString",
  );
  const flag = fc.constantFrom(
    "--mode",
    "--server",
    "--policy",
    "-p",
    "--trace-dir",
    "--lock",
    "--cwd",
    "--server-env",
    "--url",
    "--max-message-bytes",
  );
  const bool = fc.constantFrom(
    "--trace-results",
    "--otel",
    "--keep-empty-args",
    "--no-tty",
    "--no-contain",
    "--help",
    "--debug",
    "-V",
  );
  const option = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(flag, value).map(([f, v]) => [f, v]) },
    { weight: 2, arbitrary: bool.map((b) => [b]) },
    { weight: 1, arbitrary: value.map((v) => [v]) },
  );
  let read = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom("proxy", "_proxy"),
      fc.boolean(),
      fc.array(option, { maxLength: 6 }),
      fc.array(fc.oneof(value, bool, flag), { maxLength: 4 }),
      async (name, prefix, options, argv) => {
        const args = [
          name,
          ...(prefix ? ["--mode", "record", "--server", "fs"] : []),
          ...options.flat(),
          "--",
          ...argv,
        ];
        const fast = readWiredProxyArgs(args);
        if (fast === undefined) return;
        read++;
        assert.deepEqual(fast, await viaCommander(args), JSON.stringify(args));
      },
    ),
    { numRuns: 1500 },
  );
  // A guard against a vacuous property (about 10% of the generated lines are wired ones; seeds vary).
  assert.ok(read >= 75, `only ${read} generated command lines were read`);
});
