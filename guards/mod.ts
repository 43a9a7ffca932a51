/**
 * The built-in guard packs (#18 item 6). Imported statically so `deno compile` embeds them.
 * @module
 */
import type { GuardPackDescriptor } from "../src/profiles/mod.ts";
import dangerousArguments from "./dangerous_arguments.ts";

/** Built-in guard packs, in evaluation order. */
export const BUILTIN_GUARD_PACKS: readonly GuardPackDescriptor[] = Object.freeze([dangerousArguments]);
