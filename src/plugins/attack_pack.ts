import { z } from "zod";
import { formatIssues, type PackIssue } from "../validation_issues.ts";
import { AgentPermsError } from "../errors.ts";
import { MUTATORS } from "./mutators.ts";

/** Attack pack API versions this AgentPerms understands. */
export const ATTACK_PACK_API_VERSIONS: readonly number[] = [1];

// Ids are API once a pack ships; ".", "_" and "-" are allowed so mutated variants can be named
// `<base>.<mutation>`, but "/" is reserved for `<pack>/<attack>` addressing.
const ID_REGEXP = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const idSchema = z.string().regex(ID_REGEXP, {
  error: 'ids use letters, digits, ".", "_" and "-" and start with a letter or digit (no "/")',
});

/** Most calls an attack may make before the one it is judged on. */
export const MAX_BEFORE_CALLS = 64;

/** The call an attack makes: what an agent would send through the proxy. */
export const AttackCallSchema = z.strictObject({
  /** The pack's name for the server (map it to the policy's with `--server-map`). */
  server: z.string().min(1),
  /** Tool name (for `tools/call`). */
  tool: z.string().optional(),
  /** Tool arguments. `{{home}}` and `{{cwd}}` in strings are replaced at replay time. */
  arguments: z.record(z.string(), z.unknown()).optional(),
  /** JSON-RPC method, default `tools/call`. */
  method: z.string().optional(),
  /** Full params for methods other than `tools/call` (e.g. `resources/read` with `uri`). */
  params: z.record(z.string(), z.unknown()).optional(),
});

/** One attack (expect `block`) or benign control (expect `allow`). */
export const AttackSchema = z.strictObject({
  id: idSchema,
  title: z.string().min(1),
  severity: z.enum(["low", "medium", "high", "critical"]),
  references: z.array(z.string()).default([]),
  /** Why it is dangerous (the original's third column). */
  description: z.string().optional(),
  call: AttackCallSchema,
  /**
   * Calls made earlier in the same session, in order, before `call` (a multi-call attack: read an untrusted
   * issue, then send). Each is judged and, unless denied, counted as answered; `call` is judged last, with the
   * session state they left, and its verdict is what `expect` is about.
   */
  before: z.array(AttackCallSchema).max(MAX_BEFORE_CALLS).optional(),
  /** `block`: must be denied or routed to approval. `allow`: a benign control that must not be blocked. */
  expect: z.enum(["block", "allow"]),
  /** Evasion class (`traversal`, `case`, `metadata-ip`...), reported in the breakdown. */
  evasion: z.string().optional(),
  /** Built-in mutator ids to expand this attack with at replay time (data packs use this). */
  mutators: z.array(z.string()).optional(),
}).superRefine((a, ctx) => {
  if ((a.call.method ?? "tools/call") === "tools/call" && a.call.tool === undefined) {
    ctx.addIssue({ code: "custom", path: ["call", "tool"], message: "a tools/call attack needs a tool" });
  }
  (a.before ?? []).forEach((c, i) => {
    if ((c.method ?? "tools/call") === "tools/call" && c.tool === undefined) {
      ctx.addIssue({ code: "custom", path: ["before", i, "tool"], message: "a tools/call needs a tool" });
    }
  });
});

/** A whole pack: a typed, versioned descriptor. */
export const AttackPackSchema = z.strictObject({
  apiVersion: z.number(),
  id: idSchema,
  version: z.string().min(1),
  description: z.string(),
  attacks: z.array(AttackSchema),
});

/** The call an attack makes: what an agent would send through the proxy. */
export interface AttackCall {
  /** The pack's name for the server (map it to the policy's with `--server-map`). */
  server: string;
  /** Tool name (for `tools/call`). */
  tool?: string;
  /** Tool arguments. `{{home}}` and `{{cwd}}` in strings are replaced at replay time. */
  arguments?: Record<string, unknown>;
  /** JSON-RPC method, default `tools/call`. */
  method?: string;
  /** Full params for methods other than `tools/call` (e.g. `resources/read` with `uri`). */
  params?: Record<string, unknown>;
}

