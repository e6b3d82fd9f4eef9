import type { MetricFamily, ScalarSample } from "../telemetry/prometheus-text.ts";
import type { DoraLevel, DoraReport } from "./dora.ts";

const LEVELS: readonly DoraLevel[] = ["elite", "high", "medium", "low"];

/**
 * The four keys as Prometheus gauges, one series per environment and app ("" for every app), and each key's
 * DORA 2024 level as an info-style gauge (1 on the level it falls in).
 */
export function doraFamilies(reports: readonly DoraReport[]): MetricFamily[] {
  const labels = (r: DoraReport) => ({ env: r.env, app: r.app ?? "", window_days: String(Math.round((r.until - r.since) / 86_400_000)) });
  const gauge = (name: string, help: string, value: (r: DoraReport) => number | null): MetricFamily => ({
    name,
    help,
    type: "gauge",
    samples: reports.flatMap((r): ScalarSample[] => {
      const v = value(r);
      return v === null ? [] : [{ labels: labels(r), value: v }];
    }),
  });
  const levelSamples = reports.flatMap((r) =>
    (
      [
        ["deployment_frequency", r.deploymentFrequency.level],
        ["lead_time", r.leadTime.level],
        ["change_failure_rate", r.changeFailureRate.level],
        ["recovery_time", r.recoveryTime.level],
      ] as const
    ).flatMap(([key, level]) =>
      level === null ? [] : LEVELS.map((l) => ({ labels: { ...labels(r), key, level: l }, value: l === level ? 1 : 0 })),
    ),
  );
  return [
    gauge("rampart_dora_deployments", "Deployments (releases that took traffic, not rollbacks) in the window", (r) => r.deployments),
    gauge("rampart_dora_deployments_per_day", "Deployment frequency over the window", (r) => r.deploymentFrequency.perDay),
    gauge("rampart_dora_lead_time_seconds", "Median commit time to live", (r) =>
      r.leadTime.medianMs === null ? null : r.leadTime.medianMs / 1000,
    ),
    gauge(
      "rampart_dora_change_failure_ratio",
      "Deployments rolled back or blamed by an incident, over deployments",
      (r) => r.changeFailureRate.ratio,
    ),
    gauge("rampart_dora_recovery_time_seconds", "Median failed deployment recovery time", (r) =>
      r.recoveryTime.medianMs === null ? null : r.recoveryTime.medianMs / 1000,
    ),
    {
      name: "rampart_dora_level",
      help: "DORA 2024 cluster level of each key (1 on the level it falls in)",
      type: "gauge",
      samples: levelSamples,
    },
  ];
}
