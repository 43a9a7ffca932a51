import type { RawCall } from "./canonicalize_call.ts";

/**
 * Reads the one call shape every offline caller writes (`check --call`/`--calls` lines, `check --session`,
 * attack packs, `replay`): `{ server, tool, arguments }` for a tool call, or `{ server, method, params }` for
 * any method. The proxy builds the same `RawCall` from a JSON-RPC message (`{ server, method, params }`), and
 * `infer` from a trace event. Fields of the wrong type are left out, so the canonicalizer's own checks (a
 * missing tool, arguments that are not an object) decide what they mean.
 * @param value a parsed JSON value
 * @returns the raw call
 * @throws {Error} when the value is not an object with a string `server`
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rawCallOf } from "./raw_call.ts";
 * assert.deepEqual(rawCallOf({ server: "fs", tool: "read_file", arguments: { path: "a" } }), {
 *   server: "fs",
 *   tool: "read_file",
 *   arguments: { path: "a" },
 * });
 * assert.throws(() => rawCallOf({ tool: "x" }), /"server"/);
 * ```
 */
export function rawCallOf(value: unknown): RawCall {
  const v = value as Record<string, unknown>;
  if (v === null || typeof v !== "object" || Array.isArray(v) || typeof v.server !== "string") {
    throw new Error('a call is a JSON object with at least "server" and "tool"');
  }
  const raw: RawCall = { server: v.server };
  if (typeof v.method === "string") raw.method = v.method;
  if (typeof v.tool === "string") raw.tool = v.tool;
  if ("arguments" in v) raw.arguments = v.arguments;
  if ("params" in v) raw.params = v.params;
  if (v.direction === "client" || v.direction === "server") raw.direction = v.direction;
  return raw;
}

/**
 * The arguments a raw call carries: its `arguments`, else its `params.arguments`.
 * @param raw the raw call
 * @returns the arguments, or undefined
 */
export function rawCallArguments(raw: RawCall): unknown {
  if (raw.arguments !== undefined) return raw.arguments;
  const p = raw.params as { arguments?: unknown } | null | undefined;
  return p !== null && typeof p === "object" ? p.arguments : undefined;
}
