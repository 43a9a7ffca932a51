import { foldToolName } from "../canonical/mod.ts";
import type { PolicyV1, ServerPolicyV1 } from "../policy/mod.ts";

/** The result of {@link mergePolicy}. */
export interface MergeResult {
  /** The merged policy. */
  policy: PolicyV1;
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
 * `guards` and `sandbox` blocks win.
 *
 * @param existing the policy on disk, validated
 * @param inferred the freshly inferred policy
 * @returns the merged policy and notes
 */
export function mergePolicy(existing: PolicyV1, inferred: PolicyV1): MergeResult {
  const notes: string[] = [];
  const servers: Record<string, ServerPolicyV1 | null> = {};
  const eServers = existing.servers ?? {};
  const iServers = inferred.servers ?? {};
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
    const base: ServerPolicyV1 = { ...(e ?? {}) };
    const out: ServerPolicyV1 = { ...base };
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
    servers[name] = out;
  }
  const approvals = union(
    existing.approvals?.require_human_approval,
    inferred.approvals?.require_human_approval,
  ) ?? [];
  const policy: PolicyV1 = {
    version: 1,
    servers,
    approvals: { require_human_approval: approvals },
    ...(existing.redaction !== undefined
      ? { redaction: existing.redaction }
      : inferred.redaction !== undefined
      ? { redaction: inferred.redaction }
      : {}),
    ...(existing.guards !== undefined ? { guards: existing.guards } : {}),
  };
  return { policy, notes: notes.sort() };
}

function union(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (a === undefined && b === undefined) return undefined;
  const seen = new Set(a ?? []);
  const added = (b ?? []).filter((x) => !seen.has(x)).sort();
  return [...(a ?? []), ...added];
}
