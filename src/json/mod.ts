/**
 * Strict JSON reading: one parser for every JSON text AgentPerms judges, rewrites or replays, so no reader
 * sees a different value than another (repeated keys and keys V8 misreads are refused, with the reason).
 *
 * @example
 * ```ts
 * import { findDuplicateKey, parseJsonStrict } from "./mod.ts";
 *
 * const ok = parseJsonStrict('{"tool":"read","arguments":{"path":"/tmp/a"}}');
 * if (!ok.ok) throw new Error(ok.error);
 * const twice = parseJsonStrict('{"tool":"read","tool":"exec"}');
 * if (twice.ok || !twice.error.includes('duplicate key "tool"')) throw new Error("a repeated key was accepted");
 * if (findDuplicateKey('{"a":1,"\\u0061":2}') !== "a") throw new Error("an escaped repeat was missed");
 * ```
 * @module
 */
export { findDuplicateKey, parseJsonStrict, type StrictJson } from "./parse_json_strict.ts";
