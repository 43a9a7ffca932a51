import { z } from "zod";
import { AgentPermsError } from "../errors.ts";
import { formatIssues, type PackIssue } from "../validation_issues.ts";
import { compileSafeRegex, type SafeRegex } from "../regex/mod.ts";
import { globToRegExp } from "./extract_scopes.ts";
import { requiredLiterals } from "./_required_literals.ts";

/** Guard pack API versions this AgentPerms understands. */
export const GUARD_PACK_API_VERSIONS: readonly number[] = [1];

/** Deepest argument nesting and most string values a guard pack reads; past them the call is a hit. */
export const GUARD_LIMITS = { depth: 64, strings: 10_000 } as const;

const ID_REGEXP = /^[a-z0-9][a-z0-9.-]*$/;
const idSchema = z.string().regex(ID_REGEXP, {
  error: "ids are kebab-case: lowercase letters, digits, '.', '-'",
});

/** One guard: a dangerous argument name, or a dangerous value (an RE2 pattern), on some tools or all. */
export interface Guard {
  /** Kebab-case, unique in the pack; rule ids are `<pack>/<guard>`. */
  id: string;
  /** How bad a call that hits it is. */
  severity: "low" | "medium" | "high" | "critical";
  /** Why it is dangerous, one sentence a user can act on. */
  description: string;
  /** CVEs, advisories, write-ups. */
  references?: string[];
  /** Tool name globs it applies to (`kubectl_*`); all tools when absent. */
  tools?: string[];
  /**
   * Argument names (any depth, case-insensitive globs). Alone: a hit when such an argument holds anything
   * but null, false, "" or an empty object/array. With `pattern`: only these arguments' values are tested.
   */
  keys?: string[];
  /**
   * An RE2 pattern (linear time), case-insensitive, tested on every string value, on every array of
   * strings joined with spaces (so `["-c", "core.sshCommand=x"]` is seen as one command line), and on every
   * object key with its value (`{ "--server": "https://x" }` as `--server https://x`).
   */
  pattern?: string;
}

/** A guard pack: the default export of a `guards/*.ts` module. */
export interface GuardPackDescriptor {
  /** Pack API version; only 1 exists. */
  apiVersion: 1;
  /** Kebab-case pack id. */
  id: string;
  /** The pack's own version. */
  version: string;
  /** One line on what the pack covers. */
  description: string;
  /** The guards. */
  guards: Guard[];
  /** Calls that must hit the named guard, and calls that must hit none; checked on every load. */
  samples: {
    hit: { tool: string; args: Record<string, unknown>; guard: string }[];
    miss: { tool: string; args: Record<string, unknown> }[];
  };
}

/** One guard a call hit. */
export interface GuardHit {
  /** Rule id `<pack>/<guard>` (`dangerous-arguments/git-upload-pack`). */
  ruleId: string;
  /** The guard's severity. */
  severity: Guard["severity"];
  /** JSON pointer of the argument that hit. */
  at: string;
  /** The guard's description, for the decision's reason. */
  description: string;
}

