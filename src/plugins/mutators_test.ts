import assert from "node:assert/strict";
import type { Attack } from "./attack_pack.ts";
import { definePathMutator, expandWithMutators, MUTATORS, mutatorsById } from "./mutators.ts";

const base: Attack = {
  id: "ssh-key",
  title: "SSH key",
  severity: "critical",
  references: [],
  call: { server: "filesystem", tool: "read_file", arguments: { path: "~/.ssh/id_rsa" } },
  expect: "block",
};

const paths = (id: keyof typeof MUTATORS, path = "~/.ssh/id_rsa") =>
  Object.fromEntries(
    MUTATORS[id].apply({ ...base.call, arguments: { path } }).map((v) => [v.label, v.call.arguments?.path]),
  );

Deno.test("MUTATORS traversal climbs out of ./src to the target through placeholders", () => {
  assert.equal(paths("traversal")["dotdot-from-src"], `./src/${"../".repeat(23)}..{{home}}/.ssh/id_rsa`);
  assert.equal(paths("traversal")["dotdot-in-home"], "~/projects/../.ssh/id_rsa");
  assert.equal(paths("traversal", "./.env")["dotdot-single"], "./src/../.env");
  assert.equal(paths("traversal", "/etc/passwd")["dotdot-in-root"], "/usr/../etc/passwd");
});

Deno.test("MUTATORS home-expansion spells the home directory five ways, only for ~ paths", () => {
  assert.deepEqual(paths("home-expansion"), {
    "dollar-home": "$HOME/.ssh/id_rsa",
    "dollar-brace-home": "${HOME}/.ssh/id_rsa",
    userprofile: "%USERPROFILE%/.ssh/id_rsa",
    absolute: "{{home}}/.ssh/id_rsa",
    "tilde-user": "~{{user}}/.ssh/id_rsa",
  });
  assert.deepEqual(paths("home-expansion", "/etc/passwd"), {});
});

Deno.test("MUTATORS case, unicode and trailing produce the documented forms", () => {
  assert.equal(paths("case").upper, "~/.SSH/ID_RSA");
  assert.equal(paths("unicode")["fullwidth-separators"], "\uFF5E\uFF0F\uFF0Essh\uFF0Fid_rsa");
  assert.equal(paths("trailing")["dot-on-dir"], "~/.ssh./id_rsa");
  assert.equal(paths("trailing")["ntfs-stream"], "~/.ssh/id_rsa::$DATA");
  assert.equal(paths("percent-encoding")["encoded-tilde"], "%7E/.ssh/id_rsa");
  assert.equal(paths("file-uri")["file-uri"], "file://{{home}}/.ssh/id_rsa");
  assert.equal(paths("nul-byte")["nul-suffix"], "~/.ssh/id_rsa\u0000.txt");
});

Deno.test("MUTATORS prefix-sibling renames the first directory", () => {
  assert.equal(paths("prefix-sibling", "./src/secrets.txt")["dash-suffix"], "./src-private/secrets.txt");
  assert.deepEqual(paths("prefix-sibling", "./file.txt"), {}, "no directory, nothing to rename");
});

Deno.test("MUTATORS array, nested and second-arg move the path next to a harmless one", () => {
  const [last] = MUTATORS.array.apply(base.call);
  assert.deepEqual(last?.call, {
    server: "filesystem",
    tool: "read_multiple_files",
    arguments: { paths: ["./src/app.ts", "~/.ssh/id_rsa"] },
  });
  const [nested] = MUTATORS.nested.apply(base.call);
  assert.deepEqual(nested?.call.arguments, { options: { file: { path: "~/.ssh/id_rsa" } } });
  const [dest] = MUTATORS["second-arg"].apply(base.call);
  assert.deepEqual(dest?.call.arguments, { source: "./src/app.ts", destination: "~/.ssh/id_rsa" });
});

Deno.test("MUTATORS tool-name makes case, prefix, homoglyph and invisible variants", () => {
  const tools = MUTATORS["tool-name"].apply({ server: "github", tool: "delete_repo", arguments: {} }).map((
    v,
  ) => v.call.tool);
  assert.ok(tools.includes("DELETE_REPO"));
  assert.ok(tools.includes("mcp__github__delete_repo"));
  assert.ok(tools.includes("d\u0435lete_repo"), "Cyrillic e");
  assert.ok(tools.includes("d\u200Belete_repo"));
  assert.ok(tools.includes("delete_repo "));
});

Deno.test("MUTATORS metadata-ip rewrites only 169.254.169.254 URLs", () => {
  const v = MUTATORS["metadata-ip"].apply({
    server: "web",
    tool: "fetch",
    arguments: { url: "http://169.254.169.254/latest/" },
  });
  const urls = Object.fromEntries(v.map((x) => [x.label, x.call.arguments?.url]));
  assert.equal(urls.decimal, "http://2852039166/latest/");
  assert.equal(urls["ipv6-mapped"], "http://[::ffff:169.254.169.254]/latest/");
  assert.equal(
    MUTATORS["metadata-ip"].apply({
      server: "web",
      tool: "fetch",
      arguments: { url: "https://example.com/" },
    })
      .length,
    0,
  );
});

Deno.test("expandWithMutators() names variants <id>.<label>, sets the evasion class and keeps expect", () => {
  const out = expandWithMutators({ ...base, mutators: ["case"] }, [MUTATORS.case]);
  assert.deepEqual(out.map((a) => a.id), ["ssh-key", "ssh-key.upper", "ssh-key.mixed"]);
  assert.equal(out[0]?.mutators, undefined, "the mutators field is consumed");
  assert.ok(out.slice(1).every((a) => a.evasion === "case" && a.expect === "block"));
  assert.equal(expandWithMutators(base, [MUTATORS.case], { includeBase: false }).length, 2);
});

Deno.test("definePathMutator() builds a mutator that rewrites every top-level path argument", () => {
  const m = definePathMutator("shout", "upper-case", (p) => [["up", p.toUpperCase()]]);
  const [v] = m.apply({ server: "fs", tool: "move", arguments: { source: "./a", note: "./b" } });
  assert.deepEqual(v?.call.arguments, { source: "./A", note: "./b" });
});

Deno.test("mutatorsById() returns known mutators and lists unknown ids", () => {
  const r = mutatorsById(["case", "bogus", "toString"]);
  assert.deepEqual(r.mutators.map((m) => m.id), ["case"]);
  assert.deepEqual(r.unknown, ["bogus", "toString"]);
});
