import type { CanonicalCall } from "../canonical/mod.ts";
import type { CompiledPolicy, HostRule } from "../policy/mod.ts";
import { GUARDS } from "./guards.ts";
import { classifyAddress } from "./_address_class.ts";
import { netGrant, pathGrant, unscopedGrant } from "./_grant_index.ts";
import type { Decision, DecisionContext, PermissionGrant, PermissionGrants } from "./types.ts";

const deny = (ruleIds: string[], reason: string): Decision => ({
  verdict: "deny",
  ruleIds,
  reason,
  errors: [],
});

/**
 * Judges one Deno permission check (method `deno/permission`) from a contained server. Order: malformed →
 * guards (NUL byte, metadata host) → the server's denied_paths / denied_patterns / denied_hosts → the
 * sandbox grants in `ctx.permissions`. Every form of a path (literal and realpath) must be inside a grant, so
 * a symlink whose target lies outside is denied even when the link itself sits in an allowed folder.
 */
export function decidePermission(
  policy: CompiledPolicy,
  call: CanonicalCall,
  ctx: DecisionContext,
): Decision {
  const req = call.permission;
  if (req === undefined) return deny(["call/malformed"], "The permission check names no permission");
  const kind = req.kind;
  const shownValue = req.value === null ? "(unspecified)" : JSON.stringify(req.value);
  for (const g of GUARDS) {
    if (!policy.guards[g.id]) continue;
    const why = g.check(call);
    if (why) return deny([`guard/${g.id}`], `Blocked by built-in guard "${g.id}": ${why}`);
  }
  const server = policy.servers.get(call.server);
  if (server && (kind === "read" || kind === "write")) {
    for (const p of call.paths) {
      for (const form of p.forms) {
        const lower = form.toLowerCase();
        const dp = server.index.deniedPath(lower);
        if (dp) {
          return deny([dp.id], `${cap(kind)} of "${form}" is under denied path "${dp.entry}"`);
        }
        const pat = server.index.deniedPattern(lower);
        if (pat) {
          return deny([pat.id], `${cap(kind)} of "${form}" matches denied pattern "${pat.entry}"`);
        }
      }
    }
  }
  if (server && kind === "net") {
    for (const u of call.urls) {
      const names = u.ipv4 === undefined ? [u.host] : [u.host, u.ipv4];
      const dh = server.index.deniedHost(names, (r) => hostRuleMatches(r, u.host, u.port, u.ipv4));
      if (dh) return deny([dh.id], `Network access to "${u.host}" is in denied_hosts ("${dh.entry}")`);
    }
  }
  const grants = ctx.permissions;
  if (grants === undefined) {
    return deny(
      ["sandbox/no-grants"],
      `No sandbox grants were given for "${call.server}", so ${kind} access to ${shownValue} is denied`,
    );
  }
  const list = grantsFor(grants, kind);
  if (list === undefined) {
    return deny([`sandbox/${kind}`], `${cap(kind)} access is never granted to contained servers`);
  }
  const unscoped = unscopedGrant(list);
  let hits: PermissionGrant[] | undefined;
  if (kind === "read" || kind === "write") {
    if (call.paths.length === 0) hits = unscoped ? [unscoped] : undefined;
    else {
      hits = [];
      for (const p of call.paths) {
        for (const form of p.forms) {
          const g = unscoped ?? pathGrant(list, form);
          if (!g) {
            const via = form === p.forms[0] ? "" : ` (resolved from "${p.forms[0]}")`;
            return deny(
              [`sandbox/${kind}`],
              `${cap(kind)} of "${form}"${via} is outside the sandbox of "${call.server}"`,
            );
          }
          hits.push(g);
        }
      }
    }
  } else if (kind === "net") {
    if (call.urls.length === 0) hits = unscoped ? [unscoped] : undefined;
    else {
      hits = [];
      for (const u of call.urls) {
        // An exact grant first: it may reach a local address, which an unscoped one never does.
        const g = netGrant(list, u.host, (v) => netGrantMatches(v, u.host, u.port)) ?? unscoped;
        if (!g) {
          return deny(
            ["sandbox/net"],
            `Network access to "${u.host}${
              u.port ? `:${u.port}` : ""
            }" is outside the sandbox of "${call.server}"`,
          );
        }
        hits.push(g);
      }
    }
  } else {
    const v = req.value;
    const g = unscoped ??
      (v === null ? undefined : list.find((x) => nameMatches(x.value, v, kind === "env")));
    hits = g ? [g] : undefined;
  }
  if (!hits || hits.length === 0) {
    const hint = req.value === null ? " (Deno did not say which, so only an unscoped grant allows it)" : "";
    return deny(
      [`sandbox/${kind}`],
      `${cap(kind)} access to ${shownValue} is outside the sandbox of "${call.server}"${hint}`,
    );
  }
  if (kind === "net" && ctx.addresses !== undefined) {
    const refused = judgeAddresses(policy, call, ctx.addresses, hits);
    if (refused) return refused;
  }
  const ruleIds = [...new Set(hits.map((h) => h.ruleId))];
  return { verdict: "allow", ruleIds, reason: `${cap(kind)} access to ${shownValue} is granted`, errors: [] };
}

