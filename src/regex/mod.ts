/**
 * Linear-time regular expressions for policy argument rules (#18): RE2 semantics via re2js, backtracking
 * patterns refused at load.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileSafeRegex } from "./mod.ts";
 * const re = compileSafeRegex("^octo-org/[a-z0-9._-]+$");
 * assert.ok(re.ok && re.test("octo-org/site"));
 * const bad = compileSafeRegex("(a)\\1");
 * assert.ok(!bad.ok && bad.error.includes("backreference"));
 * ```
 * @module
 */
export {
  compileSafeRegex,
  MAX_PATTERN_LENGTH,
  type SafeRegex,
  type SafeRegexOptions,
  type UnsafeRegex,
} from "./compile_safe_regex.ts";
