import { z } from "zod";
import { AgentPermsError } from "../errors.ts";
import { formatIssues, type PackIssue } from "../validation_issues.ts";
import { isPointer } from "./_pointer.ts";
import { extractScopes, globToRegExp } from "./extract_scopes.ts";
import { type ServerProfileDescriptor, TOOL_CLASS_NAMES } from "./types.ts";

/** Server profile API versions this AgentPerms understands. */
export const SERVER_PROFILE_API_VERSIONS: readonly number[] = [1];

const ID_REGEXP = /^[a-z0-9][a-z0-9._-]*$/;

const pointer = z.string().refine(isPointer, {
  error: 'a JSON pointer starts with "/" (e.g. "/owner", "/cc/*")',
});
const valueRef = z.union([
  pointer,
  z.strictObject({
    from: pointer,
    default: z.string().min(1).optional(),
    ifTrue: z.string().min(1).optional(),
  }),
]);
const repoRef = z.union([
  z.strictObject({ owner: valueRef, repo: valueRef }),
  z.strictObject({ fullName: valueRef }),
  z.strictObject({ url: valueRef }),
]);
const scopeSpec = z.strictObject({
  repos: z.union([repoRef, z.array(repoRef)]).optional(),
  recipients: z.array(valueRef).optional(),
  channels: z.array(valueRef).optional(),
  tables: z.strictObject({
    sql: valueRef.optional(),
    dialect: z.enum(["postgres", "mysql", "sqlite"]).optional(),
    names: z.array(valueRef).optional(),
  }).optional(),
  namespaces: z.array(valueRef).optional(),
  kinds: z.array(valueRef).optional(),
  manifests: z.array(valueRef).optional(),
  hosts: z.array(valueRef).optional(),
});
const toolProfile = z.strictObject({
  classes: z.array(z.enum(TOOL_CLASS_NAMES)).optional(),
  scopes: scopeSpec.optional(),
  untrusted: z.boolean().optional(),
});
const list = z.array(z.string()).optional();
const sample = z.strictObject({
  tool: z.string().min(1),
  args: z.record(z.string(), z.unknown()),
  want: z.strictObject({
    repos: list,
    recipients: list,
    recipientDomains: list,
    channels: list,
    tables: list,
    namespaces: list,
    kinds: list,
    hosts: list,
    unreadable: list,
  }),
});

/** The zod schema of a server profile descriptor (strict: unknown keys are errors). */
export const ServerProfileSchema = z.strictObject({
  apiVersion: z.literal(1),
  server: z.string().regex(ID_REGEXP, { error: "server ids are lowercase letters, digits, '.', '_', '-'" }),
  version: z.string().min(1).optional(),
  description: z.string().optional(),
  sources: z.array(z.string().url()).optional(),
  match: z.strictObject({ commands: list, packages: list, urls: list, names: list }),
  tools: z.record(z.string().min(1), toolProfile),
  samples: z.array(sample).optional(),
});

// The schema and the interface must describe the same shape; this fails type checking when they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _profileShape: Same<
  Omit<z.input<typeof ServerProfileSchema>, "samples">,
  Omit<ServerProfileDescriptor, "samples">
> = true;

/**
 * Validates an unknown value as a server profile: the schema, a supported `apiVersion`, and every sample
 * (each sample call must yield exactly the listed scopes; `unreadable` entries are matched as substrings).
 * @param value a descriptor (a module's default export, parsed JSON or YAML)
 * @returns the issues found; empty when valid
 */