/**
 * The addresses a host name resolved to, as the egress proxy will dial them: a metadata or link-local address
 * is refused by the metadata guard whatever the name; a loopback, private or unspecified one only when the
 * grant that allowed the connection names the host exactly (no `*`), so a wildcard or unscoped grant never
 * reaches into the local network through a DNS name (rebinding, wildcard DNS).
 */
function judgeAddresses(
  policy: CompiledPolicy,
  call: CanonicalCall,
  addresses: readonly string[],
  hits: PermissionGrant[],
): Decision | undefined {
  const host = call.urls[0]?.host ?? "";
  if (addresses.length === 0) {
    return deny(["sandbox/net-unresolved"], `"${host}" resolves to no address, so it cannot be judged`);
  }
  const exact = hits.every((h) => h.value !== "*" && !h.value.includes("*"));
  const index = policy.servers.get(call.server)?.index;
  const port = call.urls[0]?.port ?? "";
  for (const a of addresses) {
    // denied_hosts hold for the address dialled too, whatever name led there.
    const dh = index?.deniedHost([a], (r) => hostRuleMatches(r, a, port, a.includes(":") ? undefined : a));
    if (dh) return deny([dh.id], `"${host}" resolves to ${a}, which is in denied_hosts ("${dh.entry}")`);
    const cls = classifyAddress(a);
    if ((cls === "metadata" || cls === "link-local") && policy.guards["metadata-host"]) {
      return deny(
        ["guard/metadata-host"],
        `Blocked by built-in guard "metadata-host": "${host}" resolves to ${a}, a cloud metadata or link-local address`,
      );
    }
    if (cls !== "public" && !exact) {
      return deny(
        ["sandbox/net-private-address"],
        `"${host}" resolves to ${a} (${cls}); a local address is reached only through a grant that names the host exactly`,
      );
    }
  }
  return undefined;
}

function grantsFor(g: PermissionGrants, kind: string): PermissionGrant[] | undefined {
  switch (kind) {
    case "read":
    case "write":
    case "net":
    case "env":
    case "run":
    case "sys":
      return g[kind];
    default:
      return undefined; // ffi, import and anything new: never granted
  }
}

function nameMatches(grant: string, value: string, env: boolean): boolean {
  // Env names are case-insensitive on Windows only; Deno on POSIX compares exactly.
  if (env && grant.endsWith("*")) return value.startsWith(grant.slice(0, -1));
  return grant === value;
}

function netGrantMatches(grant: string, host: string, port: string): boolean {
  const g = grant.toLowerCase();
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(g);
  if (!m) return false;
  const gh = m[1]!.replace(/^\[|\]$/g, "");
  if (m[2] !== undefined && m[2] !== port) return false;
  if (gh.startsWith("*.")) return host.endsWith(gh.slice(1));
  return gh === host;
}

function hostRuleMatches(r: HostRule, host: string, port: string, ipv4: string | undefined): boolean {
  if (r.port !== undefined && r.port !== port) return false;
  return r.host(host) || (ipv4 !== undefined && r.host(ipv4));
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
