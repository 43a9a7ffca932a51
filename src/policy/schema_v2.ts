import { z } from "zod";
import { TOOL_CLASS_NAMES } from "../profiles/mod.ts";
import { ServerPolicySchema } from "./schema.ts";
import { SESSION_RULE_KEYS, SessionRulesSchema } from "./session_rules_schema.ts";

const stringList = z.array(z.string());
const globList = z.array(z.string().min(1, { error: "an empty entry matches nothing" }));
const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** The resource scopes a server or tool may reach (#18 item 3): glob lists, matched case-insensitively. */
export const ScopesSchema = z.strictObject({
  /** Repositories, `owner/name` on github.com and `host/path` elsewhere (`octo-org/*`). */
  repos: globList.optional(),
  /** Mail and message recipients, full addresses (`*@example.com`), cc, bcc and forwarding included. */
  recipients: globList.optional(),
  /** Domains of the recipients (`example.com`, `*.example.com`). */
  recipient_domains: globList.optional(),
  /** Chat channels by name or id (`#` dropped). */
  channels: globList.optional(),
  /** SQL tables (`public.orders`, `analytics.*`), every table a statement names. */
  tables: globList.optional(),
  /** SQL schemas of those tables; an unqualified table counts as schema `public`. */
  schemas: globList.optional(),
  /** Kubernetes namespaces (`*` in a call means all of them, matched only by an entry `"*"`). */
  namespaces: globList.optional(),
  /** Kubernetes kinds (`pods`, `deployments`). */
  kinds: globList.optional(),
  /** Hosts, judged like allowed_hosts (every address a name spells out must match too). */
  hosts: globList.optional(),
});

/** The keys of {@link ScopesSchema}, in the order they are judged. */
export const SCOPE_KEYS = [
  "repos",
  "recipients",
  "recipient_domains",
  "channels",
  "tables",
  "schemas",
  "namespaces",
  "kinds",
  "hosts",
] as const;
/** One scope key. */
export type ScopeKey = typeof SCOPE_KEYS[number];

/** One condition on an argument (all given keys must hold). Written recursively for `any` / `all`. */
export interface ArgumentConditionV2 {
  /** The argument must be present and not null. */
  required?: boolean;
  /** The argument must be absent (or null). */
  forbidden?: boolean;
  /** The value must equal one of these. */
  enum?: (string | number | boolean)[];
  /** A string value must match one of these globs (`*` stops at `/`, `**` does not). */
  glob?: string | string[];
  /** A string value must match this RE2 pattern (anchor it with `^…$`); backtracking patterns fail the load. */
  regex?: string;
  /** A string value must start with one of these. */
  prefix?: string | string[];
  /** Longest string (characters) or array (items). */
  max_length?: number;
  /** Smallest number. */
  min?: number;
  /** Largest number. */
  max?: number;
  /** Every path the canonicalizer finds in the argument: inside `allowed`, outside `denied`. */
  path?: { allowed?: string[]; denied?: string[] };
  /** Every URL or host the canonicalizer finds in the argument: in `allowed`, not in `denied`. */
  host?: { allowed?: string[]; denied?: string[] };
  /** An array: at least one item meets this condition. */
  any?: ArgumentConditionV2;
  /** An array: every item meets this condition (an empty array passes). */
  all?: ArgumentConditionV2;
}

const reach = z.strictObject({ allowed: stringList.optional(), denied: stringList.optional() });

/** The zod schema of {@link ArgumentConditionV2}. */
export const ArgumentConditionSchema: z.ZodType<ArgumentConditionV2> = z.lazy(() =>
  z.strictObject({
    required: z.boolean().optional(),
    forbidden: z.boolean().optional(),
    enum: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
    glob: oneOrMany.optional(),
    regex: z.string().min(1).optional(),
    prefix: oneOrMany.optional(),
    max_length: z.number().int().nonnegative().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    path: reach.optional(),
    host: reach.optional(),
    any: ArgumentConditionSchema.optional(),
    all: ArgumentConditionSchema.optional(),
  })
);

/** Rules for one tool, a class of tools (`class:send`) or every tool (`*`). */
export const ToolPolicySchema = z.strictObject({
  /** Conditions by argument name (`sql`) or JSON pointer (`/options/headers/*`). */
  arguments: z.record(z.string().min(1), ArgumentConditionSchema).optional(),
  /** Scopes for this tool, on top of the server's. */
  scopes: ScopesSchema.optional(),
  /** `read_only`: the SQL it runs must be exactly one statement that only reads. `any`: no SQL check. */
  sql: z.enum(["read_only", "any"]).optional(),
  /** Classes the tool has besides those its name, profile and annotations give it (they only add). */
  classes: z.array(z.enum(TOOL_CLASS_NAMES)).optional(),
});

/** One server's rules in format v2: every v1 key, plus profile, scopes and per-tool rules. */
export const ServerPolicyV2Schema = ServerPolicySchema.extend({
  /** The server profile id that says which argument carries which scope (default: found from the server). */
  profile: z.string().min(1).optional(),
  /** Scopes every call to the server must stay inside. */
  scopes: ScopesSchema.optional(),
  /** Per-tool rules by tool name, `class:<name>` or `*`. */
  tools: z.record(z.string().min(1), ToolPolicySchema).optional(),
});

/** Guard switches in v2: built-in guard ids, guard pack ids, or `<pack>/<guard>`. */
const guardSwitches = z.record(z.string().min(1), z.boolean());

/** The whole policy file, format version 2: a superset of version 1. */
export const PolicyV2Schema = z.strictObject({
  version: z.literal(2),
  servers: z.record(z.string(), ServerPolicyV2Schema.nullable()).optional(),
  approvals: z.strictObject({ require_human_approval: stringList.optional() }).nullable().optional(),
  redaction: z.strictObject({
    secrets: z.boolean().optional(),
    emails: z.boolean().optional(),
    api_keys: z.boolean().optional(),
    plugins: stringList.optional(),
  }).nullable().optional(),
  guards: guardSwitches.optional(),
  /** Server profile plugin files (`.ts`, `.js`, `.json`, `.yaml`), relative to the policy. */
  profiles: stringList.optional(),
  /** Session rules (#18 item 7): what a session may do after it read untrusted content. */
  session_rules: SessionRulesSchema.optional(),
});

/** A validated v2 policy file as written. */
export type PolicyV2 = z.infer<typeof PolicyV2Schema>;
/** One server's v2 rules as written. */
export type ServerPolicyV2 = z.infer<typeof ServerPolicyV2Schema>;
/** One tool's v2 rules as written. */
export type ToolPolicyV2 = z.infer<typeof ToolPolicySchema>;
/** Scopes as written. */
export type ScopesV2 = z.infer<typeof ScopesSchema>;

/** Keys only v2 knows, for "did you mean" hints. */
export const KNOWN_KEYS_V2: readonly string[] = [
  "profile",
  "profiles",
  "scopes",
  "tools",
  "session_rules",
  "arguments",
  "sql",
  "classes",
  "allowed",
  "denied",
  ...SCOPE_KEYS,
  "required",
  "forbidden",
  "enum",
  "glob",
  "regex",
  "prefix",
  "max_length",
  "min",
  "max",
  "path",
  "host",
  "any",
  "all",
  ...SESSION_RULE_KEYS,
];
