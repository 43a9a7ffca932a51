import type { AttackPackDescriptor } from "../plugins/mod.ts";

/**
 * The agent packs (format 2, one per kind of agent) a policy is replayed against by default: those whose
 * every call, `before` calls included, goes to a server the policy lists, when the policy is format 2. A
 * coding agent's policy gets the coding pack, not the data agent's, whose attacks would all be blocked by the
 * unknown-server default and prove nothing (and whose controls would all fail).
 * @param policy the policy's version and the servers it lists (after `--server-map`)
 * @param packs candidate packs (the built-in `AGENT_PACKS`)
 * @param serverMap pack server name → policy server name
 * @returns the packs that fit, in the order given
 */
export function agentPacksFor(
  policy: { version: number; servers: ReadonlySet<string> | ReadonlyMap<string, unknown> },
  packs: readonly AttackPackDescriptor[],
  serverMap: Readonly<Record<string, string>> = {},
): AttackPackDescriptor[] {
  if (policy.version !== 2) return [];
  return packs.filter((p) => {
    const servers = new Set(
      p.attacks.flatMap((a) => [a.call, ...(a.before ?? [])]).map((c) => serverMap[c.server] ?? c.server),
    );
    return servers.size > 0 && [...servers].every((s) => policy.servers.has(s));
  });
}
