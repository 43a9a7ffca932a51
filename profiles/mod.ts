/**
 * The built-in server profiles (#18 item 3). Imported statically so `deno compile` embeds them.
 *
 * They are plain data, not passed through `defineServerProfile`: validating them (zod, and every sample through
 * `extractScopes`) at import cost every proxy start tens of ms (#20 item 6). tests/profiles/builtin_profiles_test.ts
 * validates each one, samples included, so a broken built-in still fails CI; a profile file loaded at run time
 * (`loadServerProfiles`) is validated when it loads, as before.
 * @module
 */
import type { ServerProfileDescriptor } from "../src/profiles/mod.ts";
import { desktopCommander, playwright, puppeteer } from "./browsers_desktop.ts";
import { postgres, sqlite } from "./databases.ts";
import { github } from "./github.ts";
import { kubernetes } from "./infrastructure.ts";
import { gmail, slack } from "./messaging.ts";
import { everything, fetch, filesystem, git, memory } from "./reference.ts";

/** Built-in profiles, in match order (a server name is only a hint when nothing else matches). */
export const BUILTIN_PROFILES: readonly ServerProfileDescriptor[] = Object.freeze([
  filesystem,
  git,
  fetch,
  memory,
  everything,
  github,
  postgres,
  sqlite,
  slack,
  gmail,
  kubernetes,
  playwright,
  puppeteer,
  desktopCommander,
]);
