import type { CanonicalCall } from "../canonical/mod.ts";
import { resolvePointer } from "../profiles/mod.ts";
import type { CompiledArgumentRule, CompiledCondition, CompiledReach } from "../policy/compile_v2.ts";
import { hostMatches, hostNames } from "./_host_match.ts";

/** Why an argument failed its rule: the rule, the condition that failed and a sentence. */
export interface ArgumentFailure {
  /** The argument rule (`servers.db.tools.query.arguments.sql`). */
  rule: CompiledArgumentRule;
  /** The condition that failed (`max_length`, `path`, `required`…). */
  condition: string;
  /** Where in the arguments (`/sql`, `/to/1`). */
  at: string;
  /** What is wrong, for the decision's reason. */
  why: string;
}

type Fail = { condition: string; at: string; why: string };

/**
 * Judges a call's arguments against argument rules. Absent (or null) arguments meet every condition but
 * `required`; an array meets a value condition (`enum`, `glob`, `regex`, `prefix`, `min`, `max`) only when
 * every item does; `path` and `host` judge what the canonicalizer found under the argument, and a value it
 * could not read as a path or URL fails them (fail closed).
 * @param rules the rules that apply to the tool, in policy order
 * @param call the canonical call (paths, URLs and unproven values, with their pointers)
 * @param args the call's arguments
 * @returns the first failure, or undefined when every rule holds
 */
export function checkArgumentRules(
  rules: readonly CompiledArgumentRule[],
  call: CanonicalCall,
  args: unknown,
): ArgumentFailure | undefined {
  for (const rule of rules) {
    const found = resolvePointer(args ?? {}, rule.pointer);
    const present = found.filter((v) => v.value !== undefined && v.value !== null);
    const c = rule.condition.source;
    if (c.required && present.length === 0) {
      return { rule, condition: "required", at: rule.pointer, why: "is required and missing" };
    }
    if (c.forbidden && present.length > 0) {
      return { rule, condition: "forbidden", at: present[0]!.at, why: "is forbidden and present" };
    }
    for (const v of present) {
      const f = judge(rule.condition, v.value, v.at, call);
      if (f) return { rule, ...f };
    }
  }
  return undefined;
}

const VALUE_TESTS = ["enum", "glob", "regex", "prefix", "min", "max"] as const;

function judge(c: CompiledCondition, value: unknown, at: string, call: CanonicalCall): Fail | undefined {
  const s = c.source;
  if (s.max_length !== undefined) {
    const len = typeof value === "string"
      ? [...value].length
      : Array.isArray(value)
      ? value.length
      : undefined;
    if (len === undefined) {
      return { condition: "max_length", at, why: `is ${kind(value)}, not a string or array` };
    }
    if (len > s.max_length) {
      return { condition: "max_length", at, why: `is ${len} long, more than max_length ${s.max_length}` };
    }
  }
  if (VALUE_TESTS.some((k) => s[k] !== undefined)) {
    const items = Array.isArray(value) ? value.map((x, i) => ({ x, at: `${at}/${i}` })) : [{ x: value, at }];
    for (const it of items) {
      const f = judgeValue(c, it.x, it.at);
      if (f) return f;
    }
  }
  if (c.path) {
    const f = judgeReach("path", c.path, value, at, call);
    if (f) return f;
  }
  if (c.host) {
    const f = judgeReach("host", c.host, value, at, call);
    if (f) return f;
  }
  if (c.any || c.all) {
    const items = Array.isArray(value) ? value.map((x, i) => ({ x, at: `${at}/${i}` })) : [{ x: value, at }];
    if (c.any) {
      const ok = items.some((it) =>
        it.x !== null && it.x !== undefined && judge(c.any!, it.x, it.at, call) === undefined
      );
      if (!ok) return { condition: "any", at, why: "has no item that meets the `any` condition" };
    }
    if (c.all) {
      for (const it of items) {
        if (it.x === null || it.x === undefined) continue;
        const f = judge(c.all, it.x, it.at, call);
        if (f) return { ...f, condition: `all.${f.condition}` };
      }
    }
  }
  return undefined;
}

