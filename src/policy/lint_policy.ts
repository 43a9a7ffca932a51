import { foldToolName, resolvePath } from "../canonical/mod.ts";
import type { PolicyV1 } from "./schema.ts";

/** A lint warning with the YAML path it points at. */
export interface PolicyLint {
  /** What looks wrong. */
  message: string;
  /** Path into the policy document. */
  path: (string | number)[];
}

/**
 * Finds contradictions that are legal but almost certainly mistakes: a tool both allowed and denied, an
 * approval entry for a denied tool, an allowed path inside a denied one, a pattern that can never match,
 * and policies that allow everything.
 * @param policy a validated policy
 * @returns warnings, in file order
 */
export function lintPolicy(policy: PolicyV1): PolicyLint[] {
  const out: PolicyLint[] = [];
  const servers = policy.servers ?? {};
  const names = Object.keys(servers);
  if (names.length === 0) {
    out.push({
      message:
        "servers is empty: this policy allows every call to every server (no rule constrains anything)",
      path: ["servers"],
    });
  }
  const lex = { cwd: "/<policy-dir>", home: "/<home>" };
  for (const name of names) {
    const s = servers[name];
    if (!s || Object.keys(s).length === 0) {
      out.push({
        message: `server "${name}" has no rules: every call to it is allowed`,
        path: ["servers", name],
      });
      continue;
    }
    const denied = new Set((s.denied_tools ?? []).map(foldToolName));
    (s.allowed_tools ?? []).forEach((t, i) => {
      if (denied.has(foldToolName(t))) {
        out.push({
          message: `tool "${t}" is both allowed and denied on "${name}"; the deny wins`,
          path: ["servers", name, "allowed_tools", i],
        });
      }
    });
    // Denied folders by path: each allowed path looks up its own folders (O(depth)), not every denied one.
    const deniedPaths = new Map<string, number>();
    (s.denied_paths ?? []).forEach((p, i) => {
      const d = resolvePath(p, lex).forms[0]!.toLowerCase();
      if (!deniedPaths.has(d)) deniedPaths.set(d, i);
    });
    (s.allowed_paths ?? []).forEach((p, i) => {
      const abs = resolvePath(p, lex).forms[0]!.toLowerCase();
      const hit = firstDeniedAround(abs, deniedPaths);
      if (hit >= 0) {
        out.push({
          message: `allowed path "${p}" lies inside denied path "${s.denied_paths![hit]}"; the deny wins`,
          path: ["servers", name, "allowed_paths", i],
        });
      }
    });
    (s.denied_patterns ?? []).forEach((p, i) => {
      if (p.trim() === "" || p.endsWith("/") || p.includes("\0")) {
        out.push({
          message: `pattern "${p}" can never match a file (empty, trailing "/" or NUL)`,
          path: ["servers", name, "denied_patterns", i],
        });
      }
    });
    if (s.allowed_tools === undefined && (s.denied_tools?.length ?? 0) > 0) {
      out.push({
        message: `server "${name}" has no allowed_tools: every tool not in denied_tools is allowed`,
        path: ["servers", name],
      });
    }
  }
  const deniedTools = new Map<string, Set<string>>();
  const deniedOn = (t: string) => {
    let set = deniedTools.get(t);
    if (!set) deniedTools.set(t, set = new Set((servers[t]?.denied_tools ?? []).map(foldToolName)));
    return set;
  };
  (policy.approvals?.require_human_approval ?? []).forEach((entry, i) => {
    const dot = entry.indexOf(".");
    const server = dot > 0 ? entry.slice(0, dot) : undefined;
    const tool = dot > 0 ? entry.slice(dot + 1) : entry;
    const targets = server !== undefined && server in servers ? [server] : server === undefined ? names : [];
    for (const t of targets) {
      if (deniedOn(t).has(foldToolName(tool))) {
        out.push({
          message: `approval entry "${entry}" names a tool denied on "${t}"; it is denied, never asked`,
          path: ["approvals", "require_human_approval", i],
        });
      }
    }
  });
  return out;
}

/** The lowest index of a denied folder holding `abs` (`isWithin` on every folder of the path), or -1. */
function firstDeniedAround(abs: string, denied: Map<string, number>): number {
  let best = denied.get("/") ?? Infinity;
  const own = denied.get(abs);
  if (own !== undefined && own < best) best = own;
  for (let c = abs.indexOf("/", 1); c > 0; c = abs.indexOf("/", c + 1)) {
    const d = denied.get(abs.slice(0, c));
    if (d !== undefined && d < best) best = d;
  }
  return best === Infinity ? -1 : best;
}
