/**
 * The built-in attack packs. Imported statically so `deno compile` embeds them in the binary.
 * @module
 */
import type { AttackPackDescriptor } from "../src/plugins/mod.ts";
import evasion from "./evasion.ts";
import original from "./original.ts";

/** Built-in packs, in replay order: the original eight attacks, then the evasion pack. */
export const BUILTIN_PACKS: readonly AttackPackDescriptor[] = Object.freeze([original, evasion]);