/** One attack (expect `block`) or benign control (expect `allow`), as a pack author writes it. */
export interface Attack {
  /** Unique in the pack: letters, digits, ".", "_", "-". */
  id: string;
  /** Short title for the table. */
  title: string;
  /** How bad it is when it gets through. */
  severity: "low" | "medium" | "high" | "critical";
  /** CVEs, advisories, write-ups. */
  references?: string[];
  /** Why it is dangerous. */
  description?: string;
  /** The call to judge. */
  call: AttackCall;
  /**
   * Calls made earlier in the same session, in order (a multi-call attack). Each is judged and, unless denied,
   * counted as answered; `call` is judged last with the session state they left.
   */
  before?: AttackCall[];
  /** `block`: must be denied or need approval. `allow`: a benign control that must not be blocked. */
  expect: "block" | "allow";
  /** Evasion class, reported in the breakdown. */
  evasion?: string;
  /** Built-in mutator ids to expand this attack with at replay time. */
  mutators?: string[];
}

// The schema and the interfaces must describe the same shapes; this fails type checking when they drift.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _attackShape: Same<z.input<typeof AttackSchema>, Attack> = true;
const _callShape: Same<z.input<typeof AttackCallSchema>, AttackCall> = true;

/** A pack descriptor: the default export of an attack pack module. */
export interface AttackPackDescriptor {
  /** Pack API version; only 1 exists. */
  apiVersion: 1;
  /** Kebab-case pack id; attacks are addressed `<pack>/<attack>`. */
  id: string;
  /** The pack's own version (semver). */
  version: string;
  /** One line on what the pack covers. */
  description: string;
  /** Attacks and benign controls. */
  attacks: Attack[];
}

/** One validation problem, with where it is when known. */
export type { PackIssue };

/**
 * Validates an unknown value as an attack pack descriptor: the schema, a supported `apiVersion` and unique
 * attack ids.
 * @param value a descriptor (a module's default export, parsed JSON or YAML)
 * @returns the issues found; empty when valid
 */
export function validateAttackPack(value: unknown): PackIssue[] {
  const v = value as { apiVersion?: unknown } | null;
  if (v !== null && typeof v === "object" && "apiVersion" in v) {
    if (!ATTACK_PACK_API_VERSIONS.includes(v.apiVersion as number)) {
      return [{
        path: "apiVersion",
        message: `unsupported apiVersion ${JSON.stringify(v.apiVersion)}: this AgentPerms reads apiVersion ${
          ATTACK_PACK_API_VERSIONS.join(", ")
        }`,
      }];
    }
  }
  const r = AttackPackSchema.safeParse(value);
  if (!r.success) {
    return r.error.issues.map((i) => ({
      path: i.path.map(String).join("."),
      message: i.code === "unrecognized_keys" ? `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(", ")}` : i
        .message,
    }));
  }
  const seen = new Map<string, number>();
  const issues: PackIssue[] = [];
  r.data.attacks.forEach((a, i) => {
    const prev = seen.get(a.id);
    if (prev !== undefined) {
      issues.push({
        path: `attacks.${i}.id`,
        message: `duplicate attack id "${a.id}" (also attacks.${prev})`,
      });
    } else seen.set(a.id, i);
    (a.mutators ?? []).forEach((m, j) => {
      if (!Object.hasOwn(MUTATORS, m)) {
        issues.push({
          path: `attacks.${i}.mutators.${j}`,
          message: `unknown mutator "${m}" (known: ${Object.keys(MUTATORS).join(", ")})`,
        });
      }
    });
  });
  return issues;
}

/**
 * Declares an attack pack. Validates it at once, so a broken pack fails where it is written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defineAttackPack } from "./attack_pack.ts";
 * const pack = defineAttackPack({
 *   apiVersion: 1, id: "git-server", version: "1.0.0", description: "mcp-server-git CVEs",
 *   attacks: [{
 *     id: "diff-output-injection", title: "git_diff target option injection", severity: "critical",
 *     references: ["CVE-2025-68144"], expect: "block",
 *     call: { server: "git", tool: "git_diff", arguments: { target: "--output=/tmp/x" } },
 *   }],
 * });
 * assert.equal(pack.attacks.length, 1);
 * ```
 * @param d the descriptor
 * @returns the same descriptor
 * @throws {AgentPermsError} `plugin_invalid` when the descriptor is invalid
 */
export function defineAttackPack(d: AttackPackDescriptor): AttackPackDescriptor {
  const issues = validateAttackPack(d);
  if (issues.length > 0) {
    throw new AgentPermsError(
      "plugin_invalid",
      `Invalid attack pack "${(d as { id?: unknown })?.id ?? "?"}": ${formatIssues(issues)}`,
    );
  }
  return d;
}

export { formatIssues };
