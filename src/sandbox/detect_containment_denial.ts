/** Deno's denial text (`NotCapable`), as servers pass it on in tool results or on stderr at start-up. */
export const DENO_DENIAL_REGEXP =
  /Requires (read|write|net|env|run|sys|ffi|import) access to (?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/;
/** The reason the AgentPerms broker gives (it replaces Deno's message). */
export const BROKER_DENIAL_REGEXP = /AgentPerms containment: [^\n]*/;

/**
 * Recognises a denial by the Deno permission layer (flags or the AgentPerms broker) in a tool result, an
 * error message or a server's stderr, so the user sees which layer blocked what.
 *
 * @example
 * ```ts
 * import { detectContainmentDenial } from "./mod.ts";
 * const t = 'Requires read access to "/r/secret/s.txt", run again with the --allow-read flag';
 * console.assert(detectContainmentDenial(t) === 'Requires read access to "/r/secret/s.txt"');
 * ```
 * @param text any text
 * @returns the matched denial (`Requires read access to "/x"` or the broker's sentence), or undefined
 */
export function detectContainmentDenial(text: string): string | undefined {
  const broker = BROKER_DENIAL_REGEXP.exec(text);
  if (broker) return broker[0].trim();
  const m = DENO_DENIAL_REGEXP.exec(text);
  return m ? m[0] : undefined;
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
