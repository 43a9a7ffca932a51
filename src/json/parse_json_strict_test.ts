import assert from "node:assert/strict";
import fc from "fast-check";
import { parse as parseJsonc } from "jsonc-parser";
import { isDeepStrictEqual } from "node:util";
import { findDuplicateKey, parseJsonStrict } from "./mod.ts";
import { mayHoldInexactNumber } from "./parse_json_strict.ts";

Deno.test("findDuplicateKey() finds keys repeated in one object, including escaped spellings", () => {
  assert.equal(findDuplicateKey('{"name":"exec","name":"read"}'), "name");
  assert.equal(findDuplicateKey('{"params":{"name":"read","arguments":{},"name":"exec"}}'), "name");
  assert.equal(findDuplicateKey('{"a":1,"\\u0061":2}'), "a");
  assert.equal(findDuplicateKey('[{"a":1},{"a":2}]'), undefined);
  assert.equal(findDuplicateKey('{"a":{"a":1},"b":["a","a"]}'), undefined);
  assert.equal(findDuplicateKey('{"a":"x\\"y","b":"\\\\","c":"\\\\\\"","a":0}'), "a");
  assert.equal(findDuplicateKey('{ "k" : 1 , "k" : 2 }'), "k");
  assert.equal(findDuplicateKey('{"v":"\\"k\\":1","k":1}'), undefined);
});

Deno.test("parseJsonStrict() accepts only what a JavaScript JSON parser reads the same, and rejects repeated keys", () => {
  // Random JSON with few distinct keys (so repeats are common), some written with escapes, and one-character
  // keys with and without them: the case V8 15.0 misreads as "\\" once a same-shaped object had that key.
  const key = fc.constantFrom(
    "a",
    "b",
    "id",
    "__proto__",
    "\\u0061",
    'a\\"',
    "é",
    "\\\\",
    '\\"',
    "\\u0069d",
    "m",
  );
  const leaf = fc.oneof(
    fc.integer(),
    fc.constant('"x:\\"y"'),
    fc.constant("null"),
    fc.constant('"a":'),
    fc.constant('": x"'), // a value that starts with a colon
    fc.constant('"\\n"'),
  );
  const node: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf.map(String),
      fc.array(tie("node"), { maxLength: 4 }).map((xs) => `[${xs.join(" , ")}]`),
      fc.array(fc.tuple(key, fc.constantFrom("", " ", "\n\t"), tie("node")), { maxLength: 4 }).map((kv) =>
        `{${kv.map(([k, space, v]) => `"${k}"${space}:${v}`).join(",")}}`
      ),
    ),
  })).node;
  let accepted = 0;
  fc.assert(
    fc.property(node, (text) => {
      try {
        JSON.parse(text);
      } catch {
        return; // a leaf like '"a":' on its own is not JSON
      }
      const r = parseJsonStrict(text);
      const dup = findDuplicateKey(text);
      const reference = parseJsonc(text); // jsonc-parser: JavaScript, no JSON.parse
      if (dup !== undefined) {
        assert.ok(
          !r.ok && r.error.startsWith("duplicate key"),
          `${JSON.stringify(text)}: ${JSON.stringify(r)}`,
        );
        return;
      }
      const v8ReadsIt = isDeepStrictEqual(JSON.parse(text), reference);
      // Never a value the text does not hold; and no text V8 reads right is turned away.
      if (r.ok) {
        accepted++;
        assert.deepEqual(r.value, reference, JSON.stringify(text));
      } else assert.ok(!v8ReadsIt, `${JSON.stringify(text)} was rejected: ${JSON.stringify(r)}`);
    }),
    { numRuns: 4000 },
  );
  assert.ok(accepted > 1000, `only ${accepted} texts accepted`);
});

