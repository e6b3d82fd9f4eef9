/**
 * The flag data the server compiles per environment and every SDK evaluates locally: the one contract
 * between src/flags (server, OFREP) and packages/sdk (SDK, OpenFeature provider). JSON-serialisable.
 * Versioned: `schema` changes only with a migration path for old SDKs.
 */
export interface FlagSnapshot {
  schema: 1;
  /** Environment name, e.g. "production". */
  env: string;
  /** Monotonic per environment; also the ETag of GET /api/v1/flags/sdk/snapshot ("\"<version>\""). */
  version: number;
  flags: FlagDefinition[];
  segments: SegmentDefinition[];
}

export type FlagValueType = "boolean" | "string" | "number" | "json";
/** Lifetime drives stale detection: release/experiment 40 d, ops 7 d, permission and kill-switch never. */
export type FlagKind = "release" | "experiment" | "ops" | "permission" | "kill-switch";

export interface FlagDefinition {
  key: string;
  type: FlagValueType;
  kind: FlagKind;
  /** false = the kill switch is on: every evaluation serves `offVariation` with reason DISABLED. */
  enabled: boolean;
  /** Distinct keys; values match `type`. Boolean flags have exactly "on" (true) and "off" (false). */
  variations: Variation[];
  offVariation: string;
  /** Each must evaluate to the named variation first, else this flag serves `offVariation` (reason PREREQUISITE_FAILED). */
  prerequisites: Prerequisite[];
  /** First rule whose clauses all match wins (reason TARGETING_MATCH, or SPLIT when it serves a rollout). */
  rules: TargetingRule[];
  /** When no rule matches (reason DEFAULT, or SPLIT for a rollout). */
  fallthrough: Serve;
  /** Per-flag salt in every hash, so two flags at 25 % do not pick the same users. Never changes after creation. */
  salt: string;
}

export interface Variation {
  key: string;
  value: boolean | string | number | JsonValue;
}

export interface Prerequisite {
  flag: string;
  variation: string;
}

export interface TargetingRule {
  id: string;
  clauses: Clause[];
  serve: Serve;
}

export type Serve = { variation: string } | { rollout: Rollout };

/**
 * A percentage rollout. A context is in when bucket(ROLLOUT_SEED, salt, context[by]) < percentage; raising the
 * percentage keeps everyone already in. The ones in get a variation split by `variations` weights using a second
 * hash (VARIANT_SEED); the ones out (and contexts without the `by` attribute) get `outVariation`.
 */
export interface Rollout {
  /** Context attribute that keeps a user on one side, e.g. "userId" or "targetingKey". */
  by: string;
  /** 0..100, fractions allowed (0.1 % steps are meaningful). */
  percentage: number;
  variations: WeightedVariation[];
  outVariation: string;
}

export interface WeightedVariation {
  variation: string;
  /** Relative weight, > 0. */
  weight: number;
}

export type ClauseOperator =
  | "in"
  | "not_in"
  | "equals"
  | "not_equals"
  | "starts_with"
  | "ends_with"
  | "contains"
  | "lt"
  | "lte"
  | "gt"
  | "gte"
  | "semver_eq"
  | "semver_lt"
  | "semver_gt"
  | "matches"
  | "in_segment"
  | "not_in_segment";

export interface Clause {
  /** Context attribute name (dotted paths not supported: flat contexts, as OFREP sends them). */
  attribute: string;
  operator: ClauseOperator;
  /** Strings for text operators, numbers for lt..gte, semver strings, a regex source for `matches`, segment keys for *_segment. */
  values: Array<string | number | boolean>;
}

export interface SegmentDefinition {
  key: string;
  /** A context is in the segment when it is listed in `included` (by `by`), or matches all clauses of any rule, and is not in `excluded`. */
  by: string;
  included: string[];
  excluded: string[];
  rules: Array<{ clauses: Clause[] }>;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** An evaluation context, flat as in OpenFeature/OFREP: `targetingKey` plus attributes. */
export type EvaluationContext = Record<string, string | number | boolean | null | undefined>;

/** OpenFeature resolution reasons. */
export type EvaluationReason = "STATIC" | "DEFAULT" | "TARGETING_MATCH" | "SPLIT" | "DISABLED" | "ERROR" | "PREREQUISITE_FAILED";
export type EvaluationErrorCode =
  | "FLAG_NOT_FOUND"
  | "TYPE_MISMATCH"
  | "PARSE_ERROR"
  | "TARGETING_KEY_MISSING"
  | "INVALID_CONTEXT"
  | "GENERAL";

export interface EvaluationResult {
  key: string;
  value: Variation["value"];
  variation: string;
  reason: EvaluationReason;
  errorCode?: EvaluationErrorCode;
  errorMessage?: string;
}

/** Seeds of the two hashes (murmur3 x86_32 of `${salt}:${value}`; bucket = (hash * 100000) >>> 32 via multiply-shift). */
export const ROLLOUT_SEED = 0x5eed_0001;
export const VARIANT_SEED = 0x5eed_0002;

/**
 * Response header an app's SDK sets to tell the edge which variations served this request, e.g.
 * `x-rampart-flags: new-reco=on,checkout=v2`. The edge counts requests per (flag, variation) for guarded
 * rollouts and strips the header before the client sees it.
 */
export const FLAG_VARIANT_HEADER = "x-rampart-flags";
