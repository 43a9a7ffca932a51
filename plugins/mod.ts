/**
 * Built-in redaction packs, imported statically so `deno compile` bundles them. Order matters: PEM blocks
 * first, then vendor token formats, then generic assignments (which skip values already redacted), then
 * emails.
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
