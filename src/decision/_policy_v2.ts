import { type CanonicalCall, foldToolName } from "../canonical/mod.ts";
import {
  classifyTool,
  type ExtractedScopes,
  extractScopes,
  type GuardHit,
  matchGuards,
  profileTool,
  resolvePointer,
  type ServerProfileDescriptor,
  type ToolClassName,
} from "../profiles/mod.ts";
import { classifySql, type SqlDialect } from "../sql/mod.ts";
import type {
  ClassRule,
  CompiledScopes,
  CompiledServerV2,
  CompiledToolEntry,
  CompiledV2,
} from "../policy/compile_v2.ts";
import { checkArgumentRules } from "./_argument_rules.ts";
import { checkScopeBlock, needsProfile } from "./_scope_rules.ts";
import type { Decision } from "./types.ts";

/** MCP tool annotations (hints a server sends about its own tools; they only ever tighten a rule). */
export interface ToolAnnotations {
  /** The tool does not modify its environment. */
  readOnlyHint?: boolean;
  /** The tool may destroy data. */
  destructiveHint?: boolean;
  /** The tool reaches the open world (the web, other people). */
  openWorldHint?: boolean;
}

/**
 * What format v2 reads from a call besides the canonical lists. The canonicalizer and the proxy attach them
 * once per call; `decide()` computes what is missing (purely) from `arguments`.
 */
export interface CallFactsV2 {
  /** The call's arguments as sent (argument rules and scopes read them). */
  arguments?: unknown;
  /** The tool's annotations from `tools/list`, from the call or from nowhere. */
  annotations?: ToolAnnotations;
  /** The server's profile as the proxy found it from its command (null: known to have none). */
  profile?: ServerProfileDescriptor | null;
  /** Scopes already read with that profile. */
  scopes?: ExtractedScopes;
  /** Guard pack hits already found (every built-in pack; the policy's switches are applied here). */
  guardHits?: GuardHit[];
  /**
   * The call stands for the tool itself, not a use of it (the proxy judging a `tools/list` entry to hide it):
   * argument rules, scopes, SQL and guard packs, which judge arguments, are not applied.
   */
  toolOnly?: boolean;
}

/** A canonical call with the v2 facts. */
export type CallV2 = CanonicalCall & CallFactsV2;

/**
 * Attaches a call's arguments and its tool's annotations for format 2, where the canonicalizer did not: the
 * arguments as a non-enumerable property (never serialized with the call, never copied by a spread), the
 * annotations only when they are an object. What is already attached is kept.
 * @param call a canonical call (changed)
 * @param facts the raw arguments and annotations; `toolOnly` for a call that stands for the tool itself
 * @returns the same call
 */
