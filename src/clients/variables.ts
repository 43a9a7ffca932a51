/**
 * Client variable syntaxes: `${input:id}`, `${env:NAME}`, `${workspaceFolder}`, `${NAME}`, `${NAME:-default}`,
 * `$NAME` and `%NAME%`. They are recognised so scan does not take a reference for a secret; they are never expanded.
 */
export const VARIABLE_REGEXP = /\$\{[^}\s]+\}|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%/g;

/**
 * Lists the variable references in a config value.
 * @param value a string from a config file
 * @returns the references as written, e.g. `["${input:token}"]`
 */
export function findVariables(value: string): string[] {
  return value.match(VARIABLE_REGEXP) ?? [];
}

/**
 * True when a value is nothing but variable references (and whitespace or a `Bearer ` prefix), so it holds no
 * literal secret.
 * @param value a string from a config file
 * @returns whether the literal part is empty
 */
export function isOnlyVariables(value: string): boolean {
  if (findVariables(value).length === 0) return false;
  return value.replace(VARIABLE_REGEXP, "").replace(/^\s*(bearer|token|basic)\s+/i, "").trim() === "";
}
