/**
 * The built-in attack packs. Imported statically so `deno compile` embeds them in the binary.
 * @module
 */
import type { AttackPackDescriptor } from "../src/plugins/mod.ts";
import evasion from "./evasion.ts";
import original from "./original.ts";
import reading from "./reading.ts";
import toxicFlow from "./toxic_flow.ts";

/**
 * Built-in packs, in replay order: the original eight attacks, the evasion pack, then the reading pack (every
 * argument read as the server, the shell and the OS read it: issue #16).
 */
export const BUILTIN_PACKS: readonly AttackPackDescriptor[] = Object.freeze([original, evasion, reading]);

/**
 * Packs whose attacks are sessions of several calls (#18 item 7): only a policy with `session_rules` can block
 * them, so they are not replayed by default (a v1 policy would let every one through). Replay them with
 * `replayPack(compiled, pack, { sessionRules })`.
 */
export const SESSION_PACKS: readonly AttackPackDescriptor[] = Object.freeze([toxicFlow]);