export function validateServerProfile(value: unknown): PackIssue[] {
  const v = value as { apiVersion?: unknown } | null;
  if (
    v !== null && typeof v === "object" && "apiVersion" in v &&
    !SERVER_PROFILE_API_VERSIONS.includes(v.apiVersion as number)
  ) {
    return [{
      path: "apiVersion",
      message: `unsupported apiVersion ${JSON.stringify(v.apiVersion)}: this AgentPerms reads apiVersion ${
        SERVER_PROFILE_API_VERSIONS.join(", ")
      }`,
    }];
  }
  const r = ServerProfileSchema.safeParse(value);
  if (!r.success) {
    return r.error.issues.map((i) => ({
      path: i.path.map(String).join("."),
      message: i.code === "unrecognized_keys" ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(", ")}` : i
        .message,
    }));
  }
  const profile = value as ServerProfileDescriptor;
  const issues: PackIssue[] = [];
  for (const key of Object.keys(profile.tools)) {
    if (key.includes("*") || key.includes("?")) {
      try {
        globToRegExp(key);
      } catch {
        issues.push({ path: `tools.${key}`, message: "not a valid glob" });
      }
    }
  }
  (profile.samples ?? []).forEach((s, i) => {
    let got;
    try {
      got = extractScopes(profile, s.tool, s.args);
    } catch (e) {
      issues.push({
        path: `samples.${i}`,
        message: `extractScopes threw: ${e instanceof Error ? e.message : e}`,
      });
      return;
    }
    if (got.matched === undefined) {
      issues.push({ path: `samples.${i}.tool`, message: `no tool entry matches "${s.tool}"` });
    }
    // Where the SQL parsers cannot load (a single-file bundle), SQL reads fail closed; a sample that needs them
    // cannot be checked there, and is not a fault of the profile.
    if (got.sql.some((c) => c.problems.some((p) => p.includes("not loaded")))) return;
    for (const [k, want] of Object.entries(s.want) as [keyof typeof s.want, string[]][]) {
      const have = got[k];
      const ok = k === "unreadable"
        ? want.length === have.length && want.every((w) => have.some((h) => h.includes(w)))
        : JSON.stringify([...want].sort()) === JSON.stringify(have);
      if (!ok) {
        issues.push({
          path: `samples.${i}.want.${k}`,
          message: `${s.tool} yields ${JSON.stringify(have)}, the sample wants ${JSON.stringify(want)}`,
        });
      }
    }
  });
  return issues;
}

/**
 * Declares a server profile. Validates it at once (schema and samples), so a broken profile fails where it is
 * written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineServerProfile } from "./server_profile.ts";
 * const p = defineServerProfile({
 *   apiVersion: 1, server: "tracker", match: { packages: ["tracker-mcp"] },
 *   tools: { "*": { scopes: { repos: { owner: "/owner", repo: "/repo" } } } },
 *   samples: [{ tool: "get_issue", args: { owner: "Octo", repo: "Site" }, want: { repos: ["octo/site"] } }],
 * });
 * assert.equal(p.server, "tracker");
 * ```
 * @param d the descriptor
 * @returns the same descriptor
 * @throws {AgentPermsError} `plugin_invalid` when the descriptor is invalid or a sample fails
 */
export function defineServerProfile(d: ServerProfileDescriptor): ServerProfileDescriptor {
  const issues = validateServerProfile(d);
  if (issues.length > 0) {
    throw new AgentPermsError(
      "plugin_invalid",
      `Invalid server profile "${(d as { server?: unknown })?.server ?? "?"}": ${formatIssues(issues)}`,
    );
  }
  return d;
}

/** What is known about a configured server, to find its profile. */
export interface ServerIdentity {
  /** The server's name in the client config or policy. */
  name?: string;
  /** The command that starts it. */
  command?: string;
  /** Its arguments. */
  args?: readonly string[];
  /** Its URL, for a remote server. */
  url?: string;
}

/**
 * Finds the profile of a configured server: by package or image among the command and its arguments, by
 * command basename, or by URL; only when none of those match, by server name (a name is chosen by the user,
 * so it is the weakest hint).
 * @param profiles the profiles to search, in order
 * @param server what is known about the server
 * @returns the first matching profile and what matched, or undefined
 */
export function matchServerProfile(
  profiles: readonly ServerProfileDescriptor[],
  server: ServerIdentity,
): { profile: ServerProfileDescriptor; by: "package" | "command" | "url" | "name" } | undefined {
  const tokens = [server.command ?? "", ...(server.args ?? [])].filter((t) => t !== "");
  const pkgs = new Set(tokens.map(packageName));
  const base = (server.command ?? "").split(/[\\/]/).pop()?.replace(/\.(exe|cmd|js|py)$/i, "").toLowerCase();
  const globHit = (globs: string[] | undefined, v: string | undefined) =>
    v !== undefined && v !== "" &&
    (globs ?? []).some((g) => globToRegExp(g.toLowerCase()).test(v.toLowerCase()));
  for (const profile of profiles) {
    if ((profile.match.packages ?? []).some((p) => pkgs.has(p.toLowerCase()))) {
      return { profile, by: "package" };
    }
    if (globHit(profile.match.commands, base)) return { profile, by: "command" };
    if (globHit(profile.match.urls, server.url)) return { profile, by: "url" };
  }
  for (const profile of profiles) {
    if (globHit(profile.match.names, server.name)) return { profile, by: "name" };
  }
  return undefined;
}

// `@scope/pkg@1.2.3` → `@scope/pkg`; `pkg==1.0` → `pkg`; `ghcr.io/o/img:tag` → `ghcr.io/o/img`.
function packageName(token: string): string {
  let t = token.trim().toLowerCase();
  t = t.replace(/^npm:/, "");
  const at = t.lastIndexOf("@");
  if (at > 0) t = t.slice(0, at);
  t = t.replace(/(==|>=|~=).*$/, "");
  const colon = t.lastIndexOf(":");
  if (colon > t.lastIndexOf("/")) t = t.slice(0, colon);
  return t.replace(/@sha256$/, "");
}
