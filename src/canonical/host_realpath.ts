/**
 * The I/O edge of canonicalization: a realpath that returns undefined for missing paths.
 * Kept apart so the rest of `canonical/` stays pure.
 * @param abs an absolute path
 * @returns the resolved path, or undefined when it does not exist or cannot be read
 */
export function hostRealpath(abs: string): string | undefined {
  try {
    return Deno.realPathSync(abs);
  } catch {
    return undefined;
  }
}
