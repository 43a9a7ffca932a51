/**
 * Built-in redaction packs, imported statically so `deno compile` bundles them. Order matters: PEM blocks
 * first, then vendor token formats, then generic assignments (which skip values already redacted), then
 * emails.
 *
 * They are plain data, not passed through `defineRedactor`: validating them (zod and every sample) at import
 * cost every proxy start ~10 ms (#20 item 6). plugins/mod_test.ts validates each one, samples included, so a
 * broken built-in still fails CI; a plugin loaded at run time (`redact --plugin`, a policy's `redaction.plugins`) is
 * validated when it loads, as before.
 * @module
 */
import type { RedactorDescriptor } from "../src/redact/define_redactor.ts";
import apiKeys from "./api_keys.ts";
import credentials from "./credentials.ts";
import emails from "./emails.ts";
import privateKeys from "./private_keys.ts";

/** The built-in packs in the order they run. */
export const BUILTIN_REDACTORS: readonly RedactorDescriptor[] = Object.freeze([
  privateKeys,
  apiKeys,
  credentials,
  emails,
]);
