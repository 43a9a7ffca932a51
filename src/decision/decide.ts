import type { CanonicalCall } from "../canonical/mod.ts";
import { foldToolName } from "../canonical/mod.ts";
import type { CompiledPolicy, CompiledServer } from "../policy/mod.ts";
import { GUARDS } from "./guards.ts";
import { hostMatches, hostNames } from "./_host_match.ts";
import { decidePermission } from "./_permission.ts";
import {
  allowedByClass,
  approvalByClass,
  approvalIndexOf,
  type CallV2,
  checkDeniedClasses,
  checkGuardPacks,
  checkReach,
} from "./_policy_v2.ts";
import type { Decision, DecisionContext, Verdict } from "./types.ts";

/** Client requests and notifications that carry no data to judge: lifecycle, discovery, ping. */
export const PASSTHROUGH_METHODS: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "tools/list",
  "resources/list",
  "resources/templates/list",
  "resources/unsubscribe",
  "prompts/list",
  "logging/setLevel",
  "server/discover",
  "subscriptions/listen",
  "tasks/get",
  "tasks/list",
  "tasks/result",
  "tasks/cancel",
]);

/** Client requests whose arguments are canonicalized and judged. */
export const JUDGED_METHODS: ReadonlySet<string> = new Set([
  "tools/call",
  "resources/read",
  "resources/subscribe",
  "prompts/get",
  "completion/complete",
]);

/** The method of a Deno permission-broker check from a contained server (`CanonicalCall.permission`). */
export const PERMISSION_METHOD = "deno/permission";

/** Requests a server may send to the client. */
export const SERVER_REQUEST_METHODS: ReadonlySet<string> = new Set([
  "sampling/createMessage",
  "elicitation/create",
  "roots/list",
]);

const verdictOf = (verdict: Verdict, ruleIds: string[], reason: string, errors: string[] = []): Decision => ({
  verdict,
  ruleIds,
  reason,
  errors,
});

/**
 * The one decision function. Pure: no I/O, clock or randomness; the live proxy, replay, `check` and the
 * permission broker all call it.
 *
 * Order (first match wins): malformed → deny; method class (lifecycle passes, unknown methods deny);
 * unknown server → deny; explicit denies (guards, denied_tools, lock drift, denied_paths, denied_patterns,
 * denied_hosts) → deny; approval list → approve (deny when a path or host is outside allowed_paths /
 * allowed_hosts: a human may allow a tool, never a wider reach); allowed_tools → deny when missing; allowed_paths /
 * allowed_hosts → deny when outside; else allow. A rule that throws counts as deny and is listed in `errors`.
 * A Deno permission check from a contained server (method `deno/permission`, `call.permission`) is judged
 * apart: guards, then denied_paths / denied_patterns / denied_hosts, then the sandbox grants in
 * `ctx.permissions` (every form of a path, realpath included, must be inside a grant); no grants → deny.
 *
 * Format 2 adds (docs/policy.md, "Format 2 decision order"): guard packs after the guards; `class:` entries of
 * denied_tools, then argument rules, scopes and read-only SQL after the explicit denies (before approvals: a
 * human may approve a tool, never a wider reach); `class:` entries in approvals and allowed_tools. An allowed
 * call lists the argument rules, scopes and SQL checks that held.
 *
 * @param policy a compiled policy
 * @param call a canonical call
 * @param ctx facts from outside (lock drift, sandbox grants)
 * @returns the decision
 */
export function decide(policy: CompiledPolicy, call: CallV2, ctx: DecisionContext = {}): Decision {
  try {
    return decideUnsafe(policy, call, ctx);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return verdictOf("deny", ["internal/error"], `A policy check failed, so the call is denied: ${msg}`, [
      msg,
    ]);
  }
}

