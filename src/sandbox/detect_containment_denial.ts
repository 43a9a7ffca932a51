/** Deno's denial text (`NotCapable`), as servers pass it on in tool results or on stderr at start-up. */
export const DENO_DENIAL_REGEXP =
  /Requires (read|write|net|env|run|sys|ffi|import) access to (?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/;
/** The reason the AgentPerms broker gives (it replaces Deno's message). */
export const BROKER_DENIAL_REGEXP = /AgentPerms containment: [^\n]*/;
/**
 * What a server in the OS sandbox sees when it is stopped: the egress proxy's refusal (its 403 body), a
 * write to a read-only place, a direct connection with no route (only the egress proxy is reachable), and
 * no name resolution inside the sandbox. A missing file is not among them: ENOENT has too many causes.
 */
export const OS_DENIAL_REGEXP =
  /AgentPerms egress: [^\n"]*|(?:EROFS|Read-only file system)[^\n"]*|(?:ENETUNREACH|Network is unreachable)[^\n"]*|(?:EAI_AGAIN|Temporary failure in name resolution)[^\n"]*/;

/**
 * Recognises a denial by the containment layer (the OS sandbox, or Deno's flags or broker) in a tool result,
 * an error message or a server's stderr, so the user sees which layer blocked what and `infer` never learns
 * the call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectContainmentDenial } from "./mod.ts";
 * const t = 'Requires read access to "/r/secret/s.txt", run again with the --allow-read flag';
 * assert.equal(detectContainmentDenial(t), 'Requires read access to "/r/secret/s.txt"');
 * assert.equal(detectContainmentDenial("curl: (7) Network is unreachable"), "Network is unreachable");
 * ```
 * @param text any text
 * @returns the matched denial (`Requires read access to "/x"` or the broker's sentence), or undefined
 */
export function detectContainmentDenial(text: string): string | undefined {
  const broker = BROKER_DENIAL_REGEXP.exec(text);
  if (broker) return broker[0].trim();
  const m = DENO_DENIAL_REGEXP.exec(text);
  if (m) return m[0];
  const os = OS_DENIAL_REGEXP.exec(text);
  return os ? os[0].trim() : undefined;
}

/**
 * Splits a denial into permission kind and value.
 * @param text text holding a Deno denial
 * @returns `{permission, value}` or undefined
 */
export function parseContainmentDenial(text: string): { permission: string; value: string } | undefined {
  const m = DENO_DENIAL_REGEXP.exec(text);
  if (!m) return undefined;
  const quoted = m[2];
  return { permission: m[1]!, value: quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : m[3]! };
}

/** Deno's exit code when the permission broker is missing or died (it fails closed). */
export const BROKER_EXIT_CODE = 87;

/**
 * Explains a server exit caused by the containment layer, for stderr at proxy stop and a lifecycle trace
 * event: exit 87 (the broker is gone) or a start-up denial on the server's stderr (e.g. a missing env var).
 * @param code the server's exit code
 * @param stderrTail the end of the server's stderr, when captured
 * @returns one sentence, or undefined when the exit is not the containment layer's doing
 */
export function describeContainmentExit(code: number, stderrTail = ""): string | undefined {
  if (code === BROKER_EXIT_CODE) {
    return "The server stopped because its AgentPerms permission broker is gone (Deno exit 87): containment fails closed";
  }
  const denial = code !== 0 ? detectContainmentDenial(stderrTail) : undefined;
  return denial
    ? `The server exited because the containment layer refused it: ${denial} (grant it in the policy's sandbox block if it is needed)`
    : undefined;
}
