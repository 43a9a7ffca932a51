import { foldToolName } from "../canonical/mod.ts";
import { matchServerProfile, type ServerProfileDescriptor } from "../profiles/mod.ts";
import { BUILTIN_PROFILES } from "../../profiles/mod.ts";
import type { PolicyLint } from "./lint_policy.ts";
import type { ArgumentConditionV2, PolicyV2 } from "./schema_v2.ts";

/**
 * Lints what only v2 can get wrong: per-tool rules that can never apply (the tool is denied, or missing from
 * allowed_tools), scopes no profile can read (every call to the server is then denied), empty argument
 * conditions, and a class both allowed and denied.
 * @param policy a validated v2 policy
 * @param opts profiles loaded from the policy's `profiles:` list
 * @returns warnings, in file order
 */
export function lintPolicyV2(
  policy: PolicyV2,
  opts: { profiles?: readonly ServerProfileDescriptor[] } = {},
): PolicyLint[] {
  const out: PolicyLint[] = [];
  const profiles = [...(opts.profiles ?? []), ...BUILTIN_PROFILES];
  for (const [name, raw] of Object.entries(policy.servers ?? {})) {
    const s = raw ?? {};
    const base = ["servers", name];
    const denied = new Set((s.denied_tools ?? []).map(foldToolName));
    const allowed = s.allowed_tools ? new Set(s.allowed_tools.map(foldToolName)) : undefined;
    for (const [key, t] of Object.entries(s.tools ?? {})) {
      const isName = key !== "*" && !key.startsWith("class:");
      if (isName && denied.has(foldToolName(key))) {
        out.push({
          message: `tool "${key}" is denied on "${name}": its rules in tools never apply`,
          path: [...base, "tools", key],
        });
      } else if (
        isName && allowed && !allowed.has(foldToolName(key)) &&
        !(s.allowed_tools ?? []).some((e) => e.startsWith("class:"))
      ) {
        out.push({
          message: `tool "${key}" is not in allowed_tools of "${name}": its rules in tools never apply`,
          path: [...base, "tools", key],
        });
      }
      for (const [arg, c] of Object.entries(t.arguments ?? {})) {
        if (isEmpty(c)) {
          out.push({
            message: `the condition on argument "${arg}" checks nothing`,
            path: [...base, "tools", key, "arguments", arg],
          });
        }
      }
    }
    const scoped = [s.scopes, ...Object.values(s.tools ?? {}).map((t) => t.scopes)]
      .some((sc) => sc && Object.keys(sc).some((k) => k !== "hosts"));
    const profile = s.profile !== undefined
      ? profiles.find((p) => p.server === s.profile)
      : matchServerProfile(profiles, { name })?.profile;
    if (scoped && !profile) {
      out.push({
        message:
          `server "${name}" has scopes but no profile says which argument carries them (the proxy may still find one from the server's command); without one every call to it is denied. Name one with "profile:"`,
        path: [...base, s.scopes ? "scopes" : "tools"],
      });
    }
    const deniedClasses = new Set((s.denied_tools ?? []).filter((e) => e.startsWith("class:")));
    (s.allowed_tools ?? []).forEach((e, i) => {
      if (e.startsWith("class:") && deniedClasses.has(e)) {
        out.push({
          message: `"${e}" is both allowed and denied on "${name}"; the deny wins`,
          path: [...base, "allowed_tools", i],
        });
      }
    });
  }
  return out;
}

function isEmpty(c: ArgumentConditionV2): boolean {
  return Object.values(c).every((v) => v === undefined || v === false);
}
