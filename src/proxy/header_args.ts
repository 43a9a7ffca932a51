import { AgentPermsError } from "../errors.ts";

/** A header name (RFC 9110 token). */
const HEADER_NAME_REGEXP = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** `${env:NAME}`, `${NAME}` or `${NAME:-default}` in a header value. */
const ENV_REF_REGEXP = /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
/** Headers the bridge sets itself: a user value would break the protocol or the session. */
const RESERVED = new Set([
  "content-type",
  "accept",
  "mcp-session-id",
  "mcp-protocol-version",
  "last-event-id",
]);

/**
 * Reads the bridge's `--header "Name: value"` arguments and expands `${env:NAME}` (and `${NAME}`,
 * `${NAME:-default}`) references from the environment, once, at start. Errors name the header and the variable, never a value (it may be a
 * token).
 * @param lines the `--header` arguments
 * @param env reads one environment variable
 * @returns header name → value
 * @throws {AgentPermsError} usage: a line without "Name: value", a reserved header, an unset variable
 */
export function parseHeaderArgs(
  lines: readonly string[],
  env: (name: string) => string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  lines.forEach((line, i) => {
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).trim() : "";
    if (!HEADER_NAME_REGEXP.test(name)) {
      throw new AgentPermsError("usage", `--header number ${i + 1} is not "Name: value"`, {
        hint: 'Write it as --header "Authorization: Bearer ${env:MY_TOKEN}"',
      });
    }
    if (RESERVED.has(name.toLowerCase())) {
      throw new AgentPermsError("usage", `--header "${name}" is set by the bridge itself`, {
        hint: "Leave it out",
      });
    }
    const written = line.slice(colon + 1).trim();
    if (/\$\{input:/.test(written)) {
      throw new AgentPermsError(
        "usage",
        `--header "${name}" holds an \${input:…} reference, which only the client can expand`,
        {
          hint: "Put the value in an environment variable and write ${env:NAME}",
        },
      );
    }
    const value = written.replace(ENV_REF_REGEXP, (_m, v: string, fallback: string | undefined) => {
      const got = env(v) ?? fallback;
      if (got === undefined) {
        throw new AgentPermsError(
          "usage",
          `--header "${name}" names the environment variable "${v}", which is not set`,
          {
            hint: `Set ${v} in the environment the client starts the bridge with`,
          },
        );
      }
      return got;
    });
    if (/[\r\n\0]/.test(value)) {
      throw new AgentPermsError("usage", `--header "${name}" holds a line break or a NUL after expansion`);
    }
    out[name] = value;
  });
  return out;
}
