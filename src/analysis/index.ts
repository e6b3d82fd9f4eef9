/** Canary analysis: sequential, always-valid tests of a canary against stable. See docs/analysis.md. */
export { judge } from "./judge.ts";
export type { JudgeInput } from "./judge.ts";
export type { Check, Decision, JudgeOptions, Metric, Verdict } from "./verdict.types.ts";
export { DEFAULT_JUDGE_OPTIONS } from "./verdict.types.ts";
export { DEFAULT_GUARDS, guardsFromManifest } from "./guards.ts";
export type { AnalysisGuards, LatencyGuard, RateGuard } from "./guards.ts";
export { addSides, emptySide } from "./window.ts";
export type { SideCounts } from "./window.ts";
