import assert from "node:assert/strict";
import { canonicalizeCall } from "./canonicalize_call.ts";

const O = { cwd: "/proj", home: "/home/u" };
const raws = (args: unknown, tool = "t") =>
  canonicalizeCall({ server: "s", tool, arguments: args }, O).paths.map((p) => p.raw);

Deno.test("canonicalizeCall() finds paths under known keys, arrays and nested objects", () => {
  assert.deepEqual(raws({ path: "a", paths: ["b", "c"], opts: { file_path: "d" }, files: [{ path: "e" }] }), [
    "a",
    "b",
    "c",
    "d",
    "e",
  ]);
  assert.deepEqual(raws({ source: "x", destination: "y", savePath: "z", repo_path: "r", cwd: "w" }), [
    "x",
    "y",
    "z",
    "r",
    "w",
  ]);
});

Deno.test("canonicalizeCall() reads path-looking values under unknown keys, never content keys", () => {
  assert.deepEqual(raws({ foo: "/etc/passwd", bar: "hello", content: "/etc/shadow", query: "~/.ssh" }), [
    "/etc/passwd",
  ]);
  assert.deepEqual(raws({ profile: "default", direction: "up" }), []);
});

Deno.test("canonicalizeCall() splits command strings and --flag=value arguments", () => {
  assert.deepEqual(raws({ command: "cat ~/.ssh/id_rsa > /tmp/x" }), ["~/.ssh/id_rsa", "/tmp/x"]);
  assert.deepEqual(raws({ args: ["--output=/etc/x", "-v"] }), ["/etc/x"]);
});

Deno.test("canonicalizeCall() treats mail recipients under to/from as non-paths", () => {
  assert.deepEqual(raws({ to: "a@b.com", from: ["c@d.org"] }), []);
  assert.deepEqual(raws({ to: "/tmp/out" }), ["/tmp/out"]);
});

Deno.test("canonicalizeCall() finds URLs and hosts, and marks file: URLs in url keys", () => {
  const c = canonicalizeCall({
    server: "s",
    tool: "fetch",
    arguments: {
      url: "https://Example.COM:8443/x",
      host: "10.0.0.1",
      other: "http://a.b/c",
      link: "file:///etc/x",
    },
  }, O);
  assert.deepEqual(c.urls.map((u) => [u.host, u.port]), [["example.com", "8443"], ["10.0.0.1", ""], [
    "a.b",
    "80",
  ]]);
  assert.equal(c.fileUrls.length, 1);
  assert.deepEqual(c.paths.map((p) => p.forms[0]), ["/etc/x"]);
});

Deno.test("canonicalizeCall() uses the tool's inputSchema hints", () => {
  const c = canonicalizeCall(
    { server: "s", tool: "t", arguments: { where: "notes/a.md", site: "x.org/y" } },
    {
      ...O,
      inputSchema: {
        properties: {
          where: { type: "string", description: "Path of the file to read" },
          site: { type: "string", format: "uri" },
        },
      },
    },
  );
  assert.deepEqual(c.paths.map((p) => p.forms[0]), ["/proj/notes/a.md"]);
  // A URL hint on a value without a scheme: read as a bare host, as fetch tools that add https:// read it.
  assert.deepEqual(c.urls.map((u) => u.host), ["x.org"]);
});

Deno.test("canonicalizeCall() still judges paths when the server's schema calls them URIs", () => {
  // A hostile server lists read with path: {format: "uri-reference"}; the value stays a path.
  const inputSchema = { properties: { path: { type: "string", format: "uri-reference" } } };
  for (const path of ["/home/u/.ssh/id_rsa", "../home/u/.ssh/id_rsa", "notes/a.md"]) {
    const c = canonicalizeCall({ server: "s", tool: "read", arguments: { path } }, { ...O, inputSchema });
    assert.equal(c.paths.length, 1, path);
  }
});

