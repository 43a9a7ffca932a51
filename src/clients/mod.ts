/**
 * MCP client configs: where each client keeps them (per OS, per scope, as data), reading them (JSONC, TOML,
 * YAML) and wiring their stdio entries through the AgentPerms proxy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./mod.ts";
 * const { servers } = parseConfig('{"mcpServers":{"fs":{"command":"npx","args":["-y","x"]}}}', {
 *   format: "jsonc",
 *   locators: [{ kind: "map", at: ["mcpServers"] }],
 * });
 * assert.equal(servers[0]?.command, "npx");
 * ```
 * @module
 */
export type {
  CandidateFile,
  ClientId,
  ClientSpec,
  ConfigFormat,
  ConfigScope,
  DiscoveredConfig,
  PathContext,
  ServerEntry,
  ServerLocator,
} from "./types.ts";
export { CLIENTS } from "./registry.ts";
export {
  CLIENT_ALIASES,
  clientForFile,
  clientSpec,
  closestClientIds,
  discover,
  type DiscoverOptions,
  type LookedAt,
} from "./discover.ts";
export { parseConfig, type ParsedConfig, parseDocumentText } from "./parse_config.ts";
export { findVariables, isOnlyVariables, VARIABLE_REGEXP } from "./variables.ts";
export { parseWrapped, type WrappedInfo } from "./wrapped.ts";
export { REMOTE_ENV, REMOTE_FLAG, type RemoteTransport } from "./wire_remote.ts";
export { type WireMode, type WireResult, wireText, type WireTextOptions } from "./wire_text.ts";
export { wireFile, type WireFileOptions, type WireFileResult } from "./wire_file.ts";
export { type WriteAtomicOptions, writeFileAtomic } from "./write_atomic.ts";
export { selfCommand, type SelfCommandInputs } from "./self_command.ts";
export { CARRIED_ENV, launcherPath, launcherScript, writeLauncher } from "./write_launcher.ts";
