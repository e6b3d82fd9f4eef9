import { z } from "zod";

/** Metric names (the telemetry's /metrics exposition lists them). */
export const CHECK_RESULTS = "rampart_check_results_total";
export const CHECK_LATENCY = "rampart_check_latency_seconds";
export const CHECK_UP = "rampart_check_up";

export const checkKinds = ["http", "heartbeat"] as const;
export type CheckKind = (typeof checkKinds)[number];

export interface CheckResult {
  at: number;
  env: string;
  app: string;
  name: string;
  kind: CheckKind;
  ok: boolean;
  status: number | null;
  latencyMs: number | null;
  message: string;
}

export const checkViewSchema = z.object({
  env: z.string(),
  app: z.string(),
  name: z.string(),
  kind: z.enum(checkKinds),
  /** Default checks are the health path and routes through the edge, made without configuration. */
  origin: z.enum(["default", "custom"]),
  target: z.string().describe("the URL probed, or for a heartbeat 'every 5m (grace 1m)'"),
  state: z.enum(["pending", "ok", "failing"]),
  since: z.number().int().describe("epoch ms the check entered its state"),
  consecutiveFailures: z.number().int(),
  lastResult: z
    .object({
      at: z.number().int(),
      ok: z.boolean(),
      status: z.number().int().nullable(),
      latencyMs: z.number().nullable(),
      message: z.string(),
    })
    .nullable(),
});
export type CheckView = z.infer<typeof checkViewSchema>;
