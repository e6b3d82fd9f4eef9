import type { FlagDefinition, FlagSnapshot, SegmentDefinition } from "../../packages/sdk/src/flag-data.ts";
import type { FlagEnvRecord, FlagEnvState, FlagRecord } from "./flag.types.ts";

/** A new flag's state in every environment: on, serving its off variation to everyone until a rollout or rule says otherwise. */
export function initialState(flag: Pick<FlagRecord, "offVariation">): FlagEnvState {
  return { enabled: true, prerequisites: [], rules: [], fallthrough: { variation: flag.offVariation } };
}

/** One environment's flags as the SDKs and OFREP evaluate them; a flag without a stored state gets the initial one. */
export function buildSnapshot(
  env: string,
  version: number,
  flags: readonly FlagRecord[],
  states: ReadonlyMap<string, FlagEnvRecord>,
  segments: SegmentDefinition[],
): FlagSnapshot {
  return { schema: 1, env, version, flags: flags.map((flag) => definitionOf(flag, states.get(flag.key) ?? initialState(flag))), segments };
}

export function definitionOf(flag: FlagRecord, state: FlagEnvState): FlagDefinition {
  return {
    key: flag.key,
    type: flag.type,
    kind: flag.kind,
    enabled: state.enabled,
    variations: flag.variations,
    offVariation: flag.offVariation,
    prerequisites: state.prerequisites,
    rules: state.rules,
    fallthrough: state.fallthrough,
    salt: flag.salt,
  };
}

/**
 * The one variation everyone gets, or null when contexts can differ. Drives "fully rolled out" stale detection:
 * a killed flag serves its off variation; a 100 % rollout to one variation counts like serving it outright.
 */
export function uniformVariation(flag: FlagRecord, state: FlagEnvState): string | null {
  if (!state.enabled) return flag.offVariation;
  if (state.rules.length > 0 || state.prerequisites.length > 0) return null;
  const serve = state.fallthrough;
  if ("variation" in serve) return serve.variation;
  const { rollout } = serve;
  if (rollout.percentage === 0) return rollout.outVariation;
  const inVariations = new Set(rollout.variations.map((v) => v.variation));
  if (rollout.percentage === 100 && inVariations.size === 1) return rollout.variations[0]?.variation ?? null;
  return null;
}
