import { z } from "zod";
import { PolicySchema } from "./schema.ts";
import { PolicyV2Schema } from "./schema_v2.ts";

/** Where the published schema lives, so editors can complete policies (`# yaml-language-server: $schema=…`). */
export const POLICY_SCHEMA_ID =
  "https://raw.githubusercontent.com/agentperms/agentperms/main/docs/policy.schema.json";

// What an editor shows on hover, by property name (the zod schemas carry the types; these carry the words).
const DESCRIPTIONS: Record<string, string> = {
  version: "Policy format: 1, or 2 (a superset of 1 with per-tool rules, scopes and tool classes)",
  servers: "Rules per server, by the server's name in the client config; unknown servers are denied",
  allowed_tools:
    "Tools the server may run (names, or class:<read|write|delete|exec|send|network|admin> in v2)",
  denied_tools: "Tools that are always denied (names, or class:<name> in v2)",
  allowed_paths: "Every path a call names must be inside one of these (relative to the policy file)",
  denied_paths: "Paths (and everything under them) no call may name",
  denied_patterns: "File name or path globs no call may name (*.pem, **/.env)",
  allowed_hosts: "Every URL or host a call names must be one of these (globs, optional :port)",
  denied_hosts: "Hosts no call may name",
  allowed_methods: "Extra JSON-RPC methods the client may send to this server",
  deny_sampling: "Deny sampling/createMessage requests from this server",
  deny_elicitation: "Deny elicitation/create requests from this server",
  sandbox: "How the server process is contained (OS sandbox, Deno flags, broker)",
  approvals: "Calls that need a human's approval",
  require_human_approval: "server.tool, tool, or server.class:<name> entries that need approval",
  redaction: "What the proxy redacts from traces and answers",
  guards: "Switch built-in guards and (v2) guard packs off by id: <guard>, <pack> or <pack>/<guard>",
  profile: "v2: the server profile (github, postgres, slack…) that says which argument carries which scope",
  profiles: "v2: server profile plugin files (.ts, .js, .json, .yaml), relative to the policy",
  scopes: "v2: the repositories, recipients, channels, tables, namespaces and hosts calls may reach",
  tools: "v2: rules per tool name, class:<name> or * (arguments, scopes, sql, classes)",
  arguments: "v2: conditions per argument name or /json/pointer; a failed one denies the call",
  sql: "v2: read_only = exactly one statement that only reads; any = no SQL check",
  classes: "v2: classes this tool has besides those its name, profile and annotations give it",
  session_rules: "Reserved for session rules; must be empty",
  repos: "Repository globs: owner/name on github.com, host/path elsewhere",
  recipients: "Recipient address globs (to, cc, bcc, forwarding)",
  recipient_domains: "Recipient domain globs",
  channels: "Chat channel globs",
  tables: "SQL table globs (schema.table); every table a statement names must match",
  schemas: "SQL schema globs; an unqualified table counts as schema public",
  namespaces: "Kubernetes namespace globs",
  kinds: "Kubernetes kind globs",
  hosts: "Host globs, judged like allowed_hosts",
  required: "The argument must be present",
  forbidden: "The argument must be absent",
  enum: "The value must be one of these",
  glob: "A string value must match one of these globs",
  regex: "A string value must match this RE2 (linear-time) pattern",
  prefix: "A string value must start with one of these",
  max_length: "Longest string (characters) or array (items)",
  min: "Smallest number",
  max: "Largest number",
  path: "Paths in the argument: inside allowed, outside denied (resolved like allowed_paths)",
  host: "URLs and hosts in the argument: in allowed, not in denied (judged like allowed_hosts)",
  any: "An array: at least one item meets this condition",
  all: "An array: every item meets this condition",
};

/**
 * The JSON Schema of a policy file (both format versions), generated from the zod schemas the loader uses,
 * with a description on every known key. `docs/policy.schema.json` is this value; a test fails when the
 * committed file is stale (`deno test -A src/policy/policy_json_schema_test.ts -- --update` rewrites it).
 * @returns a draft 2020-12 JSON Schema
 */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(z.union([PolicySchema, PolicyV2Schema]), {
    target: "draft-2020-12",
    cycles: "ref",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  describe(schema);
  return {
    $schema: schema.$schema,
    $id: POLICY_SCHEMA_ID,
    title: "AgentPerms policy",
    description: "An AgentPerms policy file (mcp.policy.yaml), format version 1 or 2",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}

function describe(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(describe);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const o = node as Record<string, unknown>;
  const props = o.properties as Record<string, Record<string, unknown>> | undefined;
  if (props && typeof props === "object") {
    for (const [k, v] of Object.entries(props)) {
      if (DESCRIPTIONS[k] !== undefined && v && typeof v === "object" && v.description === undefined) {
        v.description = DESCRIPTIONS[k];
      }
    }
  }
  for (const v of Object.values(o)) describe(v);
}
