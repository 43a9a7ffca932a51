import assert from "node:assert/strict";
import { AgentPermsError } from "../errors.ts";
import { didYouMean, parsePolicy } from "./parse_policy.ts";

const parseError = (text: string): AgentPermsError => {
  try {
    parsePolicy(text, { file: "p.yaml" });
  } catch (e) {
    assert.ok(e instanceof AgentPermsError);
    assert.equal(e.code, "policy_invalid");
    return e;
  }
  assert.fail("expected parsePolicy() to throw");
};

Deno.test("parsePolicy() loads the original's example policy unchanged", async () => {
  const text = await Deno.readTextFile(
    new URL("../../examples/policies/example.mcp.policy.yaml", import.meta.url),
  );
  const { policy } = parsePolicy(text, { file: "example.mcp.policy.yaml" });
  assert.deepEqual(Object.keys(policy.servers ?? {}), ["github", "filesystem"]);
  assert.deepEqual(policy.servers?.filesystem?.denied_patterns, ["*.pem", "*.key"]);
  assert.equal(policy.approvals?.require_human_approval?.length, 4);
});

Deno.test("parsePolicy() rejects an empty file instead of allowing everything", () => {
  for (const text of ["", "   \n", "# only a comment\n"]) {
    assert.match(parseError(text).message, /the file is empty/);
  }
});

Deno.test("parsePolicy() rejects a misspelled key with line:col and a did-you-mean hint", () => {
  const e = parseError("version: 1\nservers:\n  fs:\n    alowed_tools: [read]\n");
  assert.match(e.message, /unknown key "alowed_tools"/);
  assert.match(e.message, /did you mean "allowed_tools"\?/);
  assert.match(e.message, /\(p\.yaml:4:5\)/);
});

Deno.test("parsePolicy() rejects wrong types, bad versions and a missing servers key", () => {
  assert.match(
    parseError("version: 1\nservers:\n  fs:\n    allowed_tools: read\n").message,
    /expected array/,
  );
  assert.match(parseError("version: 3\nservers: {}\n").message, /unsupported version 3: versions 1 and 2/);
  assert.match(parseError("servers: {}\n").message, /missing "version: 1"/);
  assert.match(parseError("version: 1\n").message, /no "servers" key/);
  assert.match(parseError("- a\n- b\n").message, /must be a YAML mapping/);
});

Deno.test("parsePolicy() reports YAML syntax errors and duplicate keys with positions", () => {
  const e = parseError("version: 1\nservers:\n  fs: [unclosed\n");
  assert.match(e.message, /YAML error/);
  const dup = parseError("version: 1\nservers:\n  fs: {}\n  fs: {}\n");
  assert.match(dup.message, /YAML error/);
  assert.match(dup.message, /p\.yaml:4:/);
});

Deno.test("parsePolicy() lists every problem when there are several", () => {
  const e = parseError("version: 1\nservers:\n  a:\n    nope: 1\n  b:\n    denied_tools: 3\n");
  assert.match(e.message, /2 problems/);
  assert.match(e.message, /p\.yaml:4:5: unknown key "nope"/);
  assert.match(e.message, /p\.yaml:6:19: expected array/);
});

Deno.test("parsePolicy() warns, not fails, when servers: {} allows everything on purpose", () => {
  const { warnings } = parsePolicy("version: 1\nservers: {}\n", { file: "p.yaml" });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!.message, /allows every call/);
});

Deno.test("parsePolicy() rejects unknown guard ids and accepts known ones", () => {
  assert.match(
    parseError("version: 1\nservers: {}\nguards: { metadata-hots: false }\n").message,
    /metadata-host/,
  );
  const { policy } = parsePolicy("version: 1\nservers: {}\nguards: { metadata-host: false }\n", {
    file: "p.yaml",
  });
  assert.equal(policy.guards?.["metadata-host"], false);
});

Deno.test("didYouMean() suggests near keys only", () => {
  assert.equal(didYouMean("denied_path"), "denied_paths");
  assert.equal(didYouMean("zzzzzzzz"), undefined);
});

Deno.test("parsePolicy() reads format 2 and points at its errors with line:col", () => {
  const ok = parsePolicy("version: 2\nservers:\n  db:\n    tools:\n      query: { sql: read_only }\n", {
    file: "p",
  });
  assert.equal(ok.policy.version, 2);
  const re = parseError(
    'version: 2\nservers:\n  db:\n    tools:\n      q:\n        arguments:\n          a: { regex: "(a)\\\\1" }\n',
  );
  assert.match(re.message, /p\.yaml:7:\d+.*backreference/s);
  assert.match(
    parseError("version: 2\nservers:\n  gh:\n    denied_tools: [class:delet]\n").message,
    /did you mean "class:delete"/,
  );
  assert.match(
    parseError("version: 2\nservers:\n  gh:\n    profile: githb\n").message,
    /p\.yaml:4:\d+.*did you mean "github"/s,
  );
  assert.match(parseError("version: 2\nservers:\n  gh:\n    scoeps: {}\n").message, /did you mean "scopes"/);
  assert.match(
    parseError("version: 1\nservers:\n  gh:\n    scopes: {}\n").message,
    /a format 2 key: write "version: 2"/,
  );
  assert.match(
    parseError("version: 2\nservers: {}\nsession_rules: [x]\n").message,
    /p\.yaml:3:\d+.*expected object.*session_rules\.0/s,
  );
  assert.match(
    parseError("version: 2\nservers: {}\nguards: { dangerous-argument: false }\n").message,
    /did you mean "dangerous-arguments"/,
  );
});
