import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeUtf8,
  type Frame,
  LineSplitter,
  oversizeId,
  parseFrame,
  parseFrameText,
  takeLineText,
} from "./framing.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function split(chunks: (string | Uint8Array)[], max?: number): (string | number)[] {
  const s = new LineSplitter(max);
  const out: (string | number)[] = [];
  const emit = (f: Frame) => out.push(f.kind === "line" ? dec.decode(f.bytes) : -f.size);
  for (const c of chunks) s.push(typeof c === "string" ? enc.encode(c) : c, emit);
  s.end(emit);
  return out;
}

Deno.test("LineSplitter splits on \\n only, across chunks, and keeps a final line without newline", () => {
  assert.deepEqual(split(['{"a":1}\n{"b"', ':2}\n\n{"c":3}']), ['{"a":1}', '{"b":2}', "", '{"c":3}']);
  // \r is not a separator: it stays in the line (JSON.parse tolerates it as whitespace).
  assert.deepEqual(split(['{"a":1}\r{"b":2}\n']), ['{"a":1}\r{"b":2}']);
});

Deno.test("LineSplitter drops a line over the cap whole and keeps going", () => {
  const big = "x".repeat(50);
  assert.deepEqual(split([`{"a":1}\n"${big}`, `${big}"\n{"b":2}\n`], 64), ['{"a":1}', -102, '{"b":2}']);
  // An endless line (no newline before EOF) is reported at the end, never buffered beyond the cap.
  assert.deepEqual(split(["y".repeat(100)], 10), [-100]);
  // Exactly at the cap is accepted.
  assert.deepEqual(split(["z".repeat(10) + "\n"], 10), ["z".repeat(10)]);
});

Deno.test("LineSplitter copies partial lines so a reused reader buffer cannot change them", () => {
  const s = new LineSplitter();
  const out: string[] = [];
  const buf = enc.encode('{"a":');
  s.push(buf, (f) => f.kind === "line" && out.push(dec.decode(f.bytes)));
  buf.fill(32); // the reader reuses its buffer
  s.push(enc.encode("1}\n"), (f) => f.kind === "line" && out.push(dec.decode(f.bytes)));
  assert.deepEqual(out, ['{"a":1}']);
});

Deno.test("LineSplitter with freshChunks keeps partial lines without copying, and joins them once", () => {
  const s = new LineSplitter(1 << 20, { freshChunks: true });
  const first = enc.encode('{"a":');
  const out: Uint8Array[] = [];
  s.push(first, (f) => f.kind === "line" && out.push(f.bytes));
  first[2] = 98; // not a copy: a change to the chunk shows in the line (callers promise never to do this)
  s.push(enc.encode("1}\n"), (f) => f.kind === "line" && out.push(f.bytes));
  assert.deepEqual(out.map((b) => dec.decode(b)), ['{"b":1}']);
});

Deno.test("parseFrame() rejects invalid JSON, invalid UTF-8 and duplicate keys, and accepts blank lines as empty", () => {
  assert.deepEqual(parseFrameText('{"a":1}'), { ok: true, value: { a: 1 } });
  const bad = parseFrameText("{nope");
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && !bad.empty && bad.code, -32700);
  const dup = parseFrameText(
    '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"read","name":"exec"}}',
  );
  assert.ok(!dup.ok && !dup.empty && dup.error.includes('duplicate key "name"'));
  assert.equal(!dup.ok && !dup.empty && dup.code, -32700);
  assert.deepEqual(parseFrameText("   "), { ok: false, empty: true });
  const utf = parseFrame(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
  assert.ok(!utf.ok && !utf.empty && utf.error.includes("UTF-8"));
});

Deno.test("parseFrame() parses a 10 MB message and checks it for duplicates in reasonable time", () => {
  const big = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "echo", arguments: { message: "m".repeat(10_000_000) } },
  });
  const t0 = performance.now();
  const r = parseFrame(enc.encode(big));
  const ms = performance.now() - t0;
  assert.ok(r.ok);
  assert.ok(ms < 2000, `took ${ms} ms`);
});

Deno.test("oversizeId() finds the id at the start (clients) or at the end (MCP SDK) of a dropped line", () => {
  const frames = (line: string): Frame[] => {
    const out: Frame[] = [];
    const s = new LineSplitter(64);
    s.push(enc.encode(line + "\n"), (f) => out.push(f));
    return out;
  };
  const big = "x".repeat(1000);
  const [a] = frames(
    `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"m":"${big}"}}}`,
  );
  const [b] = frames(`{"result":{"content":[{"type":"text","text":"${big}"}]},"jsonrpc":"2.0","id":"s-1"}`);
  const [c] = frames(`{"jsonrpc":"2.0","method":"notifications/x","params":{"m":"${big}"}}`);
  assert.equal(a!.kind === "oversize" && oversizeId(a!), 7);
  assert.equal(b!.kind === "oversize" && oversizeId(b!), "s-1");
  assert.equal(c!.kind === "oversize" && oversizeId(c!), undefined);
});

