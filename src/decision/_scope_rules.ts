import type { CanonicalCall } from "../canonical/mod.ts";
import type { ExtractedScopes } from "../profiles/mod.ts";
import type { CompiledScopes } from "../policy/compile_v2.ts";
import type { ScopeKey } from "../policy/schema_v2.ts";
import { hostMatches, hostNames } from "./_host_match.ts";

/** Why a call is outside a scope. */
export interface ScopeFailure {
  /** Rule id, `servers.github.scopes.repos`. */
  ruleId: string;
  /** What is outside, one sentence. */
  why: string;
}

const FROM: Record<Exclude<ScopeKey, "schemas" | "hosts">, keyof ExtractedScopes> = {
  repos: "repos",
  recipients: "recipients",
  recipient_domains: "recipientDomains",
  channels: "channels",
  tables: "tables",
  namespaces: "namespaces",
  kinds: "kinds",
};

/**
 * The schema of each table a statement names: `schema.table` gives `schema`, an unqualified table counts as
 * `public` (Postgres's default), and `*` (the statement can reach tables it does not name) stays `*`.
 * @param tables tables as the SQL parser read them
 * @returns schemas, unique
 */
export function schemasOf(tables: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of tables) {
    if (t === "*") out.add("*");
    else {
      const dot = t.lastIndexOf(".");
      out.add(dot > 0 ? t.slice(0, dot) : "public");
    }
  }
  return [...out];
}

/**
 * Judges a call's scopes against one scope block: every value of every constrained key must match one of its
 * globs; hosts are judged like allowed_hosts on every URL the canonicalizer found and every host the profile
 * read. The caller has already refused calls whose scopes could not be read.
 * @param s the compiled scope block
 * @param scopes what the profile read from the call
 * @param call the canonical call (for its URLs)
 * @returns the first value outside, or undefined
 */
export function checkScopeBlock(
  s: CompiledScopes,
  scopes: ExtractedScopes,
  call: CanonicalCall,
): ScopeFailure | undefined {
  for (
    const [key, list] of Object.entries(s.lists) as [
      ScopeKey,
      NonNullable<CompiledScopes["lists"][ScopeKey]>,
    ][]
  ) {
    let values: readonly string[];
    if (key === "schemas") values = schemasOf(scopes.tables);
    else if (key === "hosts") values = scopes.hosts;
    else values = scopes[FROM[key]] as string[];
    for (const v of values) {
      if (!list.match(v)) {
        return {
          ruleId: `${s.id}.${key}`,
          why: `${singular(key)} "${v}" is outside ${key} ${JSON.stringify(list.entries)}`,
        };
      }
    }
  }
  if (s.hosts) {
    const idx = s.hosts.index;
    for (const u of call.urls) {
      if (!idx.allowedHost(hostNames(u), (r) => hostMatches(r, u.host, u.port, u.ipv4))) {
        return {
          ruleId: `${s.id}.hosts`,
          why: `host "${u.host}" in "${u.raw}" is outside hosts ${JSON.stringify(s.lists.hosts?.entries)}`,
        };
      }
    }
  }
  return undefined;
}

function singular(key: ScopeKey): string {
  switch (key) {
    case "repos":
      return "repository";
    case "recipients":
      return "recipient";
    case "recipient_domains":
      return "recipient domain";
    case "channels":
      return "channel";
    case "tables":
      return "table";
    case "schemas":
      return "schema";
    case "namespaces":
      return "namespace";
    case "kinds":
      return "kind";
    case "hosts":
      return "host";
  }
}

/**
 * True when a scope block needs a profile to be judged (any key but `hosts`, which the canonicalizer reads).
 * @param s the compiled scope block
 * @returns whether a profile is needed
 */
export function needsProfile(s: CompiledScopes): boolean {
  return Object.keys(s.lists).some((k) => k !== "hosts");
}