Deno.test("canonicalizeCall() reads a bare host under a url key as a URL parser does, padding and all", () => {
  // Tabs do not count toward the host length limit: URL parsers drop them, so evil.example.com is reached.
  const url = "\u0001evil.example.com" + "\t".repeat(5000) + "/x";
  const c = canonicalizeCall({ server: "s", tool: "t", arguments: { url } }, O);
  assert.deepEqual(c.urls.map((u) => u.host), ["evil.example.com"]);
  // Text longer than any host is not parsed as one.
  const text = "x".repeat(3000);
  assert.deepEqual(canonicalizeCall({ server: "s", tool: "t", arguments: { url: text } }, O).urls, []);
});

Deno.test("canonicalizeCall() marks malformed and oversized calls", () => {
  assert.match(
    canonicalizeCall({ server: "s", params: { name: "t", arguments: [1] } }, O).malformed ?? "",
    /not an object/,
  );
  assert.match(canonicalizeCall({ server: "s", params: { arguments: {} } }, O).malformed ?? "", /name/);
  let deep: unknown = "x";
  for (let i = 0; i < 100; i++) deep = { a: deep };
  assert.match(
    canonicalizeCall({ server: "s", tool: "t", arguments: deep }, O).malformed ?? "",
    /too deeply/,
  );
  const wide = Array.from({ length: 30_000 }, () => "x");
  assert.match(
    canonicalizeCall({ server: "s", tool: "t", arguments: { a: wide } }, O).malformed ?? "",
    /too many/,
  );
});

Deno.test("canonicalizeCall() collects ref-like values for the option-injection guard", () => {
  const c = canonicalizeCall({
    server: "s",
    tool: "git_diff",
    arguments: { target: "--output=/x", branch_name: "main" },
  }, O);
  assert.deepEqual(c.refs.map((r) => r.value), ["--output=/x", "main"]);
  assert.deepEqual(c.options.map((r) => r.value), ["--output=/x"]);
  assert.deepEqual(c.paths.map((p) => p.forms[0]), ["/x"]);
});

Deno.test("canonicalizeCall() refuses a path value longer than any OS opens, without reading it", () => {
  const call = canonicalizeCall(
    { server: "s", method: "tools/call", tool: "read", arguments: { path: "/w/" + "ab/".repeat(1_000_000) } },
    { cwd: "/w", home: "/h" },
  );
  assert.match(call.malformed ?? "", /past what any OS opens/);
  const fine = canonicalizeCall(
    { server: "s", method: "tools/call", tool: "read", arguments: { path: "/w/" + "a".repeat(4000) } },
    { cwd: "/w", home: "/h" },
  );
  assert.equal(fine.malformed, undefined);
});

Deno.test("canonicalizeCall() reads a command's backslash words as Windows names in the Windows reading mode", () => {
  const paths = (command: string, windows?: boolean) =>
    canonicalizeCall({ server: "s", tool: "run", arguments: { command } }, {
      cwd: "C:\\proj",
      home: "C:\\Users\\u",
      ...(windows === undefined ? {} : { windows }),
    }).paths.map((p) => `${p.denyOnly ? "?" : ""}${p.forms.join("|")}`);
  assert.ok(paths("type secrets\\.env").includes("?/c:/proj/secrets/.env"));
  assert.ok(paths("type ..\\Users\\u\\.ssh\\id_rsa").includes("/c:/users/u/.ssh/id_rsa"));
  // Off (a POSIX server): a backslash is bash's escape.
  assert.deepEqual(paths("type secrets\\.env", false), []);
});

Deno.test("canonicalizeCall() refuses argument keys that differ only in case (a server may read either)", () => {
  for (
    const args of [
      { base: "main", head: "x", Base: "prod" },
      { opts: [{ path: "/ok", PATH: "/etc/shadow" }] },
      { kind: "Pod", "\u212aind": "Secret" },
    ]
  ) {
    const c = canonicalizeCall({ server: "s", tool: "t", arguments: args }, O);
    assert.match(c.malformed ?? "", /differ only in case/, JSON.stringify(args));
  }
  assert.equal(
    canonicalizeCall({ server: "s", tool: "t", arguments: { Base: "a", head: "b" } }, O).malformed,
    undefined,
  );
});
