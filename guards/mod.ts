/**
 * The built-in guard packs (#18 item 6). Imported statically so `deno compile` embeds them.
 *
 * They are plain data, not passed through `defineGuardPack`: running every sample through RE2 at import cost
 * every proxy start tens of ms (#20 item 6). tests/profiles/guard_pack_test.ts validates each one, samples
 * included, so a broken built-in still fails CI; a pack given at run time is validated as before.
 * @module
 */
import type { GuardPackDescriptor } from "../src/profiles/mod.ts";
import dangerousArguments from "./dangerous_arguments.ts";

/** Built-in guard packs, in evaluation order. */
export const BUILTIN_GUARD_PACKS: readonly GuardPackDescriptor[] = Object.freeze([dangerousArguments]);
