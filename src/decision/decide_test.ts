import assert from "node:assert/strict";
import { canonicalizeCall, compilePolicy, parsePolicy } from "../../mod.ts";
import { decide } from "./decide.ts";

const O = { cwd: "/proj", home: "/home/u" };
const compile = (yaml: string) =>
  compilePolicy(parsePolicy(yaml, { file: "p.yaml" }).policy, { baseDir: "/proj", home: "/home/u" });

Deno.test("decide() denies case-insensitively but shows the path as the call wrote it", () => {
  const p = compile(
    "version: 1\nservers:\n  fs:\n    denied_paths: [~/.ssh]\n    denied_patterns: ['*.pem']\n",
  );
  const d = decide(p, canonicalizeCall({ server: "fs", tool: "read", arguments: { path: "~/.SSH/Key" } }, O));
  assert.equal(d.verdict, "deny");
  assert.match(d.reason, /resolved "\/home\/u\/\.SSH\/Key"/);
  const e = decide(
    p,
    canonicalizeCall({ server: "fs", tool: "read", arguments: { path: "./Certs/A.PEM" } }, O),
  );
  assert.match(e.reason, /resolved "\/proj\/Certs\/A\.PEM"/);
});

Deno.test("decide() turns a throwing rule into a deny that lists the error", () => {
  const p = compile("version: 1\nservers:\n  fs:\n    denied_patterns: ['*.pem']\n");
  p.servers.get("fs")!.deniedPatterns[0]!.test = () => {
    throw new Error("boom");
  };
  const d = decide(p, canonicalizeCall({ server: "fs", tool: "read", arguments: { path: "/x.pem" } }, O));
  assert.equal(d.verdict, "deny");
  assert.deepEqual(d.ruleIds, ["internal/error"]);
  assert.deepEqual(d.errors, ["boom"]);
});

Deno.test("decide() is pure: the same inputs give the same decision", () => {
  const p = compile("version: 1\nservers:\n  fs:\n    allowed_paths: [./src]\n");
  const call = canonicalizeCall({ server: "fs", tool: "read", arguments: { paths: ["./src/a", "./b"] } }, O);
  assert.deepEqual(decide(p, call), decide(p, call));
});