Deno.test("parseJsonStrict() rejects a one-character escaped key that JSON.parse misreads, and says why", () => {
  JSON.parse('{"zq":[],"\\\\":{}}'); // gives the shape {zq, "\\"} to V8
  const text = '{"zq":[],"\\u0061":[]}';
  const v8 = Object.keys(JSON.parse(text));
  const r = parseJsonStrict(text);
  if (v8.includes("a")) assert.deepEqual(r, { ok: true, value: { zq: [], a: [] } }); // a V8 that reads it right
  else {
    assert.deepEqual(v8, ["zq", "\\"]); // V8 15.0, as measured
    assert.ok(!r.ok && r.problem === "key", JSON.stringify(r));
    assert.match(r.error, /escaped keys/);
  }
});

Deno.test("parseJsonStrict() still finds a repeated key when Object.prototype has an enumerable property", () => {
  const proto = Object.prototype as Record<string, unknown>;
  proto.polluted = 1;
  try {
    const r = parseJsonStrict('{"a":1,"a":2,"b":{"c":3}}');
    assert.equal(r.ok, false);
    assert.equal(parseJsonStrict('{"a":1,"b":{"c":3}}').ok, true);
  } finally {
    delete proto.polluted;
  }
});

Deno.test("parseJsonStrict() writes back every number as Python's json module reads it (differential)", async () => {
  const texts = [
    '{"id":9007199254740993}',
    '{"id":123456789012345678901234567890,"v":[1.50,1e3,-0,0.1000000000000000055511151231257827,5e-324,0.0000001]}',
    '{"a":{"b":[1,2.5,3e-5,-12345678901234567890]},"c":"1.0 in a string"}',
  ];
  for (const text of texts) {
    const r = parseJsonStrict(text);
    assert.ok(r.ok, text);
    const out = JSON.stringify(r.value);
    assert.equal(out, text);
    // Python reads both texts to the same numbers (ints exact, floats by decimal text).
    const py = new Deno.Command("python3", {
      args: [
        "-c",
        "import json,sys,decimal;a,b=sys.argv[1:];f=lambda t:json.loads(t,parse_float=decimal.Decimal);print(f(a)==f(b))",
        text,
        out,
      ],
    });
    const { stdout } = await py.output();
    assert.equal(new TextDecoder().decode(stdout).trim(), "True", text);
  }
  // Opting out gives plain (rounded) numbers.
  const loose = parseJsonStrict('{"id":9007199254740993}', { exactNumbers: false });
  assert.ok(loose.ok && (loose.value as { id: number }).id === 9007199254740992);
});

Deno.test("parseJsonStrict() exact numbers do not count as keys, escaped keys or not", () => {
  for (const text of ['{"\\u0061":1.50,"b":[1e3]}', '{"a":1.50,"b":{"c":1e3}}', "1.50", "[1e3]"]) {
    const r = parseJsonStrict(text);
    assert.ok(r.ok, `${text}: ${!r.ok && r.error}`);
    assert.equal(JSON.stringify(r.value), text.replace("\\u0061", "a"));
  }
});

Deno.test("mayHoldInexactNumber() sees number tokens, never text inside strings", () => {
  const no = [
    '{"jsonrpc":"2.0","id":1,"method":"x"}',
    '{"time":"2026-12-07T22:00:00.000Z","n":12}',
    '{"s":"\\"1.0, 1e5, -0, 12345678901234567"}',
    '{"s":"a\\\\","t":"1.50"}',
    '["1.0",":2.50","[1e9"]',
  ];
  for (const t of no) assert.equal(mayHoldInexactNumber(t), false, t);
  const yes = [
    '{"n":1.50}',
    '{"time":"2026-12-07T22:00:00.000Z","n":1.0}',
    '{"s":"a\\\\","n":1e5}',
    "[-0]",
    '{"id":9007199254740993}',
    '{"s":"\\"","n": 2.10}',
  ];
  for (const t of yes) assert.equal(mayHoldInexactNumber(t), true, t);
  // The exact parse still keeps what it must, with a timestamp beside it.
  const r = parseJsonStrict('{"time":"2026-12-07T22:00:00.000Z","id":9007199254740993}');
  assert.ok(r.ok);
  assert.equal(JSON.stringify(r.value), '{"time":"2026-12-07T22:00:00.000Z","id":9007199254740993}');
});
