import type { CanonicalCall } from "../canonical/mod.ts";

/**
 * A host rule's match, as `decide()` judges allowed_hosts: the port when the rule names one, then the host
 * name or its IPv4 reading.
 * @param r a compiled host rule
 * @param host the host
 * @param port its effective port
 * @param ipv4 its IPv4 reading
 * @returns whether the rule matches
 */
export function hostMatches(
  r: { host: (h: string) => boolean; port?: string },
  host: string,
  port: string,
  ipv4: string | undefined,
): boolean {
  if (r.port !== undefined && r.port !== port) return false;
  return r.host(host) || (ipv4 !== undefined && r.host(ipv4));
}

/**
 * Every name host rules are matched against: the host, its IPv4 reading and the addresses it spells.
 * @param u a canonical URL
 * @returns the names
 */
export function hostNames(u: CanonicalCall["urls"][number]): string[] {
  const out = [u.host];
  if (u.ipv4 !== undefined) out.push(u.ipv4);
  if (u.embedded) out.push(...u.embedded);
  return out;
}
