/**
 * decide() and canonicalize+decide, against the baseline of a plain JSON.parse of the same call, measured in
 * the same run (machines are shared and noisy: compare ratios, not absolute figures).
 */
import { canonicalizeCall, compilePolicy, hostRealpath, parsePolicy } from "../../mod.ts";
import { decide } from "./decide.ts";

const POLICY_TEXT = await Deno.readTextFile(
  new URL("../../examples/policies/example.mcp.policy.yaml", import.meta.url),
);
const compiled = compilePolicy(parsePolicy(POLICY_TEXT, { file: "example" }).policy, {
  baseDir: "/proj",
  home: "/home/u",
});
const opts = { cwd: "/proj", home: "/home/u" };

const oneCall = {
  server: "filesystem",
  tool: "read_file",
  arguments: { path: "./src/app.ts" },
};
const threePaths = {
  server: "filesystem",
  tool: "move_file",
  arguments: {
    source: "./src/a/b/c.ts",
    destination: "./docs/x/y.md",
    options: { backup: "~/work/backup.txt" },
  },
};
const oneJson = JSON.stringify(oneCall);
const threeJson = JSON.stringify(threePaths);
const canonicalOne = canonicalizeCall(oneCall, opts);
const canonicalThree = canonicalizeCall(threePaths, opts);

Deno.bench("baseline: JSON.parse of a one-path call", { group: "one", baseline: true }, () => {
  JSON.parse(oneJson);
});
Deno.bench("decide() on a canonical one-path call", { group: "one" }, () => {
  decide(compiled, canonicalOne);
});
Deno.bench("baseline: JSON.parse of a three-path call", { group: "three", baseline: true }, () => {
  JSON.parse(threeJson);
});
Deno.bench("decide() on a canonical three-path call", { group: "three" }, () => {
  decide(compiled, canonicalThree);
});
Deno.bench("canonicalize + decide, three paths (pure)", { group: "three" }, () => {
  decide(compiled, canonicalizeCall(JSON.parse(threeJson), opts));
});
Deno.bench("canonicalize + decide, three paths (with realpath syscalls)", { group: "three" }, () => {
  decide(compiled, canonicalizeCall(JSON.parse(threeJson), { ...opts, realpath: hostRealpath }));
});
