import assert from "node:assert/strict";
import { requiredLiterals } from "./_required_literals.ts";
import { type GuardHit, type GuardPackDescriptor, matchGuards } from "./guard_pack.ts";
import { globToRegExp } from "./extract_scopes.ts";
import { compileSafeRegex } from "../regex/mod.ts";
import { BUILTIN_GUARD_PACKS } from "../../guards/mod.ts";

Deno.test("requiredLiterals() reads literals, alternations, optional parts and small classes", () => {
  assert.deepEqual(requiredLiterals("--(upload-pack|receive-pack)\\b"), ["--upload-pack", "--receive-pack"]);
  assert.deepEqual(requiredLiterals("(^|[\\s\"'])ext::"), ["ext::"]);
  assert.deepEqual(requiredLiterals("ab?c"), ["ac", "abc"]);
  assert.deepEqual(requiredLiterals("a[xy]z"), ["axz", "ayz"]);
  assert.deepEqual(requiredLiterals("Core\\.Pager"), ["core.pager"]);
  assert.deepEqual(requiredLiterals("x.+longer"), ["longer"]);
  assert.deepEqual(requiredLiterals("(?:ab)+cd*"), ["ab"]);
});

Deno.test("requiredLiterals() gives up on what it cannot prove (never a wrong literal)", () => {
  for (
    const p of [
      "(?i)abc",
      "\\x41bc",
      "\\pLabc",
      "\\Qa.b\\E",
      "a{,2}",
      "é",
      "[é]x",
      "(a|.*)",
      "a*",
      "[a-z]+",
      "\\d\\d",
    ]
  ) {
    const r = requiredLiterals(p);
    // Either nothing is proven, or only literals a match must hold.
    if (r !== undefined) assert.ok(!r.includes(""), p);
  }
  assert.equal(requiredLiterals("(?i)abc"), undefined);
  assert.equal(requiredLiterals("\\x41bc"), undefined);
  assert.equal(requiredLiterals("a*"), undefined);
  assert.equal(requiredLiterals("(a|.*)"), undefined);
});

/** A small deterministic generator (tests must be reproducible). */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PATTERNS = [
  ...BUILTIN_GUARD_PACKS.flatMap((p) => p.guards.flatMap((g) => g.pattern ?? [])),
  "a(b|c)d",
  "x[-_]y",
  "^--foo(=|\\s)",
  "(a|bc)(d|ef)g?h",
  "k[\\]x]z",
  "\\bs3://",
  "[ab][cd][ef]",
];

Deno.test("property: a string that holds none of a pattern's required literals never matches it", () => {
  const rand = rng(18);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  for (const p of PATTERNS) {
    const lits = requiredLiterals(p);
    const re = compileSafeRegex(p, { caseInsensitive: true });
    assert.ok(re.ok, p);
    // Fragments of the pattern itself make matches likely; the literals' absence must then rule them out.
    const pieces = [
      ...p.replace(/[\\()[\]|^$?*+]/g, " ").split(/\s+/),
      " ",
      "=",
      "\t",
      "\n",
      "'",
      '"',
      "-",
      ":",
    ];
    for (let i = 0; i < 3000; i++) {
      let s = "";
      const n = 1 + Math.floor(rand() * 6);
      for (let j = 0; j < n; j++) {
        let piece = pick(pieces);
        if (rand() < 0.3) piece = piece.toUpperCase();
        if (rand() < 0.2 && piece.length > 1) piece = piece.slice(Math.floor(rand() * piece.length));
        s += piece;
      }
      if (!re.test(s)) continue;
      assert.ok(
        lits !== undefined && lits.some((l) => s.toLowerCase().includes(l)),
        `${p} matched ${JSON.stringify(s)}`,
      );
    }
  }
});

/** matchGuards as it was before the literal prefilter (the reference the fast one must equal). */
function referenceMatch(pack: GuardPackDescriptor, tool: string, args: unknown): GuardHit[] {
  const guards = pack.guards.filter((g) =>
    !g.tools || g.tools.some((t) => globToRegExp(t.toLowerCase()).test(tool.toLowerCase()))
  );
  const nodes: { at: string; key: string; value: unknown }[] = [];
  const walk = (value: unknown, at: string, key: string) => {
    nodes.push({ at, key, value });
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${at}/${i}`, key));
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) {
        walk(v, `${at}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`, k.toLowerCase());
      }
    }
  };
  walk(args, "", "");
  const texts = (v: unknown): string[] =>
    typeof v === "string"
      ? [v]
      : Array.isArray(v)
      ? (v.length > 0 && v.every((x) => typeof x === "string") ? [v.join(" ")] : [])
      : v !== null && typeof v === "object"
      ? Object.entries(v).map(([k, x]) => (typeof x === "string" || typeof x === "number" ? `${k} ${x}` : k))
      : [];
  const meaningful = (v: unknown) =>
    !(v === null || v === undefined || v === false || v === "") &&
    (Array.isArray(v) ? v.length > 0 : typeof v === "object" ? Object.keys(v as object).length > 0 : true);
  const hits: GuardHit[] = [];
  for (const g of guards) {
    const re = g.pattern ? compileSafeRegex(g.pattern, { caseInsensitive: true }) : undefined;
    const keys = g.keys?.map((k) => globToRegExp(k.toLowerCase()));
    for (const n of nodes) {
      if (keys && !keys.some((k) => k.test(n.key))) continue;
      const hit = re ? re.ok && texts(n.value).some((t) => re.test(t)) : n.key !== "" && meaningful(n.value);
      if (hit) {
        hits.push({
          ruleId: `${pack.id}/${g.id}`,
          severity: g.severity,
          at: n.at,
          description: g.description,
        });
        break;
      }
    }
  }
  return hits;
}

Deno.test("property: matchGuards() with the literal prefilter finds exactly what the plain reading finds", () => {
  const rand = rng(20);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  for (const pack of BUILTIN_GUARD_PACKS) {
    const strings = [
      ...pack.samples.hit.flatMap((s) =>
        Object.values(s.args).filter((v) => typeof v === "string") as string[]
      ),
      ...pack.samples.miss.flatMap((s) =>
        Object.values(s.args).filter((v) => typeof v === "string") as string[]
      ),
      "main",
      "feature/login",
      "Add login",
      "--Upload-Pack=sh",
      "kubectl get pods --Server=https://x",
      "-v /:/host",
      "ſ",
      "café --no-sandbox",
    ];
    const tools = [...pack.samples.hit.map((s) => s.tool), "create_pull_request", "git_clone", "kubectl_get"];
    const keys = ["url", "args", "executablePath", "kubeconfig", "opts", "a/b~c", "Launch_Options"];
    const value = (d: number): unknown => {
      const r = rand();
      if (d > 2 || r < 0.5) return pick(strings);
      if (r < 0.7) return Array.from({ length: 1 + Math.floor(rand() * 3) }, () => value(d + 1));
      if (r < 0.75) return pick([null, false, 0, 3, true, ""]);
      return Object.fromEntries(
        Array.from({ length: 1 + Math.floor(rand() * 3) }, () => [pick(keys), value(d + 1)]),
      );
    };
    for (const s of pack.samples.hit) {
      assert.deepEqual(matchGuards(pack, s.tool, s.args), referenceMatch(pack, s.tool, s.args));
    }
    for (let i = 0; i < 3000; i++) {
      const tool = pick(tools);
      const args = value(0);
      assert.deepEqual(
        matchGuards(pack, tool, args),
        referenceMatch(pack, tool, args),
        JSON.stringify({ tool, args }),
      );
    }
  }
});