function decideUnsafe(policy: CompiledPolicy, call: CallV2, ctx: DecisionContext): Decision {
  if (call.malformed !== undefined) {
    return verdictOf("deny", ["call/malformed"], `The call is malformed: ${call.malformed}`);
  }
  const server = policy.servers.get(call.server);
  const m = call.method;
  if (m === PERMISSION_METHOD) return decidePermission(policy, call, ctx);
  if (call.direction === "server") {
    if (m === "sampling/createMessage" && server?.denySampling) {
      return verdictOf(
        "deny",
        [`servers.${call.server}.deny_sampling`],
        `Server "${call.server}" may not ask the client's model (sampling is denied)`,
      );
    }
    if (m === "elicitation/create" && server?.denyElicitation) {
      return verdictOf(
        "deny",
        [`servers.${call.server}.deny_elicitation`],
        `Server "${call.server}" may not ask the user for input (elicitation is denied)`,
      );
    }
    return verdictOf("allow", ["method/server-request"], `Server request "${m}" is allowed`);
  }
  if (m.startsWith("notifications/") || PASSTHROUGH_METHODS.has(m)) {
    return verdictOf("allow", ["method/passthrough"], `"${m}" carries no data to judge`);
  }
  if (!JUDGED_METHODS.has(m)) {
    if (server?.allowedMethods.has(m)) {
      return verdictOf(
        "allow",
        [`servers.${call.server}.allowed_methods`],
        `Method "${m}" is allowed for "${call.server}"`,
      );
    }
    return verdictOf(
      "deny",
      ["method/unknown"],
      `Method "${m}" is unknown to AgentPerms and not in allowed_methods, so it is denied`,
    );
  }
  if (!policy.constrained) {
    const g = checkGuards(policy, call) ?? (policy.v2 && checkGuardPacks(policy.v2, call));
    if (g) return g;
    return verdictOf("allow", ["policy/allow-all"], "The policy has no servers, so every call is allowed");
  }
  if (!server) {
    return verdictOf(
      "deny",
      ["unknown-server"],
      `Server "${call.server}" is not in the policy, and unknown servers are denied`,
    );
  }
  const v2 = policy.v2?.servers.get(call.server);
  let held: string[] = [];
  const v2Denies = (): Decision | undefined => {
    if (!v2) return undefined;
    const byClass = checkDeniedClasses(v2, call);
    if (byClass) return byClass;
    const reach = checkReach(v2, call);
    held = reach.held;
    return reach.deny;
  };
  return checkGuards(policy, call) ?? (policy.v2 && checkGuardPacks(policy.v2, call)) ??
    checkDenies(server, call, ctx) ?? v2Denies() ??
    checkApprovals(policy, server, call) ??
    checkAllows(policy, server, call, held);
}

function checkGuards(policy: CompiledPolicy, call: CanonicalCall): Decision | undefined {
  for (const g of GUARDS) {
    if (!policy.guards[g.id]) continue;
    const why = g.check(call);
    if (why) return verdictOf("deny", [`guard/${g.id}`], `Blocked by built-in guard "${g.id}": ${why}`);
  }
  return undefined;
}

function checkDenies(
  server: CompiledServer,
  call: CanonicalCall,
  ctx: DecisionContext,
): Decision | undefined {
  const tool = call.tool;
  if (tool !== undefined && call.method === "tools/call") {
    const folded = foldToolName(tool);
    const hit = server.index.deniedTool(folded);
    if (hit) {
      const variant = hit.entry === tool ? "" : ` (a variant of "${hit.entry}")`;
      return verdictOf("deny", [hit.id], `Tool "${tool}"${variant} is in denied_tools of "${server.name}"`);
    }
    const drift = ctx.drift?.get(tool);
    if (drift !== undefined) {
      return verdictOf(
        "deny",
        ["lock/drift"],
        `Tool "${tool}" does not match mcp.lock (${drift}); review it, then re-run \`agentperms lock\``,
      );
    }
  }
  // Rule kinds in order (denied_paths before denied_patterns), each over every form of every path.
  const lowered = call.paths.map((p) => ({ p, forms: p.forms.map((f) => f.toLowerCase()) }));
  for (const { p, forms } of lowered) {
    for (let i = 0; i < forms.length; i++) {
      const dp = server.index.deniedPath(forms[i]!);
      if (dp) {
        return verdictOf(
          "deny",
          [dp.id],
          `Path "${p.raw}"${shown(p.forms[i]!, p.raw)} is under denied path "${dp.entry}"`,
        );
      }
    }
  }
  for (const { p, forms } of lowered) {
    for (let i = 0; i < forms.length; i++) {
      const pat = server.index.deniedPattern(forms[i]!);
      if (pat) {
        return verdictOf(
          "deny",
          [pat.id],
          `Path "${p.raw}"${shown(p.forms[i]!, p.raw)} matches denied pattern "${pat.entry}"`,
        );
      }
    }
  }
  for (const u of call.urls) {
    // Every address the name spells out is a host the name can resolve to (DNS rebinding): each may deny.
    const dh = server.index.deniedHost(hostNames(u), (r) =>
      hostMatches(r, u.host, u.port, u.ipv4) ||
      (u.embedded?.some((a) => hostMatches(r, a, u.port, undefined)) ?? false));
    if (dh) {
      return verdictOf("deny", [dh.id], `Host "${u.host}" in "${u.raw}" is in denied_hosts ("${dh.entry}")`);
    }
  }
  return undefined;
}

