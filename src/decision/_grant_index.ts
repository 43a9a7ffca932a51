import { isWithin } from "../canonical/mod.ts";
import type { PermissionGrant } from "./types.ts";

/**
 * The sandbox grants of one kind, indexed for `deno/permission` checks: a folder trie for paths and a map of
 * host names and `*.domain` suffixes for the network. Each look-up returns the grant a scan of the list in
 * order would return first. Built on first use per list (the lists come in through `DecisionContext`, so the
 * index is kept beside them, never in the policy); a list that changed length is indexed again.
 */
interface GrantIndex {
  size: number;
  unscoped: PermissionGrant | undefined;
  paths?: { root: Map<string, GrantNode>; term: number; odd: number[] };
  hosts?: { exact: Map<string, number[]>; suffix: Map<string, number[]> };
}

interface GrantNode {
  children: Map<string, GrantNode>;
  term: number;
}

const CACHE = new WeakMap<readonly PermissionGrant[], GrantIndex>();

function indexOf(list: readonly PermissionGrant[]): GrantIndex {
  let ix = CACHE.get(list);
  if (ix === undefined || ix.size !== list.length) {
    ix = { size: list.length, unscoped: list.find((g) => g.value === "*") };
    CACHE.set(list, ix);
  }
  return ix;
}

/**
 * The unscoped (`*`) grant of a list, if any.
 * @param list grants of one kind
 * @returns the first `*` grant
 */
export function unscopedGrant(list: readonly PermissionGrant[]): PermissionGrant | undefined {
  return indexOf(list).unscoped;
}

/**
 * The first grant whose folder holds `form` (separator boundary), as `list.find(g => isWithin(form, g.value))`.
 * @param list read or write grants
 * @param form an absolute path
 * @returns the grant, or undefined
 */
export function pathGrant(list: readonly PermissionGrant[], form: string): PermissionGrant | undefined {
  const ix = indexOf(list);
  if (!ix.paths) {
    const root = new Map<string, GrantNode>();
    const top: GrantNode = { children: root, term: Infinity };
    const odd: number[] = [];
    list.forEach((g, i) => {
      const v = g.value;
      if (!v.startsWith("/") || (v !== "/" && (v.endsWith("/") || v.includes("//")))) {
        odd.push(i);
        return;
      }
      let n = top;
      if (v !== "/") {
        for (const s of v.slice(1).split("/")) {
          let c = n.children.get(s);
          if (!c) n.children.set(s, c = { children: new Map(), term: Infinity });
          n = c;
        }
      }
      if (i < n.term) n.term = i;
    });
    ix.paths = { root, term: top.term, odd };
  }
  const { root, term, odd } = ix.paths;
  let best = term; // a grant of "/" holds every path, absolute or not (as isWithin says)
  for (const i of odd) {
    if (i >= best) break;
    if (isWithin(form, list[i]!.value)) best = i;
  }
  if (form.startsWith("/")) {
    let children: Map<string, GrantNode> | undefined = root;
    let at = 0;
    while (children && at < form.length) {
      const end = form.indexOf("/", at + 1);
      const n: GrantNode | undefined = children.get(form.slice(at + 1, end < 0 ? form.length : end));
      if (!n) break;
      if (n.term < best) best = n.term;
      children = n.children;
      at = end < 0 ? form.length : end;
    }
  }
  return best === Infinity ? undefined : list[best];
}

/**
 * The first scoped net grant that `matches` confirms for a host, among the grants naming that host or a
 * `*.domain` it ends in (a grant whose host part is neither is never a candidate: it cannot match).
 * @param list net grants
 * @param host the host asked for
 * @param matches the grant check (`host[:port]`, `*.domain`)
 * @returns the grant, or undefined
 */
export function netGrant(
  list: readonly PermissionGrant[],
  host: string,
  matches: (grant: string) => boolean,
): PermissionGrant | undefined {
  const ix = indexOf(list);
  if (!ix.hosts) {
    const exact = new Map<string, number[]>();
    const suffix = new Map<string, number[]>();
    const add = (m: Map<string, number[]>, k: string, i: number) => {
      const l = m.get(k);
      if (l) l.push(i);
      else m.set(k, [i]);
    };
    list.forEach((g, i) => {
      if (g.value === "*") return;
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(g.value.toLowerCase());
      if (!m) return; // never matches
      const gh = m[1]!.replace(/^\[|\]$/g, "");
      if (gh.startsWith("*.")) add(suffix, gh.slice(1), i);
      else add(exact, gh, i);
    });
    ix.hosts = { exact, suffix };
  }
  const cands = [...(ix.hosts.exact.get(host) ?? [])];
  for (let at = host.indexOf("."); at >= 0; at = host.indexOf(".", at + 1)) {
    for (const i of ix.hosts.suffix.get(host.slice(at)) ?? []) cands.push(i);
  }
  cands.sort((a, b) => a - b);
  for (const i of cands) if (matches(list[i]!.value)) return list[i];
  return undefined;
}
