import { z } from "zod";
import { count, millis, percent } from "../analysis/format.ts";
import { RELEASE_STRATEGIES } from "../config/resolved-manifest.schema.ts";
import { rolloutStates, type RolloutRecord } from "./rollout.types.ts";

export const rolloutViewSchema = z.object({
  env: z.string(),
  app: z.string(),
  release: z.number().int(),
  fromRelease: z.number().int().nullable().describe("the stable release it replaces"),
  strategy: z.enum(RELEASE_STRATEGIES),
  state: z.enum(rolloutStates),
  step: z.number().int(),
  steps: z.array(z.number()).describe("canary: traffic % per step"),
  canaryPercent: z.number().nullable().describe("canary: the new release's share of traffic now"),
  paused: z.boolean(),
  message: z.string().nullable(),
  verdict: z.record(z.string(), z.unknown()).nullable().describe("the latest analysis verdict: decision, reason, per-metric evidence"),
  outcome: z.enum(["live", "rolled_back", "failed"]).nullable(),
  promotedBy: z.string().nullable(),
  abortedBy: z.string().nullable(),
  startedAt: z.number().int(),
  trafficSince: z.number().int().nullable(),
  rolledBackAt: z.number().int().nullable(),
  updatedAt: z.number().int(),
  finishedAt: z.number().int().nullable(),
});
export type RolloutView = z.infer<typeof rolloutViewSchema>;

export const rolloutActions = ["pause", "resume", "promote", "abort"] as const;
export type RolloutAction = (typeof rolloutActions)[number];

export function toRolloutView(rollout: RolloutRecord, steps: number[]): RolloutView {
  const { data } = rollout;
  return {
    env: rollout.env,
    app: rollout.app,
    release: rollout.release,
    fromRelease: rollout.fromRelease,
    strategy: rollout.strategy,
    state: rollout.state,
    step: rollout.step,
    steps: rollout.strategy === "canary" ? steps : [],
    canaryPercent: data.canaryPercent ?? null,
    paused: data.paused ?? false,
    message: data.message ?? null,
    verdict: data.verdict ?? null,
    outcome: data.outcome ?? null,
    promotedBy: data.promoteRequestedBy ?? null,
    abortedBy: data.abortRequested?.by ?? null,
    startedAt: rollout.startedAt,
    trafficSince: data.trafficSince ?? null,
    rolledBackAt: data.rolledBackAt ?? null,
    updatedAt: rollout.updatedAt,
    finishedAt: rollout.finishedAt,
  };
}

// The per-guard evidence as stored in a verdict; read leniently, since verdicts of older releases may lack a field.
const checkRowSchema = z.object({
  metric: z.string(),
  guard: z.string().optional(),
  canary: z.number().nullable().optional(),
  stable: z.number().nullable().optional(),
  threshold: z.number().nullable().optional(),
  statistic: z.number().optional(),
  boundary: z.number().optional(),
  samples: z.object({ canary: z.number(), stable: z.number() }).optional(),
  decision: z.string(),
});

export const ANALYSIS_COLUMNS = [
  "METRIC",
  "GUARD",
  "CANARY",
  "STABLE",
  "CEILING",
  "REQUESTS (CANARY / STABLE)",
  "EVIDENCE (FAILS AT)",
  "DECISION",
];

/**
 * The rollout table's rows, one per guard, in units: error rates as percentages, latencies in milliseconds, the
 * evidence with the boundary at which the canary fails in brackets.
 */
export function analysisRows(verdict: Record<string, unknown> | null): string[][] {
  const checks = z.array(checkRowSchema).safeParse(verdict?.checks);
  if (!checks.success) return [];
  return checks.data.map((c) => {
    const show = (v: number | null | undefined): string =>
      v === undefined || v === null ? "-" : c.metric === "error_rate" ? percent(v) : millis(v);
    return [
      c.metric,
      c.guard ?? "-",
      show(c.canary),
      show(c.stable),
      show(c.threshold),
      c.samples ? `${count(c.samples.canary)} / ${count(c.samples.stable)}` : "-",
      c.statistic !== undefined && c.boundary !== undefined ? `${c.statistic.toFixed(1)} (${c.boundary.toFixed(1)})` : "-",
      c.decision,
    ];
  });
}
