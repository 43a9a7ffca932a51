import { z } from "zod";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a 64-character lowercase hex SHA-256");

/** How a server is started, as pinned: the unwrapped command line and the names (not values) of its env. */
export const LaunchV1Schema = z.strictObject({
  command: z.string(),
  args: z.array(z.string()),
  /** Env variable names only: values are often secrets that rotate, names change what code runs (NODE_OPTIONS). */
  envNames: z.array(z.string()),
  /** SHA-256 over the canonical JSON of `{command, args, envNames}`. */
  sha256: Sha256,
});

/** One pinned tool: a hash over all identity fields, one per field (to name what changed), readable text. */
export const LockedToolV1Schema = z.strictObject({
  /** SHA-256 over the canonical JSON of name, title, description, inputSchema, outputSchema, annotations. */
  sha256: Sha256,
  /** Per present field, SHA-256 of its canonical JSON; lets a diff name the field that changed. */
  fields: z.record(z.string(), Sha256),
  title: z.string().optional(),
  description: z.string().optional(),
});

/** A pinned prompt or resource: hash plus readable description. */
export const LockedItemV1Schema = z.strictObject({
  sha256: Sha256,
  fields: z.record(z.string(), Sha256),
  description: z.string().optional(),
});

/** Everything pinned about one server. */
export const LockedServerV1Schema = z.strictObject({
  launch: LaunchV1Schema,
  serverInfo: z.strictObject({ name: z.string(), version: z.string() }).optional(),
  /** Informational: negotiated by client and server, so not treated as drift. */
  protocolVersion: z.string().optional(),
  instructionsSha256: Sha256.optional(),
  /** The instructions text, readable: clients put it in the model's context, so it is a poisoning vector too. */
  instructions: z.string().optional(),
  tools: z.record(z.string(), LockedToolV1Schema),
  prompts: z.record(z.string(), LockedItemV1Schema).optional(),
  /** Keyed by resource URI. */
  resources: z.record(z.string(), LockedItemV1Schema).optional(),
  /** Keyed by URI template. */
  resourceTemplates: z.record(z.string(), LockedItemV1Schema).optional(),
});

/** The `mcp.lock` file, version 1. */
export const LockFileV1Schema = z.strictObject({
  v: z.literal(1),
  servers: z.record(z.string(), LockedServerV1Schema),
});

/** How a server is started, as pinned. */
export type LaunchV1 = z.infer<typeof LaunchV1Schema>;
/** One pinned tool. */
export type LockedToolV1 = z.infer<typeof LockedToolV1Schema>;
/** One pinned prompt or resource. */
export type LockedItemV1 = z.infer<typeof LockedItemV1Schema>;
/** Everything pinned about one server. */
export type LockedServerV1 = z.infer<typeof LockedServerV1Schema>;
/** The `mcp.lock` file, version 1: `{ v: 1, servers: { <name>: LockedServerV1 } }`. */
export type LockFileV1 = z.infer<typeof LockFileV1Schema>;