function judgeValue(c: CompiledCondition, x: unknown, at: string): Fail | undefined {
  const s = c.source;
  const scalar = typeof x === "string" || typeof x === "number" || typeof x === "boolean";
  if (!scalar) {
    const first = VALUE_TESTS.find((k) => s[k] !== undefined)!;
    return { condition: first, at, why: `is ${kind(x)}, not a single value` };
  }
  // Compared as text, the way servers coerce a number or a boolean they receive as a string (and back).
  const text = String(x);
  if (c.enumSet && !c.enumSet.has(text)) {
    return { condition: "enum", at, why: `${show(text)} is not one of ${JSON.stringify(s.enum)}` };
  }
  if (c.globs && !c.globs.some((g) => g(text))) {
    return { condition: "glob", at, why: `${show(text)} matches no glob of ${JSON.stringify(s.glob)}` };
  }
  if (c.regex && !c.regex.test(text)) {
    return { condition: "regex", at, why: `${show(text)} does not match ${JSON.stringify(s.regex)}` };
  }
  if (c.prefixes && !c.prefixes.some((p) => text.startsWith(p))) {
    return { condition: "prefix", at, why: `${show(text)} starts with none of ${JSON.stringify(s.prefix)}` };
  }
  if (s.min !== undefined || s.max !== undefined) {
    const n = typeof x === "number" ? x : typeof x === "string" && x.trim() !== "" ? Number(x) : NaN;
    const cond = s.min !== undefined ? "min" : "max";
    if (!Number.isFinite(n)) return { condition: cond, at, why: `${show(text)} is not a number` };
    if (s.min !== undefined && n < s.min) return { condition: "min", at, why: `${n} is below min ${s.min}` };
    if (s.max !== undefined && n > s.max) return { condition: "max", at, why: `${n} is above max ${s.max}` };
  }
  return undefined;
}

const under = (pointer: string, at: string) => pointer === at || pointer.startsWith(`${at}/`);

function judgeReach(
  kindOf: "path" | "host",
  r: CompiledReach,
  value: unknown,
  at: string,
  call: CanonicalCall,
): Fail | undefined {
  const fail = (why: string) => ({ condition: kindOf, at, why });
  const unproven = call.unproven.find((u) => under(u.pointer, at));
  if (unproven) return fail(`cannot be proven: ${unproven.reason}`);
  const idx = r.server.index;
  if (kindOf === "path") {
    if (call.fileUrls.some((f) => under(f.pointer, at))) return fail("is a file: URL");
    const paths = call.paths.filter((p) => under(p.pointer, at));
    if (paths.length === 0) {
      return meaningful(value) ? fail(`${showValue(value)} could not be read as a path`) : undefined;
    }
    for (const p of paths) {
      for (const form of p.forms) {
        const d = idx.deniedPath(form.toLowerCase());
        if (d) return fail(`path "${p.raw}" (${form}) is under denied "${d.entry}"`);
        if (r.hasAllowed && !p.denyOnly && !idx.allowedPath(form)) {
          return fail(`path "${p.raw}" (${form}) is outside ${JSON.stringify(allowedList(r, "path"))}`);
        }
      }
    }
    return undefined;
  }
  const urls = call.urls.filter((u) => under(u.pointer, at));
  if (urls.length === 0) {
    return meaningful(value) ? fail(`${showValue(value)} could not be read as a URL or host`) : undefined;
  }
  for (const u of urls) {
    const d = idx.deniedHost(hostNames(u), (h) =>
      hostMatches(h, u.host, u.port, u.ipv4) ||
      (u.embedded?.some((a) => hostMatches(h, a, u.port, undefined)) ?? false));
    if (d) return fail(`host "${u.host}" is denied by "${d.entry}"`);
    if (r.hasAllowed && !idx.allowedHost(hostNames(u), (h) => hostMatches(h, u.host, u.port, u.ipv4))) {
      return fail(`host "${u.host}" is not in ${JSON.stringify(allowedList(r, "host"))}`);
    }
  }
  return undefined;
}

function allowedList(r: CompiledReach, k: "path" | "host"): string[] {
  return (k === "path" ? r.server.allowedPaths : r.server.allowedHosts)?.map((x) => x.entry) ?? [];
}

function meaningful(v: unknown): boolean {
  if (v === null || v === undefined || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
const showValue = (v: unknown) => (typeof v === "string" ? show(v) : kind(v));
