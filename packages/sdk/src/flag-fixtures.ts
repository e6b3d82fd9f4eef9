/** Builders for flag data in tests and benchmarks: a valid definition with only what a case cares about. */
import type { FlagDefinition, FlagSnapshot, SegmentDefinition } from "./flag-data.ts";

export function booleanFlag(key: string, overrides: Partial<FlagDefinition> = {}): FlagDefinition {
  return {
    key,
    type: "boolean",
    kind: "release",
    enabled: true,
    variations: [
      { key: "on", value: true },
      { key: "off", value: false },
    ],
    offVariation: "off",
    prerequisites: [],
    rules: [],
    fallthrough: { variation: "on" },
    salt: `${key}-salt`,
    ...overrides,
  };
}

export function snapshotOf(flags: FlagDefinition[], segments: SegmentDefinition[] = [], version = 1, env = "production"): FlagSnapshot {
  return { schema: 1, env, version, flags, segments };
}
