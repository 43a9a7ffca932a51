import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

/**
 * SHA-256 (hex, all 64 characters) of a value's RFC 8785 canonical JSON.
 * Synchronous on purpose (node:crypto, not WebCrypto) so the proxy can check every
 * `tools/list` page inline without an await per tool.
 * @param value any JSON value; `undefined` hashes as JSON `null`
 * @returns lowercase hex digest
 */
export function sha256Canonical(value: unknown): string {
  const text = canonicalize(value === undefined ? null : value) ?? "null";
  return createHash("sha256").update(text, "utf8").digest("hex");
}