const call = z.strictObject({ tool: z.string().min(1), args: z.record(z.string(), z.unknown()) });
/** The zod schema of a guard pack descriptor. */
export const GuardPackSchema = z.strictObject({
  apiVersion: z.literal(1),
  id: idSchema,
  version: z.string().min(1),
  description: z.string(),
  guards: z.array(z.strictObject({
    id: idSchema,
    severity: z.enum(["low", "medium", "high", "critical"]),
    description: z.string().min(1),
    references: z.array(z.string()).optional(),
    tools: z.array(z.string().min(1)).optional(),
    keys: z.array(z.string().min(1)).optional(),
    pattern: z.string().min(1).optional(),
  })).min(1),
  samples: z.strictObject({
    hit: z.array(call.extend({ guard: z.string().min(1) })).min(1),
    miss: z.array(call).min(1),
  }),
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _packShape: Same<z.input<typeof GuardPackSchema>, GuardPackDescriptor> = true;

interface CompiledGuard {
  guard: Guard;
  tools?: RegExp[];
  /** Key globs with a wildcard. */
  keys?: RegExp[];
  /** Keys without one, lowercased. */
  keyNames?: Set<string>;
  pattern?: SafeRegex;
}
// Compiled once per descriptor object; descriptors are data and never change after definition.
const COMPILED = new WeakMap<GuardPackDescriptor, CompiledGuard[]>();
// Every pattern of a pack as one RE2 alternation: one linear-time pass per string tells whether any pattern
// can hit, so most strings cost one test instead of one per guard.
const PREFILTER = new WeakMap<GuardPackDescriptor, SafeRegex | null>();

function prefilter(pack: GuardPackDescriptor, compiled: CompiledGuard[]): SafeRegex | null {
  let f = PREFILTER.get(pack);
  if (f === undefined) {
    const patterns = compiled.filter((c) => c.pattern).map((c) => `(?:${c.guard.pattern})`);
    const re = patterns.length > 0
      ? compileSafeRegex(patterns.join("|"), { caseInsensitive: true })
      : undefined;
    f = re?.ok ? re : null;
    PREFILTER.set(pack, f);
  }
  return f;
}

function compile(pack: GuardPackDescriptor, issues?: PackIssue[]): CompiledGuard[] {
  const cached = COMPILED.get(pack);
  if (cached) return cached;
  const out = pack.guards.map((guard, i) => {
    const c: CompiledGuard = { guard };
    if (guard.tools) c.tools = guard.tools.map((t) => globToRegExp(t.toLowerCase()));
    if (guard.keys) {
      const lower = guard.keys.map((k) => k.toLowerCase());
      c.keyNames = new Set(lower.filter((k) => !k.includes("*") && !k.includes("?")));
      c.keys = lower.filter((k) => k.includes("*") || k.includes("?")).map((k) => globToRegExp(k));
    }
    if (guard.pattern !== undefined) {
      const re = compileSafeRegex(guard.pattern, { caseInsensitive: true });
      if (re.ok) c.pattern = re;
      else {
        const issue = { path: `guards.${i}.pattern`, message: re.error };
        if (issues) issues.push(issue);
        else {throw new AgentPermsError(
            "plugin_invalid",
            `Invalid guard pack "${pack.id}": ${formatIssues([issue])}`,
          );}
      }
    }
    if (!guard.keys && guard.pattern === undefined) {
      const issue = { path: `guards.${i}`, message: "a guard needs keys, a pattern, or both" };
      if (issues) issues.push(issue);
      else {throw new AgentPermsError(
          "plugin_invalid",
          `Invalid guard pack "${pack.id}": ${formatIssues([issue])}`,
        );}
    }
    return c;
  });
  if (!issues || issues.length === 0) COMPILED.set(pack, out);
  return out;
}

/**
 * Validates an unknown value as a guard pack: the schema, a supported `apiVersion`, unique guard ids,
 * linear-time patterns, and the samples (each `hit` hits its guard, each `miss` hits none).
 * @param value a descriptor
 * @returns the issues found; empty when valid
 */
export function validateGuardPack(value: unknown): PackIssue[] {
  const v = value as { apiVersion?: unknown } | null;
  if (
    v !== null && typeof v === "object" && "apiVersion" in v &&
    !GUARD_PACK_API_VERSIONS.includes(v.apiVersion as number)
  ) {
    return [{
      path: "apiVersion",
      message: `unsupported apiVersion ${JSON.stringify(v.apiVersion)}: this AgentPerms reads apiVersion ${
        GUARD_PACK_API_VERSIONS.join(", ")
      }`,
    }];
  }
  const r = GuardPackSchema.safeParse(value);
  if (!r.success) {
    return r.error.issues.map((i) => ({
      path: i.path.map(String).join("."),
      message: i.code === "unrecognized_keys" ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(", ")}` : i
        .message,
    }));
  }
  const pack = value as GuardPackDescriptor;
  const issues: PackIssue[] = [];
  const seen = new Set<string>();
  pack.guards.forEach((g, i) => {
    if (seen.has(g.id)) issues.push({ path: `guards.${i}.id`, message: `duplicate guard id "${g.id}"` });
    seen.add(g.id);
  });
  compile(pack, issues);
  if (issues.length > 0) return issues;
  pack.samples.hit.forEach((s, i) => {
    const hits = matchGuards(pack, s.tool, s.args).map((h) => h.ruleId);
    if (!seen.has(s.guard)) issues.push({ path: `samples.hit.${i}.guard`, message: `no guard "${s.guard}"` });
    else if (!hits.includes(`${pack.id}/${s.guard}`)) {
      issues.push({
        path: `samples.hit.${i}`,
        message: `does not hit "${s.guard}" (hits: ${hits.join(", ") || "none"})`,
      });
    }
  });
  pack.samples.miss.forEach((s, i) => {
    const hits = matchGuards(pack, s.tool, s.args).map((h) => h.ruleId);
    if (hits.length > 0) issues.push({ path: `samples.miss.${i}`, message: `hits ${hits.join(", ")}` });
  });
  return issues;
}

/**
 * Declares a guard pack. Validates it at once (schema, patterns, samples).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineGuardPack, matchGuards } from "./guard_pack.ts";
 * const pack = defineGuardPack({
 *   apiVersion: 1, id: "demo", version: "1.0.0", description: "demo",
 *   guards: [{ id: "upload-pack", severity: "critical", description: "runs a program", pattern: "--upload-pack" }],
 *   samples: { hit: [{ tool: "git_clone", args: { url: "--upload-pack=sh" }, guard: "upload-pack" }],
 *              miss: [{ tool: "git_clone", args: { url: "https://x.test/r.git" } }] },
 * });
 * assert.equal(matchGuards(pack, "git_clone", { url: "--upload-pack=sh" })[0]?.ruleId, "demo/upload-pack");
 * ```
 * @param d the descriptor
 * @returns the same descriptor
 * @throws {AgentPermsError} `plugin_invalid` when the descriptor is invalid or a sample fails
 */
export function defineGuardPack(d: GuardPackDescriptor): GuardPackDescriptor {
  const issues = validateGuardPack(d);
  if (issues.length > 0) {
    throw new AgentPermsError(
      "plugin_invalid",
      `Invalid guard pack "${(d as { id?: unknown })?.id ?? "?"}": ${formatIssues(issues)}`,
    );
  }
  return d;
}

/**
 * Judges one call against a guard pack. Pure. Arguments nested deeper than `GUARD_LIMITS.depth` or holding
 * more than `GUARD_LIMITS.strings` strings hit `<pack>/too-large` (fail closed: they were not all read).
 * @param pack a guard pack
 * @param tool the tool called
 * @param args its arguments
 * @returns every guard hit, one per guard and argument
 */
export function matchGuards(pack: GuardPackDescriptor, tool: string, args: unknown): GuardHit[] {
  const guards = guardsFor(pack, String(tool));
  if (guards.length === 0) return [];
  // One walk in document order; a node keeps its parent and key so its pointer is only spelled on a hit.
  const values: unknown[] = [];
  const keys: string[] = [];
  const parents: number[] = [];
  const segs: string[] = [];
  let strings = 0;
  let tooLarge = false;
  const walk = (value: unknown, parent: number, seg: string, key: string, depth: number) => {
    if (tooLarge) return;
    if (depth > GUARD_LIMITS.depth) {
      tooLarge = true;
      return;
    }
    const me = values.length;
    values.push(value);
    keys.push(key);
    parents.push(parent);
    segs.push(seg);
    if (typeof value === "string") {
      if (++strings > GUARD_LIMITS.strings) tooLarge = true;
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) walk(value[i], me, String(i), key, depth + 1);
    } else if (value !== null && typeof value === "object") {
      for (const k in value) {
        if (!Object.hasOwn(value, k)) continue;
        walk((value as Record<string, unknown>)[k], me, k, k.toLowerCase(), depth + 1);
      }
    }
  };
  walk(args, -1, "", "", 0);
  if (tooLarge) {
    return [{
      ruleId: `${pack.id}/too-large`,
      severity: "high",
      at: "",
      description: "The arguments are too large or deep for the guards to read all of them",
    }];
  }
  const pointer = (i: number): string => {
    const parts: string[] = [];
    for (let n = i; n > 0; n = parents[n]!) parts.push(segs[n]!.replace(/~/g, "~0").replace(/\//g, "~1"));
    return parts.length === 0 ? "" : `/${parts.reverse().join("/")}`;
  };
  const plan = packPlan(pack);
  // The texts a pattern can hit, per node, read once: none when no pattern of the pack can match any of them.
  const textsOf: (string[] | undefined)[] = new Array(values.length);
  const textsAt = (i: number): string[] => {
    let t = textsOf[i];
    if (t === undefined) {
      t = texts(values[i]);
      if (t.length > 0 && !t.some((x) => plan.mayHit(x))) t = [];
      textsOf[i] = t;
    }
    return t;
  };
  // Most calls hit nothing: a node matters only when a pattern may hit one of its texts or a key-only guard
  // names its key. When none does, the guards are not walked one by one.
  const keyOnly = guards.filter((g) => !g.pattern);
  let any = false;
  for (let i = 0; i < values.length && !any; i++) {
    any = textsAt(i).length > 0 || keyOnly.some((g) => keyMatches(g, keys[i]!));
  }
  if (!any) return [];
  const hits: GuardHit[] = [];
  for (const g of guards) {
    for (let i = 0; i < values.length; i++) {
      if (g.keys && !keyMatches(g, keys[i]!)) continue;
      let hit: boolean;
      if (g.pattern) hit = textsAt(i).some((t) => g.pattern!.test(t));
      else hit = keys[i] !== "" && meaningful(values[i]);
      if (hit) {
        hits.push({
          ruleId: `${pack.id}/${g.guard.id}`,
          severity: g.guard.severity,
          at: pointer(i),
          description: g.guard.description,
        });
        break; // one hit per guard is enough to decide and to explain
      }
    }
  }
  return hits;
}

/**
 * Compiles a guard pack ahead of its first call: its RE2 patterns, their one-pass prefilter and its tool and key
 * globs (the built-in pack: tens of ms, most of it RE2). `matchGuards` does this on first use; a proxy calls it
 * while the client reads its `initialize` answer, so the first `tools/call` does not wait for it.
 * @param pack a guard pack
 * @throws {AgentPermsError} `plugin_invalid` when a pattern cannot be compiled (as `matchGuards` would)
 */
export function prepareGuardPack(pack: GuardPackDescriptor): void {
  packPlan(pack);
}

function keyMatches(g: CompiledGuard, key: string): boolean {
  return g.keyNames!.has(key) || g.keys!.some((k) => k.test(key));
}

/** The pack's guards that apply to a tool, per tool name (bounded: names come from the agent). */
const BY_TOOL = new WeakMap<GuardPackDescriptor, Map<string, CompiledGuard[]>>();
const MAX_TOOLS = 4096;

function guardsFor(pack: GuardPackDescriptor, tool: string): CompiledGuard[] {
  let m = BY_TOOL.get(pack);
  if (m === undefined) BY_TOOL.set(pack, m = new Map());
  let out = m.get(tool);
  if (out === undefined) {
    const lower = tool.toLowerCase();
    out = compile(pack).filter((g) => !g.tools || g.tools.some((t) => t.test(lower)));
    if (m.size >= MAX_TOOLS) m.clear();
    m.set(tool, out);
  }
  return out;
}

/** How a pack tells, cheaply, that a text cannot hit any of its patterns. */
interface PackPlan {
  mayHit(text: string): boolean;
}
const PLANS = new WeakMap<GuardPackDescriptor, PackPlan>();
const NON_ASCII_REGEXP = /[^\t-~]/; // not printable ASCII or a tab, line feed, CR…: RE2 may fold it

// Letters from the least to the most common in English prose.
const LETTERS_BY_RARITY = "zqxjkvbpygfwmucldrhsnioate";

/** The character of a literal least likely to appear in ordinary text: punctuation or a digit first. */
function rareChar(literal: string): string {
  const other = [...literal].find((c) => !/[a-z]/.test(c));
  if (other !== undefined) return other;
  return [...literal].sort((a, b) => LETTERS_BY_RARITY.indexOf(a) - LETTERS_BY_RARITY.indexOf(b))[0]!;
}

function packPlan(pack: GuardPackDescriptor): PackPlan {
  let plan = PLANS.get(pack);
  if (plan !== undefined) return plan;
  const compiled = compile(pack);
  const any = prefilter(pack, compiled);
  const withPattern = compiled.filter((c) => c.pattern);
  // Every pattern's required literals (each match holds one): an ASCII text holding none of them cannot
  // match, and skips the RE2 pass. One pattern without them and every text goes to RE2, as before.
  const lits = new Set<string>();
  let all = true;
  for (const c of withPattern) {
    const r = requiredLiterals(c.guard.pattern!);
    if (r === undefined) {
      all = false;
      break;
    }
    r.forEach((x) => lits.add(x));
  }
  // A literal that holds another is redundant: a text holding it holds the shorter one.
  const minimal = [...lits].filter((l) => ![...lits].some((m) => m !== l && l.includes(m)));
  const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
  const literal = all && minimal.length > 0 ? new RegExp(minimal.map(escape).join("|"), "i") : undefined;
  // One character of each literal (the least common in prose): a text with none of them holds no literal, and
  // that one class test is cheaper than the alternation.
  const chars = all && minimal.length > 0
    ? new RegExp(`[${[...new Set(minimal.map(rareChar))].map(escape).join("")}]`, "i")
    : undefined;
  const full = (t: string) => any === null || any.test(t);
  plan = {
    mayHit: withPattern.length === 0
      ? () => false
      : literal === undefined || chars === undefined
      ? full
      : (t) => (NON_ASCII_REGEXP.test(t) || (chars.test(t) && literal.test(t))) && full(t),
  };
  PLANS.set(pack, plan);
  return plan;
}

function meaningful(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

// What a pattern is tested on: a string; an array of strings as one command line; an object's keys as flags
// with their values (`{ "--server": "https://x" }` is read as `--server https://x`, the way tools build argv).
function texts(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.length > 0 && v.every((x) => typeof x === "string") ? [v.join(" ")] : [];
  if (v !== null && typeof v === "object") {
    return Object.entries(v).map((
      [k, x],
    ) => (typeof x === "string" || typeof x === "number" ? `${k} ${x}` : k));
  }
  return [];
}
