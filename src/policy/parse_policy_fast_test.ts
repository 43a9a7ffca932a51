import assert from "node:assert/strict";
import fc from "fast-check";
import { parseDocument } from "yaml";
import { loadFastYamlReader, parsePolicy, readYamlFast } from "./parse_policy.ts";

await loadFastYamlReader();

/** What the full path reads: the `yaml` package's document, or undefined when it reports an error. */
function readYamlFull(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch {
    return undefined;
  }
}

/** The fast reading either declines or equals the full one; never reads what `yaml` refuses. */
const seen = { fast: 0, all: 0 };
function assertSame(text: string): void {
  seen.all++;
  const fast = readYamlFast(text);
  if (fast === undefined) return;
  seen.fast++;
  const full = readYamlFull(text);
  assert.notEqual(full, undefined, `yaml refuses what the fast path read: ${JSON.stringify(text)}`);
  assert.deepEqual(fast, full, JSON.stringify(text));
}

async function yamlFiles(dir: string, out: string[] = []): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory && e.name !== "node_modules") await yamlFiles(p, out);
    else if (e.isFile && /\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test("fast YAML reading: every example and fixture file reads as yaml reads it", async () => {
  const files = [...await yamlFiles(`${ROOT}examples`), ...await yamlFiles(`${ROOT}tests`)];
  assert.ok(files.length > 20);
  let taken = 0;
  for (const f of files) {
    const text = await Deno.readTextFile(f);
    assertSame(text);
    if (readYamlFast(text) !== undefined) taken++;
  }
  assert.ok(taken > files.length / 2, `only ${taken} of ${files.length} files took the fast path`);
});

Deno.test("fast YAML reading: every example policy parses to the same policy and warnings either way", async () => {
  for await (const e of Deno.readDir(`${ROOT}examples/policies`)) {
    if (!/\.ya?ml$/.test(e.name)) continue;
    const text = await Deno.readTextFile(`${ROOT}examples/policies/${e.name}`);
    // A trailing tab sends the text down the full path: what it returns is the reference.
    const full = (() => {
      try {
        return parsePolicy(`${text}\n#\t`, { file: e.name });
      } catch (err) {
        return err instanceof Error ? err.message.replace(/:\d+:\d+/g, "") : String(err);
      }
    })();
    const fast = (() => {
      try {
        return parsePolicy(text, { file: e.name });
      } catch (err) {
        return err instanceof Error ? err.message.replace(/:\d+:\d+/g, "") : String(err);
      }
    })();
    assert.deepEqual(fast, full, e.name);
  }
});

Deno.test("fast YAML reading: scalars resolve as yaml's core schema resolves them (numbers, booleans, nulls)", () => {
  const words = [
    "1",
    "-0",
    "+12",
    "1_000",
    "0b11",
    "0o17",
    "0o18",
    "017",
    "0x1F",
    "0X1F",
    "0xg",
    "1e3",
    "1E-3",
    "+.5",
    ".5",
    "5.",
    "-.inf",
    ".Inf",
    ".NaN",
    ".nan",
    "nan",
    "inf",
    "true",
    "True",
    "TRUE",
    "tRUE",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "~",
    "null",
    "Null",
    "NULL",
    "nULL",
    "2001-12-14",
    "12:30",
    "1:2:3",
    "0.",
    "-",
    "+",
    ".",
    "1.2.3",
    "12345678901234567890",
    "0x",
    "0o",
    "1e",
    "e3",
    "=",
    "<<",
  ];
  for (const w of words) {
    assertSame(`a: ${w}\n`);
    assertSame(`a: [${w}]\n`);
    assertSame(`a:\n  - ${w}\n`);
    assertSame(`k${w}: ${w}\n`);
  }
  fc.assert(
    fc.property(fc.stringMatching(/^[-+.0-9eExXoObB_aAfFnNlLuUtTrRsS~iI:]{1,8}$/), (w) => {
      assertSame(`a: ${w}\nb: [${w}, x]\n`);
    }),
    { numRuns: 3000, seed: 20 },
  );
});

Deno.test("fast YAML reading: generated documents read the same or go to the full path", () => {
  const chars = fc.constantFrom(
    "a",
    "b",
    " ",
    ":",
    "#",
    "-",
    "'",
    '"',
    "\\",
    "[",
    "]",
    "{",
    "}",
    ",",
    "*",
    "?",
    "|",
    ">",
    "0",
    ".",
    "%",
    "@",
    "`",
    "~",
    "/",
    "é",
    "=",
  );
  const plain = fc.oneof(
    {
      arbitrary: fc.constantFrom(
        "a",
        "b c",
        "x/y",
        "*.pem",
        "~/.ssh",
        "./src",
        "1",
        "0x10",
        "true",
        "null",
        "",
        "é",
        "1.5",
        "-1",
      ),
      weight: 4,
    },
    { arbitrary: fc.string({ unit: chars, maxLength: 6 }), weight: 1 },
  );
  const leaf = fc.oneof(
    plain,
    plain.map((s) => JSON.stringify(s)),
    plain.map((s) => `'${s.replace(/'/g, "''")}'`),
    fc.array(plain, { maxLength: 3 }).map((vs) => `[${vs.join(", ")}]`),
    fc.tuple(plain, plain).map(([k, v]) => `{ ${k}: ${v} }`),
  );
  const key = fc.oneof(
    {
      arbitrary: fc.constantFrom(
        "servers",
        "tools",
        "a",
        "b",
        "a b",
        "x-y",
        "1",
        "null",
        "~",
        "'q'",
        '"d"',
        "-x",
        "a:b",
        "c",
        "d",
        "e",
      ),
      weight: 4,
    },
    { arbitrary: plain, weight: 1 },
  );
  type Gen = fc.Arbitrary<string[]>;
  const block = fc.tuple(
    fc.constantFrom("|", ">", "|-", ">+", "|+", ">-"),
    fc.array(plain, { minLength: 0, maxLength: 3 }),
  )
    .map(([ind, ls]) => [ind, ...ls.map((l) => `  ${l}`)]);
  const mapOf = (d: number): Gen =>
    fc.uniqueArray(
      fc.tuple(
        key,
        fc.oneof(
          leaf.map((v) => ["", v]),
          node(d + 1).map((c) => ["\n", ...c]),
          block.map((b) => ["", ...b]),
        ),
      ),
      { minLength: 1, maxLength: 4, selector: ([k]) => k },
    ).map((pairs) =>
      pairs.flatMap(([k, [sep, first, ...rest]]) =>
        sep === "\n"
          ? [`${k}:`, ...[first!, ...rest].map((l) => `  ${l}`)]
          : [`${k}: ${first}`, ...rest.map((l) => `  ${l}`)]
      )
    );
  const node: (d: number) => Gen = (d) =>
    d > 2 ? leaf.map((v) => [v]) : fc.oneof(
      leaf.map((v) => [v]),
      mapOf(d),
      fc.array(node(d + 1), { minLength: 1, maxLength: 3 })
        .map((items) => items.flatMap(([first, ...rest]) => [`- ${first}`, ...rest.map((l) => `  ${l}`)])),
    );
  const doc = mapOf(0);
  const noisy = fc.tuple(
    doc,
    fc.array(fc.tuple(fc.nat({ max: 20 }), fc.constantFrom("# c", "", "  x", "---", "a: b", "- c")), {
      maxLength: 2,
    }),
  )
    .map(([ls, noise]) => {
      const out = [...ls];
      for (const [at, l] of noise) out.splice(at % (out.length + 1), 0, l);
      return out;
    });
  fc.assert(
    fc.property(noisy, (lines) => {
      assertSame(lines.join("\n") + "\n");
    }),
    {
      numRuns: Number(Deno.env.get("FAST_YAML_RUNS") ?? 20000),
      seed: Number(Deno.env.get("FAST_YAML_SEED") ?? 18),
    },
  );
  // The generator must reach the fast path often enough to prove something.
  assert.ok(seen.fast > seen.all / 10, `only ${seen.fast} of ${seen.all} generated documents read fast`);
});

Deno.test("fast YAML reading: the cases a review found read differently go to the full path", () => {
  const cases: [string, string][] = [
    // An escaped line break before an empty line: js-yaml "bc", yaml "b c" (a denied path lost its space).
    [
      "escaped break",
      'version: 1\nservers:\n  fs:\n    denied_paths:\n      - "/h/Application\\\n\n        Support/K"\n',
    ],
    ["overflowing key", "version: 2\nservers:\n  db:\n    tools:\n      1e400:\n        sql: read_only\n"],
    [
      "overflowing value",
      "version: 2\nservers:\n  db:\n    tools:\n      q:\n        arguments:\n          v:\n            enum: [1e400]\n",
    ],
    ["quoted number key", 'version: 1\nservers:\n  "1":\n    allowed_tools: [a]\n'],
    [
      "long implicit key",
      `version: 2\nservers:\n  db:\n    tools:\n      ${"q".repeat(1030)}:\n        sql: read_only\n`,
    ],
    [
      "line starting with :",
      "version: 2\nservers:\n  db:\n    tools:\n      query: {sql\n        # only reads\n        :read_only}\n",
    ],
    ["keep-chomped block scalar", "version: 1\nservers: {}\nnote: |+\n\n"],
  ];
  for (const [name, text] of cases) {
    assert.equal(readYamlFast(text), undefined, name);
    assertSame(text);
  }
  // A backslash in a plain or single-quoted scalar is a backslash to both readers: fast, and the same.
  const regex =
    "version: 2\nservers:\n  db:\n    tools:\n      q:\n        arguments:\n          v: { regex: '^\\d+$' }\n";
  assert.notEqual(readYamlFast(regex), undefined);
  assertSame(regex);
  // The ordinary shape still takes the fast path (the gate is not simply closed).
  assert.notEqual(
    readYamlFast("version: 1\nservers:\n  fs:\n    allowed_paths: [./src, 127.0.0.1]\n"),
    undefined,
  );
});

Deno.test("parsePolicy() refuses keys that one JavaScript object would merge, and __proto__ however spelled", () => {
  for (
    const text of [
      'version: 1\nservers:\n  true:\n    allowed_tools: [a]\n  "true":\n    denied_tools: [b]\n',
      'version: 1\nservers:\n  1:\n    allowed_tools: [a]\n  "1":\n    denied_tools: [b]\n',
    ]
  ) {
    assert.throws(() => parsePolicy(text, { file: "p.yaml" }), /[Mm]ap keys must be unique|unique/);
  }
  assert.throws(
    () => parsePolicy('version: 1\nservers:\n  fs:\n    "\\x5f_proto__": {}\n', { file: "p.yaml" }),
    /__proto__/,
  );
});
