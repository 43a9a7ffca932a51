/**
 * JSON-RPC id helpers shared by the router, the request book and approvals: how an id is keyed, matched
 * loosely, shown and traced. Private to the proxy folder.
 * @module
 */

/** A JSON-RPC id as written back in an error the proxy builds. */
export type Id = string | number | null;
/** A parsed JSON-RPC message. */
export type Json = Record<string, unknown>;

/**
 * The key of a request id in the proxy's maps: a number stands for itself (the common case: no string is built
 * per message), anything else becomes a string; the two never collide in a Map.
 */
export function idKey(id: unknown): string | number {
  // An id kept exactly (9007199254740993) matches the answer of a server that read it as a double too, as
  // the MCP SDK compares ids by Number(id).
  if (isRawJson(id)) return Number(id.rawJSON);
  switch (typeof id) {
    case "string":
      return "s" + id;
    case "number":
      return id;
    case "undefined":
      return "u";
    default:
      return "j" + JSON.stringify(id);
  }
}

/**
 * The key a client that compares ids loosely would match `id` to: the number a string reads as (what the MCP
 * SDK's `Number(id)` gives, "" and " 1 " included), or the string a number is written as.
 */
export function looseIdKey(id: unknown): string | number | undefined {
  if (typeof id === "number") return "s" + String(id);
  if (typeof id !== "string") return undefined;
  const n = Number(id);
  return Number.isFinite(n) ? n : undefined;
}

/** An id as shown in a report: JSON, at most 80 characters. */
export function clipId(id: unknown): string {
  const s = JSON.stringify(id) ?? "undefined";
  return s.length > 80 ? s.slice(0, 80) + "…" : s;
}

/** An id as a trace event stores it: a plain number or string (an exact id as the number it reads as). */
export function safeId(id: unknown): Id {
  if (isRawJson(id)) return Number(id.rawJSON);
  return typeof id === "string" || typeof id === "number" ? id : null;
}

/** A number kept exactly as written (`JSON.rawJSON`, from the strict reader). */
export function isRawJson(v: unknown): v is { rawJSON: string } {
  return (JSON as unknown as { isRawJSON(v: unknown): boolean }).isRawJSON(v);
}

/** A JSON-RPC error message. */
export function errorMsg(id: Id, code: number, message: string): Json {
  return { jsonrpc: "2.0", id, error: { code, message } };
}
