/** @rampart/sdk: local, synchronous flag evaluation over a compiled snapshot, kept current over SSE. */
export * from "./flag-data.ts";
export { compileSnapshot, evaluateFlag } from "./evaluator.ts";
export type { CompiledFlag, CompiledFlags, CompileProblem } from "./evaluator.ts";
export { murmur3, murmur3Salted, bucketOf } from "./murmur3.ts";
export { MAX_MATCH_INPUT_LENGTH, MAX_PATTERN_LENGTH } from "./clauses.ts";
export { FlagsClient } from "./flags-client.ts";
export type { FlagsChange, FlagsClientOptions, FlagsClientStatus } from "./flags-client.ts";
export { FlagScope } from "./flag-scope.ts";
export type { HeaderTarget } from "./flag-scope.ts";
export type { EvaluationCount, MetricsBatch } from "./evaluation-counter.ts";
export { readSnapshotFile, writeSnapshotFile } from "./snapshot-file.ts";
// The OpenFeature provider lives in "@rampart/sdk/openfeature" (./openfeature-provider.ts), so apps that do not
// use OpenFeature do not need @openfeature/server-sdk installed.
export { EventTracker, DEFAULT_TRACKER_LIMITS } from "./event-tracker.ts";
export type { EventsBatch, ExposureRecord, TrackRecord, TrackerLimits } from "./event-tracker.ts";
export { userHash, userKeyOf } from "./user-hash.ts";
