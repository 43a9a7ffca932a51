import assert from "node:assert/strict";
import { selectCommands } from "./select_commands.ts";

const TABLE = [
  { names: ["scan"] },
  { names: ["record", "enforce"] },
  { names: ["proxy", "_proxy"] },
  { names: ["report"] },
] as const;

const names = (args: string[]) => selectCommands(args, TABLE).map((r) => r.names[0]);

Deno.test("selectCommands() picks only the named command's row, also after --debug", () => {
  assert.deepEqual(names(["_proxy", "--mode", "enforce", "--server", "x", "--", "deno", "run", "s.ts"]), [
    "proxy",
  ]);
  assert.deepEqual(names(["--debug", "proxy", "--help"]), ["proxy"]);
  assert.deepEqual(names(["enforce", "--policy", "p.yaml"]), ["record"]);
  // Arguments after the command name never widen the choice, even when they name other commands.
  assert.deepEqual(names(["scan", "report", "--help"]), ["scan"]);
});

Deno.test("selectCommands() loads no command for a version flag that precedes any command", () => {
  assert.deepEqual(names(["--version"]), []);
  assert.deepEqual(names(["--debug", "-V"]), []);
  assert.deepEqual(names(["-V", "proxy"]), []);
});

Deno.test("selectCommands() returns the whole table whenever other commands may show up in the output", () => {
  const all = TABLE.map((r) => r.names[0]);
  for (
    const args of [
      [], // root help lists every command
      ["--debug"],
      ["--help", "proxy"], // root help, not the proxy's
      ["-h"],
      ["help", "proxy"], // commander's help command
      ["prox"], // the typo earns "Did you mean proxy?"
      ["--", "proxy"],
      ["--bogus", "proxy"], // an unknown root option: might take a value one day
      ["-Vh"], // combined short flags are left to commander
    ]
  ) {
    assert.deepEqual(names(args), all, JSON.stringify(args));
  }
});