export function attachCallFacts(
  call: CallV2,
  facts: { arguments?: unknown; annotations?: unknown; toolOnly?: boolean },
): CallV2 {
  if (call.malformed !== undefined || (call.method !== "tools/call" && call.method !== "prompts/get")) {
    return call;
  }
  if (facts.toolOnly) call.toolOnly = true;
  if (call.arguments === undefined) {
    const args = facts.arguments === undefined || facts.arguments === null ? {} : facts.arguments;
    Object.defineProperty(call, "arguments", {
      value: args,
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }
  const a = facts.annotations;
  if (call.annotations === undefined && a !== null && typeof a === "object" && !Array.isArray(a)) {
    const hints = a as Record<string, unknown>;
    const out: ToolAnnotations = {};
    for (const k of ["readOnlyHint", "destructiveHint", "openWorldHint"] as const) {
      if (typeof hints[k] === "boolean") out[k] = hints[k] as boolean;
    }
    call.annotations = out;
  }
  return call;
}

const decision = (verdict: Decision["verdict"], ruleIds: string[], reason: string): Decision => ({
  verdict,
  ruleIds,
  reason,
  errors: [],
});

const isToolCall = (call: CanonicalCall) => call.method === "tools/call" && call.tool !== undefined;

/**
 * Guard packs (on by default in v2; `guards: { <pack>: false }` or `<pack>/<guard>: false` switch them off).
 * @param v2 compiled v2 rules
 * @param call the call
 * @returns a deny naming the first hit, or undefined
 */
export function checkGuardPacks(v2: CompiledV2, call: CallV2): Decision | undefined {
  if (!isToolCall(call) || call.toolOnly) return undefined;
  if (call.arguments === undefined && call.guardHits === undefined) {
    // canonicalizeCall always keeps them; a call that lost them (copied field by field) cannot be judged.
    return decision(
      "deny",
      ["call/arguments-unknown"],
      `The arguments of "${call.tool}" are not known, so format 2 rules cannot judge them`,
    );
  }
  if (v2.guardPacks.length === 0) return undefined;
  const hits = call.guardHits ??
    v2.guardPacks.flatMap((p) => matchGuards(p.pack, call.tool!, call.arguments ?? {}));
  for (const h of hits) {
    const slash = h.ruleId.indexOf("/");
    const packId = h.ruleId.slice(0, slash);
    const on = v2.guardPacks.find((p) => p.pack.id === packId);
    if (!on || on.off.has(h.ruleId.slice(slash + 1))) continue;
    return decision(
      "deny",
      [h.ruleId],
      `Blocked by guard "${h.ruleId}" (${h.severity}) at argument "${h.at || "/"}": ${h.description}`,
    );
  }
  return undefined;
}

interface Classes {
  /** Every class any source gives (annotations included): what deny rules and approvals match. */
  wide: Set<ToolClassName>;
  /** Classes both with and without annotations: what an allow rule may match (annotations never loosen). */
  strict: Set<ToolClassName>;
  /** Human-readable sources, for reasons. */
  profile?: string;
}

/**
 * What a server's rules need to know of one tool, worked out once per tool (and profile and annotations) and
 * kept with the compiled policy: its classes, the `tools:` entries that apply, and whether its SQL must only
 * read. A call then runs only the argument rules, scopes and checks that can matter to it. Facts, not
 * verdicts: every verdict is still made by decide() from them.
 */
interface ToolPlan {
  classes: Classes;
  entries: CompiledToolEntry[];
  sqlMode: SqlMode;
  /** The scope blocks that apply: the server's, then each entry's. */
  blocks: CompiledScopes[];
}

const PLANS = new WeakMap<CompiledServerV2, Map<string, Map<string, ToolPlan>>>();
// Tool names come from the agent: the cache is bounded (cleared when full, then rebuilt on use).
const MAX_CACHED_TOOLS = 4096;

/**
 * A key for the three hints, no JSON per call. classifyTool reads each hint only as `=== true` or `=== false`,
 * so any other value keys as absent, exactly as it is read.
 */
function hintKey(a: ToolAnnotations | undefined): string {
  if (a === undefined || a === null || typeof a !== "object") return "-";
  const k = (v: unknown) => v === true ? "t" : v === false ? "f" : "u";
  return k(a.readOnlyHint) + k(a.destructiveHint) + k(a.openWorldHint);
}

/** One number per profile object: two profiles with the same `server` name (a plugin shadowing a built-in) never share a plan. */
const PROFILE_IDS = new WeakMap<object, number>();
let nextProfileId = 0;
function profileId(profile: object): number {
  let id = PROFILE_IDS.get(profile);
  if (id === undefined) PROFILE_IDS.set(profile, id = ++nextProfileId);
  return id;
}

function planFor(s: CompiledServerV2, call: CallV2): ToolPlan {
  const profile = profileFor(s, call);
  const tool = call.tool ?? "";
  const variant = `${profile === undefined ? "" : profileId(profile)}\u0000${hintKey(call.annotations)}`;
  let cache = PLANS.get(s);
  if (!cache) PLANS.set(s, cache = new Map());
  let byVariant = cache.get(tool);
  const hit = byVariant?.get(variant);
  if (hit) return hit;
  const classes = classesOf(s, call, profile);
  const byName = s.toolsByName.get(foldToolName(call.tool ?? "")) ?? [];
  const entries = s.toolsByClass.length === 0 ? byName : [
    ...byName,
    ...s.toolsByClass.filter((t) =>
      t.match.kind === "all" || (t.match.kind === "class" && classes.wide.has(t.match.cls))
    ),
  ];
  const plan: ToolPlan = {
    classes,
    entries,
    sqlMode: sqlModeOf(entries, profile, call.tool ?? ""),
    blocks: [s.scopes, ...entries.map((e) => e.scopes)].filter((b) => b !== undefined),
  };
  if (byVariant === undefined) {
    if (cache.size >= MAX_CACHED_TOOLS) cache.clear();
    cache.set(tool, byVariant = new Map());
  }
  byVariant.set(variant, plan);
  return plan;
}

/**
 * The tool's classes for this server: its profile, the policy's `classes`, its name, and its annotations
 * (which only add classes to deny and approve with, and can only take a class away from an allow).
 * @param s the server's v2 rules
 * @param call the call
 * @returns wide and strict class sets
 */
export function toolClasses(s: CompiledServerV2, call: CallV2): Classes {
  return planFor(s, call).classes;
}

function classesOf(s: CompiledServerV2, call: CallV2, profile: ServerProfileDescriptor | undefined): Classes {
  const name = call.tool ?? "";
  const declared = [
    ...(profile ? profileTool(profile, name)?.entry.classes ?? [] : []),
    ...(s.toolsByName.get(foldToolName(name)) ?? []).flatMap((t) => t.classes),
  ];
  const bare = classifyTool({ name, profileClasses: declared });
  const hinted = call.annotations
    ? classifyTool({ name, profileClasses: declared, annotations: call.annotations })
    : bare;
  const wide = new Set([...bare, ...hinted]);
  const strict = new Set([...bare].filter((c) => hinted.has(c)));
  return { wide, strict, profile: profile?.server };
}

function profileFor(s: CompiledServerV2, call: CallV2): ServerProfileDescriptor | undefined {
  if (s.profileBy === "policy") return s.profile;
  if (call.profile !== undefined) return call.profile ?? undefined;
  return s.profile;
}

/**
 * `class:` entries of denied_tools.
 * @param s the server's v2 rules
 * @param call the call
 * @returns a deny, or undefined
 */
export function checkDeniedClasses(s: CompiledServerV2, call: CallV2): Decision | undefined {
  if (!isToolCall(call) || s.deniedClasses.length === 0) return undefined;
  const cls = toolClasses(s, call).wide;
  const hit = s.deniedClasses.find((r) => cls.has(r.cls));
  if (!hit) return undefined;
  return decision(
    "deny",
    [hit.id],
    `Tool "${call.tool}" is of class "${hit.cls}", and "${hit.entry}" is in denied_tools of "${s.name}"`,
  );
}

/** What the reach checks found: a deny, or the rule ids that held (for the allow's explanation). */
export interface ReachResult {
  /** The denial, when a rule failed. */
  deny?: Decision;
  /** Rule ids of argument rules, scopes and SQL checks that held. */
  held: string[];
}

/**
 * Argument rules, scopes and read-only SQL for one call, in that order. A scope the profile cannot read
 * (no profile, a tool it does not know, a value it could not parse) is refused when the policy constrains it.
 * @param s the server's v2 rules
 * @param call the call
 * @returns a deny or the rules that held
 */
export function checkReach(s: CompiledServerV2, call: CallV2): ReachResult {
  const held: string[] = [];
  if (!isToolCall(call) || call.toolOnly) return { held };
  const plan = planFor(s, call);
  const entries = plan.entries;
  const args = call.arguments ?? {};
  for (const e of entries) {
    if (e.arguments.length === 0) continue;
    const f = checkArgumentRules(e.arguments, call, args);
    if (f) {
      return {
        held,
        deny: decision(
          "deny",
          [f.rule.id],
          `Argument "${f.at || f.rule.key}" of "${call.tool}" ${f.why} (${f.condition} of ${f.rule.id})`,
        ),
      };
    }
    held.push(...e.arguments.map((a) => a.id));
  }
  const blocks = plan.blocks;
  const profile = profileFor(s, call);
  const sqlMode = plan.sqlMode;
  let scopes: ExtractedScopes | undefined;
  const scopesNow = () =>
    scopes ??= call.scopes ?? (profile ? extractScopes(profile, call.tool!, args) : undefined);
  for (const b of blocks) {
    if (needsProfile(b)) {
      const sc = scopesNow();
      const why = !profile
        ? `no server profile says which argument of "${s.name}" carries its scopes; name one with "profile:"`
        : sc?.matched === undefined
        ? `profile "${profile.server}" does not know tool "${call.tool}", so its scopes cannot be read`
        : sc.unreadable.length > 0
        ? `its scopes cannot be read (${sc.unreadable[0]})`
        : undefined;
      if (why) return { held, deny: decision("deny", [b.id], `Call "${call.tool}" is denied: ${why}`) };
    }
    const sc = scopesNow() ?? EMPTY_SCOPES;
    const f = checkScopeBlock(b, sc, call);
    if (f) {
      return { held, deny: decision("deny", [f.ruleId], `Call "${call.tool}" is denied: ${f.why}`) };
    }
    held.push(b.id);
  }
  if (sqlMode.mode === "read_only") {
    const findings = sqlFindings(scopesNow(), profile, call.tool!, args);
    const bad = findings.length === 0
      ? "no SQL text was found in its arguments"
      : findings.map((f) =>
        f.readOnly
          ? undefined
          : `the SQL at "${f.at}" is not one read-only statement (${f.problems.join("; ") || "unreadable"})`
      ).find((x) => x !== undefined);
    if (bad) {
      return {
        held,
        deny: decision("deny", [sqlMode.id], `Tool "${call.tool}" may only read (${sqlMode.from}): ${bad}`),
      };
    }
    held.push(sqlMode.id);
  }
  return { held };
}

const EMPTY_SCOPES: ExtractedScopes = {
  repos: [],
  recipients: [],
  recipientDomains: [],
  channels: [],
  tables: [],
  namespaces: [],
  kinds: [],
  hosts: [],
  sql: [],
  unreadable: [],
};

interface SqlMode {
  mode: "read_only" | "any" | undefined;
  id: string;
  from: string;
}

function sqlModeOf(
  entries: CompiledToolEntry[],
  profile: ServerProfileDescriptor | undefined,
  tool: string,
): SqlMode {
  const ro = entries.find((e) => e.sql === "read_only");
  if (ro) return { mode: "read_only", id: `${ro.id}.sql`, from: `sql: read_only in ${ro.id}` };
  if (entries.some((e) => e.sql === "any")) return { mode: "any", id: "", from: "" };
  const p = profile ? profileTool(profile, tool) : undefined;
  if (p?.entry.scopes?.tables?.sql !== undefined && p.entry.classes?.includes("read")) {
    return {
      mode: "read_only",
      id: `profile/${profile!.server}/${p.key}/read-only-sql`,
      from: `profile "${profile!.server}" says "${p.key}" only reads`,
    };
  }
  return { mode: undefined, id: "", from: "" };
}

function sqlFindings(
  scopes: ExtractedScopes | undefined,
  profile: ServerProfileDescriptor | undefined,
  tool: string,
  args: unknown,
): { at: string; readOnly: boolean; problems: string[] }[] {
  if (scopes && scopes.sql.length > 0) return scopes.sql;
  const dialect: SqlDialect =
    (profile ? profileTool(profile, tool)?.entry.scopes?.tables?.dialect : undefined) ??
      "postgres";
  const out: { at: string; readOnly: boolean; problems: string[] }[] = [];
  for (const ptr of ["/sql", "/query", "/statement"]) {
    for (const v of resolvePointer(args, ptr)) {
      if (v.value === undefined || v.value === null) continue;
      const c = classifySql(typeof v.value === "string" ? v.value : (v.value as string), { dialect });
      out.push({ at: v.at, readOnly: c.readOnly, problems: c.problems });
    }
  }
  return out;
}

/**
 * The first `class:` approval entry for the call.
 * @param v2 compiled v2 rules
 * @param s the server's v2 rules
 * @param call the call
 * @returns the rule, or undefined
 */
export function approvalByClass(v2: CompiledV2, s: CompiledServerV2, call: CallV2): ClassRule | undefined {
  if (!isToolCall(call) || v2.approvalClasses.length === 0) return undefined;
  const rules = v2.approvalClasses.filter((r) => r.server === undefined || r.server === s.name);
  if (rules.length === 0) return undefined;
  const cls = toolClasses(s, call).wide;
  return rules.find((r) => cls.has(r.cls));
}

/**
 * The first `class:` entry of allowed_tools the tool belongs to, judged on the classes annotations cannot
 * widen.
 * @param s the server's v2 rules
 * @param call the call
 * @returns the rule, or undefined
 */
export function allowedByClass(s: CompiledServerV2, call: CallV2): ClassRule | undefined {
  if (!isToolCall(call) || s.allowedClasses.length === 0) return undefined;
  const { strict } = toolClasses(s, call);
  return s.allowedClasses.find((r) => strict.has(r.cls));
}

/**
 * The index of an approval rule id (`approvals.require_human_approval[3]` → 3), to pick the first entry
 * across name and class entries.
 * @param id a rule id
 * @returns its index
 */
export function approvalIndexOf(id: string): number {
  const m = /\[(\d+)\]$/.exec(id);
  return m ? Number(m[1]) : Infinity;
}
