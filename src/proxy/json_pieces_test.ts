import assert from "node:assert/strict";
import fc from "fast-check";
import { jsonPieces } from "./json_pieces.ts";

// Any UTF-16 code units, lone surrogates, quotes, backslashes and control characters included.
const anyString = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: 0xffff }),
    fc.constantFrom(0x22, 0x5c, 0x0a, 0x00, 0x1f, 0xd83d, 0xde00, 0x41),
  ),
  { maxLength: 24 },
).map((cs) => String.fromCharCode(...cs));

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    anyString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(anyString, fc.constantFrom("0", "10", "2", "__proto__")), tie("value"), {
      maxKeys: 4,
    }),
  ),
}));

Deno.test("jsonPieces() joins to exactly JSON.stringify, whatever the slice size", () => {
  fc.assert(
    fc.property(value, fc.integer({ min: 1, max: 6 }), (v, long) => {
      const parsed = JSON.parse(JSON.stringify(v)); // the proxy only serializes parsed values
      assert.equal(jsonPieces(parsed, long).join(""), JSON.stringify(parsed));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("jsonPieces() passes a long string that needs no escaping on as one piece", () => {
  const s = "x".repeat(200_000);
  const pieces = jsonPieces({ a: 1, text: s, b: [true] });
  assert.ok(pieces.includes(s));
  assert.equal(pieces.join(""), JSON.stringify({ a: 1, text: s, b: [true] }));
  const escaped = 'a"b\n😀'.repeat(40_000);
  const p2 = jsonPieces({ t: escaped });
  assert.ok(p2.length > 3);
  assert.equal(p2.join(""), JSON.stringify({ t: escaped }));
});
