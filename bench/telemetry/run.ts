/**
 * `npm run bench:telemetry`: the logs-and-traces measurements, then the metrics ones when that part exists.
 * Each part prints its own section for docs/benchmarks.md.
 */
import { existsSync } from "node:fs";
import { printLogsTraces, runLogsTracesBench } from "./logs-traces.ts";

printLogsTraces(await runLogsTracesBench());

const metrics = new URL("./metrics.ts", import.meta.url);
if (existsSync(metrics)) {
  const module = (await import(metrics.href)) as { runMetricsBench?: () => Promise<void> };
  // The metrics part exports runMetricsBench; a version that runs on import has already run here.
  if (typeof module.runMetricsBench === "function") await module.runMetricsBench();
}