Deno.test("decodeUtf8() accepts and decodes exactly what a fatal UTF-8 decoder does", () => {
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const reference = (b: Uint8Array) => {
    try {
      return fatal.decode(b);
    } catch {
      return undefined;
    }
  };
  // Overlong forms, encoded surrogates, past U+10FFFF, cut sequences, stray continuation bytes, a BOM.
  const crafted = [
    [0xc0, 0xaf],
    [0xe0, 0x80, 0xaf],
    [0xed, 0xa0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0xe2, 0x82],
    [0x80],
    [0xef, 0xbb, 0xbf, 0x41],
    [0xf0, 0x9f, 0x98, 0x80],
  ];
  for (const c of crafted) {
    assert.equal(decodeUtf8(new Uint8Array(c)), reference(new Uint8Array(c)), String(c));
  }
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0x80, max: 0xbf })), {
        maxLength: 12,
      }),
      (bytes) => {
        const b = new Uint8Array(bytes);
        assert.equal(decodeUtf8(b), reference(b));
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("takeLineText() leaves the frame without its bytes", () => {
  const f: Frame = { kind: "line", bytes: new TextEncoder().encode('{"a":"é"}') };
  assert.equal(takeLineText(f), '{"a":"é"}');
  assert.equal(f.bytes.length, 0);
  assert.equal(takeLineText({ kind: "line", bytes: new Uint8Array([0xff]) }), undefined);
});

Deno.test("LineSplitter calls onLongLine once per line, when the part read so far reaches the limit", () => {
  const events: string[] = [];
  const s = new LineSplitter(1000, { onLongLine: () => void events.push("long"), longLineBytes: 10 });
  const emit = (f: Frame) => void events.push(f.kind === "line" ? `line ${f.bytes.length}` : "oversize");
  s.push(enc.encode("abc\n"), emit); // short, in one chunk
  s.push(enc.encode("0123456"), emit);
  s.push(enc.encode("789ab"), emit); // reaches 10 here, before the line ends
  s.push(enc.encode("cdef"), emit);
  s.push(enc.encode("\n0123456789xyz"), emit);
  s.push(enc.encode("\n"), emit);
  assert.deepEqual(events, ["line 3", "long", "line 16", "long", "line 13"]);
});

Deno.test("parseFrameText() keeps every number byte-exact when the message is written back", () => {
  for (
    const text of [
      '{"jsonrpc":"2.0","id":9007199254740993,"method":"ping"}',
      '{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"ping"}',
      '{"jsonrpc":"2.0","id":-0,"method":"tools/call","params":{"name":"t","arguments":{"a":1.50,"b":1e3,"c":0.0000001,"d":[12345678901234567,1E+2]}}}',
      '{"jsonrpc":"2.0","id":1e400,"method":"ping"}',
    ]
  ) {
    const r = parseFrameText(text);
    assert.ok(r.ok, text);
    assert.equal(JSON.stringify(r.value), text);
  }
  // Canonical numbers stay plain numbers (the common case takes the fast parse).
  const plain = parseFrameText('{"id":42,"x":[0.5,-3,1.25]}');
  assert.ok(plain.ok);
  assert.deepEqual(plain.value, { id: 42, x: [0.5, -3, 1.25] });
});

Deno.test("parseFrameText() reports the id of a message refused for a repeated key", () => {
  const dup = parseFrameText(
    '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"a","name":"b"}}',
  );
  assert.ok(!dup.ok && !dup.empty);
  assert.equal(dup.id, 7);
  const big = parseFrameText('{"jsonrpc":"2.0","id":9007199254740993,"method":"x","method":"y"}');
  assert.ok(!big.ok && !big.empty && big.id !== undefined);
  assert.equal(JSON.stringify({ id: big.id }), '{"id":9007199254740993}');
  const str = parseFrameText('{"id":"req-1","a":1,"a":2}');
  assert.ok(!str.ok && !str.empty && str.id === "req-1");
  // Not valid JSON: no id can be trusted.
  const bad = parseFrameText('{"id":3,');
  assert.ok(!bad.ok && !bad.empty && bad.id === undefined);
});

Deno.test("parseFrame() keeps the text, when asked, only for a line without CR or LF", () => {
  const enc = new TextEncoder();
  const text = (line: string, keepText?: boolean) => {
    const p = parseFrame(enc.encode(line), { keepText });
    return p.ok ? p.text : "refused";
  };
  const line = '{ "id" : 1,\t"method":"x" }';
  assert.equal(text(line, true), line);
  assert.equal(text(line), undefined);
  assert.equal(text('{"id":1,\r"method":"x"}', true), undefined);
  assert.equal(text('{"id":1,\n"method":"x"}', true), undefined);
  assert.equal(text('{"id":1,"id":2}', true), "refused");
});
