/**
 * Plugin descriptors and loaders: attack packs (`defineAttackPack`, `loadAttackPack`) and the mutators pack
 * authors reuse to expand an attack into its evasion variants.
 * @module
 */
export {
  type Attack,
  ATTACK_PACK_API_VERSIONS,
  type AttackCall,
  AttackCallSchema,
  type AttackPackDescriptor,
  AttackPackSchema,
  AttackSchema,
  defineAttackPack,
  formatIssues,
  type PackIssue,
  validateAttackPack,
} from "./attack_pack.ts";
export { loadAttackPack, loadAttackPacks, PACK_EXTS } from "./load_attack_pack.ts";
export {
  arrayMutator,
  type BuiltinMutatorId,
  definePathMutator,
  expandWithMutators,
  fileUriFormsMutator,
  type MutatedCall,
  type Mutator,
  MUTATORS,
  mutatorsById,
  placementMutator,
  secondArgMutator,
  urlParserMutator,
} from "./mutators.ts";
