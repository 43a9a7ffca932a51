/**
 * Offline replay: attack packs judged by `decide()`, the same function the proxy uses.
 * Re-exports the pack API (`defineAttackPack`, `loadAttackPack`, mutators) and the built-in packs.
 * @module
 */
export {
  expandPack,
  fillPlaceholders,
  type ReplayOptions,
  replayPack,
  type ReplayResult,
} from "./replay_pack.ts";
export { type EvasionCounts, type ReplaySummary, summarizeReplay } from "./summarize_replay.ts";
export {
  type Attack,
  type AttackCall,
  type AttackPackDescriptor,
  defineAttackPack,
  expandWithMutators,
  loadAttackPack,
  loadAttackPacks,
  type Mutator,
  MUTATORS,
} from "../plugins/mod.ts";
export { AGENT_PACKS, BUILTIN_PACKS, SESSION_PACKS } from "../../attacks/mod.ts";
export { agentPacksFor } from "./agent_packs_for.ts";
