/**
 * An OAuth failure as a user may see it: the OAuth error code when the server gave one (`invalid_grant`), then
 * a short, single-line message with every known secret (tokens, client secret, code, verifier) replaced by
 * `[redacted]`, and URLs stripped of their query (an authorization URL or a redirect carries a code or state).
 * @param e what was thrown
 * @param secrets values that must never appear (empty strings are ignored)
 * @returns one line, at most 300 characters
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oauthErrorText } from "./oauth_error_text.ts";
 *
 * assert.equal(oauthErrorText(new Error("refresh tok-123 was refused"), ["tok-123"]), "refresh [redacted] was refused");
 * ```
 */
export function oauthErrorText(e: unknown, secrets: readonly (string | undefined)[]): string {
  const code = (e as { errorCode?: unknown })?.errorCode;
  let m = e instanceof Error ? e.message : String(e);
  for (const s of secrets) {
    if (s && s.length >= 4) m = m.replaceAll(s, "[redacted]");
  }
  m = m.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s"'?#]*)[?#][^\s"']*/gi, "$1").replace(/\s+/g, " ").trim();
  if (m.length > 300) m = `${m.slice(0, 297)}...`;
  return typeof code === "string" && code !== "" && !m.startsWith(code) ? `${code}: ${m}` : m;
}
