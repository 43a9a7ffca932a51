import assert from "node:assert/strict";
import fc from "fast-check";
import { createScanner, parse as parseJsonc } from "jsonc-parser";
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

/** The number tokens of a JSON text, in order, as written (jsonc-parser's scanner: no JSON.parse). */
function numberTokens(text: string): string[] {
  // jsonc-parser's SyntaxKind is a const enum (not importable under isolatedModules): its values as published.
  const NUMERIC_LITERAL = 11, EOF = 17;
  const out: string[] = [];
  const scanner = createScanner(text, true);
  for (let k: number = scanner.scan(); k !== EOF; k = scanner.scan()) {
    if (k === NUMERIC_LITERAL) out.push(scanner.getTokenValue());
  }
  return out;
}

/** A parsed value with every exact number (JSON.rawJSON) read as the double it stands for. */
function asDoubles(v: unknown): unknown {
  if ((JSON as unknown as { isRawJSON(x: unknown): boolean }).isRawJSON(v)) {
    return Number((v as { rawJSON: string }).rawJSON);
  }
  if (Array.isArray(v)) return v.map(asDoubles);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    Object.defineProperty(out, k, {
      value: asDoubles(x),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

Deno.test("parseJsonStrict() agrees with a reference reader on value, keys and number text (differential, one scan)", () => {
  // Texts mixing what the one scan must tell apart: keys written plain and with escapes, strings holding quotes,
  // colons, backslashes and digits, numbers of every kind (past 2^53, -0, 1e400, trailing zeros, exponents),
  // JSON white space (CR included) between every token, objects in arrays in objects.
  const ws = fc.constantFrom("", " ", "\t", "\n", "\r\n", "\r", "  ");
  const key = fc.constantFrom("a", "b", "id", "m", "\\u0061", 'a\\"', "\\\\", "é", "__proto__", "x:1");
  const num = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
    fc.constantFrom(
      "-0",
      "0",
      "1e400",
      "-1e400",
      "1.50",
      "1e3",
      "1E+2",
      "5e-324",
      "0.0000001",
      "1.0",
      "-12.75e-3",
    ),
  );
  const str = fc.constantFrom(
    '"x"',
    '"a\\"b"',
    '"\\\\"',
    '"k":',
    '"\\u0041"',
    '"1.50"',
    '"-0 1e5"',
    '"{\\"a\\":1}"',
  );
  const node: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      num,
      str,
      fc.constantFrom("true", "null"),
      fc.array(fc.tuple(ws, tie("node"), ws), { maxLength: 4 }).map((xs) =>
        `[${xs.map(([a, v, b]) => a + v + b).join(",")}]`
      ),
      fc.array(fc.tuple(key, ws, ws, tie("node")), { maxLength: 4 }).map((kv) =>
        `{${kv.map(([k, a, b, v]) => `${a}"${k}"${b}:${a}${v}${b}`).join(",")}}`
      ),
    ),
  })).node;
  let accepted = 0;
  fc.assert(
    fc.property(node, ws, (body, pad) => {
      const text = pad + body + pad;
      try {
        JSON.parse(text);
      } catch {
        return; // '"k":' alone is not JSON
      }
      const r = parseJsonStrict(text);
      const reference = parseJsonc(text);
      if (findDuplicateKey(text) !== undefined) {
        assert.ok(!r.ok && r.problem === "key", `${JSON.stringify(text)}: ${JSON.stringify(r)}`);
        return;
      }
      if (!r.ok) {
        // Only a text V8 itself misreads (an escaped one-character key) may be turned away.
        assert.ok(!isDeepStrictEqual(JSON.parse(text), reference), `${JSON.stringify(text)}: ${r.error}`);
        return;
      }
      accepted++;
      assert.deepStrictEqual(asDoubles(r.value), reference, JSON.stringify(text));
      // Every number is written back as it was read (no key is integer-like, so the order is the text's).
      assert.deepEqual(numberTokens(JSON.stringify(r.value)), numberTokens(text), JSON.stringify(text));
    }),
    { numRuns: 5000 },
  );
  assert.ok(accepted > 2000, `only ${accepted} texts accepted`);
});

Deno.test("parseJsonStrict() keeps a number exact when its 16 digits are split by the point, and refuses what it cannot read exactly", () => {
  // 100000000000.000001 reads as the double 100000000000: judged rounded, it would be forwarded as written.
  for (const n of ["100000000000.000001", "12345678.123456789", "1234567890123.4567"]) {
    const r = parseJsonStrict(`{"amount":${n}}`);
    assert.ok(r.ok);
    assert.equal(JSON.stringify(r.value), `{"amount":${n}}`, n);
  }
  // Nested past what the exact reader's recursion reaches, with a number past 2^53 beside it: refused, never
  // read as a double while the text is forwarded as written.
  const deep = `{"params":{"_meta":${"[".repeat(20_000)}${"]".repeat(20_000)},"account":9007199254740993}}`;
  const r = parseJsonStrict(deep);
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /nested too deeply/);
  // Without an inexact number the plain reader needs no exactness and reads it.
  assert.ok(parseJsonStrict(`{"a":${"[".repeat(20_000)}${"]".repeat(20_000)}}`).ok);
});
