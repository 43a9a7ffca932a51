/**
 * The built-in attack packs. Imported statically so `deno compile` embeds them in the binary.
 * @module
 */
import type { AttackPackDescriptor } from "../src/plugins/mod.ts";
import evasion from "./evasion.ts";
import original from "./original.ts";
import policyV2Assistant from "./policy_v2_assistant.ts";
import policyV2Coding from "./policy_v2_coding.ts";
import policyV2Data from "./policy_v2_data.ts";
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

/**
 * Format 2 packs, one per kind of agent (#18): each is replayed against a policy of that agent, so it joins
 * the default run only for a format 2 policy that lists every server the pack calls (see `agentPacksFor` in
 * `src/replay/`); name one with `--only` to replay it against any policy. Their example policies are
 * examples/policies/coding-agent.v2, data-agent.v2 and personal-assistant.v2.
 */
export const AGENT_PACKS: readonly AttackPackDescriptor[] = Object.freeze([
  policyV2Coding,
  policyV2Data,
  policyV2Assistant,
]);