/**
 * The approval list. An approval lets a human allow a tool the allow rules do not list, never a path outside
 * allowed_paths or a host outside allowed_hosts: a call outside them is denied without asking.
 */
function checkApprovals(
  policy: CompiledPolicy,
  server: CompiledServer,
  call: CallV2,
): Decision | undefined {
  if (call.tool === undefined || call.method !== "tools/call") return undefined;
  const folded = foldToolName(call.tool);
  const joined = `${call.server}.${call.tool}`;
  let a: { id: string; entry: string } | undefined = policy.approvalIndex.first(call.server, folded, joined);
  const v2 = policy.v2?.servers.get(call.server);
  const byClass = policy.v2 && v2 ? approvalByClass(policy.v2, v2, call) : undefined;
  if (byClass && (a === undefined || approvalIndexOf(byClass.id) < approvalIndexOf(a.id))) a = byClass;
  if (a === undefined) return undefined;
  const outside = checkScope(server, call, []);
  if (outside) return outside;
  return verdictOf("approve", [a.id], `"${call.server}.${call.tool}" requires human approval (${a.entry})`);
}

function checkAllows(
  policy: CompiledPolicy,
  server: CompiledServer,
  call: CallV2,
  held: readonly string[],
): Decision {
  const ruleIds: string[] = [];
  if (call.method === "tools/call" && server.allowedTools && call.tool !== undefined) {
    const v2 = policy.v2?.servers.get(server.name);
    const rule = server.allowedTools.get(call.tool) ?? (v2 ? allowedByClass(v2, call) : undefined);
    if (!rule) {
      return verdictOf(
        "deny",
        [`servers.${server.name}.allowed_tools`],
        `Tool "${call.tool}" is not in allowed_tools of "${server.name}"`,
      );
    }
    ruleIds.push(rule.id);
  }
  const unproven = checkUnproven(server, call);
  if (unproven) return unproven;
  const outside = checkScope(server, call, ruleIds);
  if (outside) return outside;
  for (const id of held) if (!ruleIds.includes(id)) ruleIds.push(id);
  if (ruleIds.length === 0) ruleIds.push(`servers.${server.name}`);
  return verdictOf("allow", ruleIds, `Allowed by the rules of "${server.name}"`);
}

/**
 * A value only known when it runs (a command's `$VAR`, `$(…)`, `eval`, `cd $X`) cannot be proven to stay
 * inside path or host rules, so a server with such rules denies it (the approval list, checked before, asks a
 * human instead). A server with no path or host rules has nothing to prove.
 */
function checkUnproven(server: CompiledServer, call: CanonicalCall): Decision | undefined {
  const u = call.unproven?.[0];
  if (u === undefined || !limitsReach(server)) return undefined;
  return verdictOf(
    "deny",
    ["command/unproven"],
    `Argument "${
      u.pointer || u.key
    }" cannot be proven to stay inside the rules of "${server.name}": ${u.reason}`,
  );
}

function limitsReach(server: CompiledServer): boolean {
  return server.deniedPaths.length > 0 || server.deniedPatterns.length > 0 ||
    server.allowedPaths !== undefined ||
    server.allowedHosts !== undefined || server.deniedHosts.length > 0;
}

/**
 * allowed_paths and allowed_hosts: every form of every path, and every URL, must be inside them.
 * @returns the denial for the first one outside, or undefined (the rules that matched are added to `ruleIds`)
 */
function checkScope(server: CompiledServer, call: CanonicalCall, ruleIds: string[]): Decision | undefined {
  if (server.allowedPaths) {
    for (const p of call.paths) {
      if (p.denyOnly) continue; // a bare command word that may not be a file at all
      for (const form of p.forms) {
        const ok = server.index.allowedPath(form);
        if (!ok) {
          return verdictOf(
            "deny",
            [`servers.${server.name}.allowed_paths`],
            `Path "${p.raw}"${shown(form, p.raw)} is outside allowed_paths of "${server.name}"`,
          );
        }
        if (!ruleIds.includes(ok.id)) ruleIds.push(ok.id);
      }
    }
  }
  if (server.allowedHosts) {
    for (const u of call.urls) {
      const ok = server.index.allowedHost(hostNames(u), (r) => hostMatches(r, u.host, u.port, u.ipv4));
      if (!ok) {
        return verdictOf(
          "deny",
          [`servers.${server.name}.allowed_hosts`],
          `Host "${u.host}" in "${u.raw}" is not in allowed_hosts of "${server.name}"`,
        );
      }
      if (!ruleIds.includes(ok.id)) ruleIds.push(ok.id);
    }
  }
  return undefined;
}

function shown(form: string, raw: string): string {
  return form === raw ? "" : ` (resolved "${form}")`;
}
