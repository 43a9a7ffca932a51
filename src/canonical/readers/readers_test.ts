import assert from "node:assert/strict";
import { canonicalizeCall } from "../canonicalize_call.ts";
import type { Place } from "./reader.ts";
import { READERS } from "./readers.ts";

const O = { cwd: "/proj", home: "/home/u" };
const CASES = new URL("../../../tests/decision/cases/", import.meta.url);

function place(key: string, more: Partial<Place> = {}): Place {
  return {
    pointer: `/${key}`,
    key,
    k: key.toLowerCase().replace(/[-_\s]/g, ""),
    depth: 1,
    jsonLevel: 0,
    bases: [],
    call: { uriIsPath: false, onProgram: false },
    ...more,
  };
}

Deno.test("READERS has unique ids, ends with a reader of anything, and names corpus topics that hold rows", () => {
  const ids = READERS.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(READERS.at(-1)!.matches("", place("whatever")), true);
  for (const r of READERS) {
    assert.ok(r.corpus.length > 0, r.id);
    for (const topic of r.corpus) {
      const rows = [...Deno.readDirSync(new URL(`${topic}/`, CASES))].filter((e) =>
        e.name.endsWith(".yaml") && e.name !== "_policy.yaml"
      );
      assert.ok(rows.length > 0, `${r.id}: tests/decision/cases/${topic}/ has no rows`);
    }
  }
});

Deno.test("READERS is in the documented order", () => {
  assert.deepEqual(READERS.map((r) => r.id), [
    "json",
    "ref",
    "option",
    "host",
    "url",
    "argv",
    "command",
    "joined-name",
    "content",
    "mail",
    "path",
    "bare",
  ]);
});

Deno.test("the first reader that is done wins: a host key's URL-like value is a host, not a path", () => {
  const call = canonicalizeCall({ server: "s", tool: "t", arguments: { host: "file:///etc/passwd" } }, O);
  assert.deepEqual(call.paths, []);
  assert.equal(call.urls.length > 0, true);
});

Deno.test("readers that are not done let the value through: a ref that is option-shaped is also an option", () => {
  const call = canonicalizeCall({
    server: "git",
    tool: "checkout",
    arguments: { branch: "--upload-pack=/x" },
  }, O);
  assert.deepEqual(call.refs.map((r) => r.value), ["--upload-pack=/x"]);
  assert.deepEqual(call.options.map((r) => r.value), ["--upload-pack=/x"]);
  assert.ok(call.paths.some((p) => p.forms.includes("/x")));
});

Deno.test("content is read as nothing unless the schema says it is a path", () => {
  const text = canonicalizeCall({ server: "s", tool: "t", arguments: { content: "/etc/passwd" } }, O);
  assert.deepEqual(text.paths, []);
  const schema = { properties: { content: { type: "string", description: "The file path to read" } } };
  const path = canonicalizeCall(
    { server: "s", tool: "t", arguments: { content: "/etc/passwd" } },
    { ...O, inputSchema: schema },
  );
  assert.deepEqual(path.paths.map((p) => p.forms), [["/etc/passwd"]]);
});
