import { z } from "zod";

const stringList = z.array(z.string());

/** Built-in guard ids; `guards: { <id>: false }` turns one off. */
export const GUARD_IDS = [
  "metadata-host",
  "file-url",
  "nul-byte",
  "option-injection",
  "tool-name-charset",
] as const;
/** One built-in guard id. */
export type GuardId = typeof GUARD_IDS[number];

/** Per-server containment block (the Deno permission layer). */
export const SandboxSchema = z.strictObject({
  /** os (default: an OS sandbox around the unchanged command), deno (= flags), flags, broker, off. */
  mode: z.enum(["os", "deno", "off", "flags", "broker"]).optional(),
  /** When the OS sandbox cannot start: refuse (default in enforce) or run uncontained, loudly (default in record). */
  fallback: z.enum(["refuse", "uncontained"]).optional(),
  read: stringList.optional(),
  write: stringList.optional(),
  net: stringList.optional(),
  env: stringList.optional(),
  run: z.union([z.boolean(), stringList]).optional(),
});

/** One server's rules. All v1 fields plus optional, backwards-compatible extensions. */
export const ServerPolicySchema = z.strictObject({
  allowed_tools: stringList.optional(),
  denied_tools: stringList.optional(),
  allowed_paths: stringList.optional(),
  denied_paths: stringList.optional(),
  denied_patterns: stringList.optional(),
  // Extensions (v1-compatible: absent means the v1 behaviour).
  allowed_hosts: stringList.optional(),
  denied_hosts: stringList.optional(),
  allowed_methods: stringList.optional(),
  deny_sampling: z.boolean().optional(),
  deny_elicitation: z.boolean().optional(),
  sandbox: SandboxSchema.optional(),
});

/** The whole policy file, format version 1. */
export const PolicySchema = z.strictObject({
  version: z.literal(1, { error: "unsupported version: only version 1 is supported" }),
  servers: z.record(z.string(), ServerPolicySchema.nullable()).optional(),
  approvals: z.strictObject({ require_human_approval: stringList.optional() }).nullable().optional(),
  redaction: z.strictObject({
    secrets: z.boolean().optional(),
    emails: z.boolean().optional(),
    api_keys: z.boolean().optional(),
    plugins: stringList.optional(),
  }).nullable().optional(),
  guards: z.partialRecord(z.enum(GUARD_IDS), z.boolean()).optional(),
});

/** A validated policy file as written (before paths are resolved). */
export type PolicyV1 = z.infer<typeof PolicySchema>;
/** One server's rules as written. */
export type ServerPolicyV1 = z.infer<typeof ServerPolicySchema>;
/** A server's sandbox block as written. */
export type SandboxV1 = z.infer<typeof SandboxSchema>;

/** Every key the schema knows, for "did you mean" hints. */
export const KNOWN_KEYS: readonly string[] = [
  "version",
  "servers",
  "approvals",
  "redaction",
  "guards",
  "require_human_approval",
  "secrets",
  "emails",
  "api_keys",
  "plugins",
  ...Object.keys(ServerPolicySchema.shape),
  ...Object.keys(SandboxSchema.shape),
  ...GUARD_IDS,
];
