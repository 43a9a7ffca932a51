import { foldToolName } from "../canonical/mod.ts";
import type { Policy, PolicyV2, ScopesV2, ServerPolicyV2 } from "../policy/mod.ts";

/** The result of {@link mergePolicy}. */
export interface MergeResult {
  /** The merged policy (format 2 when either side is). */
  policy: Policy;
  /** What the merge kept or dropped on purpose, one sentence each, sorted. */
  notes: string[];
}

type ListKey =
  | "allowed_tools"
  | "denied_tools"
  | "allowed_paths"
  | "denied_paths"
  | "denied_patterns"
  | "allowed_hosts"
  | "denied_hosts"
  | "allowed_methods";

const DENY_KEYS: ListKey[] = ["denied_tools", "denied_paths", "denied_patterns", "denied_hosts"];
const ALLOW_KEYS: ListKey[] = ["allowed_tools", "allowed_paths", "allowed_hosts", "allowed_methods"];

/**
 * Merges an inferred policy into an existing one without loosening anything the existing one denies or sends to
 * approval: every existing deny and approval is kept, inferred allows are added, and an inferred allow that the
 * existing policy denies is dropped. Existing entries keep their order; new ones follow, sorted. A list the existing
 * server leaves unset (no restriction) takes the inferred list, which only tightens. Existing `redaction`,
 * `guards` and `sandbox` blocks win. Format 2: the result is format 2 when either side is; every v2 key of the
 * existing policy is kept; scope lists are merged like allow lists (a kind the existing server leaves open takes
 * the inferred list); inferred `tools:` entries are added for tools the existing policy has no entry for; session
 * rules are added by id.
 *
 * @param existing the policy on disk, validated
 * @param inferred the freshly inferred policy
 * @returns the merged policy and notes
 */
export function mergePolicy(existing: Policy, inferred: Policy): MergeResult {
  const notes: string[] = [];
  const servers: Record<string, ServerPolicyV2 | null> = {};
  const eServers: Record<string, ServerPolicyV2 | null> = existing.servers ?? {};
  const iServers: Record<string, ServerPolicyV2 | null> = inferred.servers ?? {};
  const names = [...Object.keys(eServers), ...Object.keys(iServers).filter((n) => !(n in eServers)).sort()];
  for (const name of names) {
    const inE = name in eServers;
    const e = eServers[name];
    const i = iServers[name];
    if (!i) {
      servers[name] = e ?? null;
      continue;
    }
    if (!inE) {
      servers[name] = i;
      continue;
    }
    const base: ServerPolicyV2 = { ...(e ?? {}) };
    const out: ServerPolicyV2 = { ...base };
    for (const key of DENY_KEYS) {
      const merged = union(base[key], i[key]);
      if (merged !== undefined) out[key] = merged;
    }
    // A tool the human explicitly allowed is not denied by inference; their choice stands.
    if (out.denied_tools && base.allowed_tools) {
      const allowed = new Set(base.allowed_tools.map(foldToolName));
      const ownDenies = new Set((base.denied_tools ?? []).map(foldToolName));
      out.denied_tools = out.denied_tools.filter((t) => {
        const f = foldToolName(t);
        if (allowed.has(f) && !ownDenies.has(f)) {
          notes.push(`${name}: kept "${t}" allowed as written; inference would have denied it`);
          return false;
        }
        return true;
      });
    }
    for (const key of ALLOW_KEYS) {
      if (i[key] === undefined) continue;
      out[key] = base[key] === undefined ? [...i[key]!] : union(base[key], i[key]);
    }
    if (out.allowed_tools && base.denied_tools) {
      const denied = new Set(base.denied_tools.map(foldToolName));
      out.allowed_tools = out.allowed_tools.filter((t) => {
        if (!denied.has(foldToolName(t))) return true;
        notes.push(`${name}: "${t}" stays denied: the existing policy denies it`);
        return false;
      });
    }
    if (i.deny_sampling || base.deny_sampling) out.deny_sampling = true;
    if (i.deny_elicitation || base.deny_elicitation) out.deny_elicitation = true;
    if (base.sandbox === undefined && i.sandbox !== undefined) out.sandbox = i.sandbox;
    if (i.scopes !== undefined) out.scopes = mergeScopes(base.scopes, i.scopes);
    if (i.tools !== undefined) {
      const tools = { ...(base.tools ?? {}) };
      for (const [t, rules] of Object.entries(i.tools)) {
        if (Object.hasOwn(tools, t)) notes.push(`${name}: kept the existing rules of tool "${t}" as written`);
        else tools[t] = rules;
      }
      out.tools = tools;
    }
    servers[name] = out;
  }
  const approvals = union(
    existing.approvals?.require_human_approval,
    inferred.approvals?.require_human_approval,
  ) ?? [];
  const v2 = existing.version === 2 || inferred.version === 2;
  const e2 = existing as Partial<PolicyV2>;
  const i2 = inferred as Partial<PolicyV2>;
  const rules = [...(e2.session_rules ?? [])] as { id?: unknown }[];
  for (const r of (i2.session_rules ?? []) as { id?: unknown }[]) {
    if (rules.some((x) => x.id === r.id)) {
      notes.push(`kept the existing session rule "${String(r.id)}" as written`);
    } else rules.push(r);
  }
  const policy = {
    ...(v2 ? { ...e2, version: 2 } : { version: 1 }),
    servers,
    approvals: { require_human_approval: approvals },
    ...(existing.redaction !== undefined
      ? { redaction: existing.redaction }
      : inferred.redaction !== undefined
      ? { redaction: inferred.redaction }
      : {}),
    ...(existing.guards !== undefined ? { guards: existing.guards } : {}),
    ...(rules.length > 0 ? { session_rules: rules } : {}),
  } as Policy;
  return { policy, notes: notes.sort() };
}

function mergeScopes(a: ScopesV2 | undefined, b: ScopesV2): ScopesV2 {
  const out: ScopesV2 = { ...(a ?? {}) };
  for (const [k, list] of Object.entries(b) as [keyof ScopesV2, string[] | undefined][]) {
    if (list === undefined) continue;
    out[k] = a?.[k] === undefined ? [...list] : union(a[k], list);
  }
  return out;
}

function union(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (a === undefined && b === undefined) return undefined;
  const seen = new Set(a ?? []);
  const added = (b ?? []).filter((x) => !seen.has(x)).sort();
  return [...(a ?? []), ...added];
}
