import type { Db } from "../db/database.ts";
import type { Module } from "../platform/module.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { Clock } from "../shared/clock.ts";
import { LogsTraces, otlpBaseUrl } from "./log-trace.module.ts";
import { logsTracesMigration } from "./logs-traces.migration.ts";
import { MetricsModule } from "./metrics.module.ts";
import type { MetricFamily } from "./prometheus-text.ts";
import { metricsMigration } from "./metrics.migration.ts";
import type { ScrapeTarget } from "./scraper.ts";
import { traceRoutes } from "./trace.routes.ts";
import { TraceService } from "./trace.service.ts";

/** Migrations telemetry registers (names and order as released). */
export const telemetryMigrations = { "0003_metrics": metricsMigration, "0004_logs_traces": logsTracesMigration };

export interface TelemetryDeps {
  db: Db;
  dataDir: string;
  clock: Clock;
  startedAt: number;
  instances(): InstanceRecord[];
  scrapeTargetOf(instance: InstanceRecord): Promise<ScrapeTarget | null>;
  assertApp(env: string, app: string): void;
  /** Families other capabilities expose on /metrics (the four keys), read at each scrape. */
  extraFamilies?(): MetricFamily[];
}

export interface Telemetry extends Module {
  logsTraces: LogsTraces;
  metrics: MetricsModule;
  /** Where instances send OTLP, once the API listens (instances started before get it at their next start). */
  setApi(host: string, port: number): void;
}

/**
 * Metrics (the edge's per-second collections, runtime samples, app scrapes, OTLP), the log index and traces as
 * one module: their routes, protocols (Prometheus, OTLP) and the edge stats sinks.
 */
export function createTelemetry(deps: TelemetryDeps): Telemetry {
  const logsTraces = new LogsTraces({ dataDir: deps.dataDir, clock: deps.clock });
  const metrics = new MetricsModule({
    db: deps.db,
    dataDir: deps.dataDir,
    clock: deps.clock,
    startedAt: deps.startedAt,
    instances: deps.instances,
    scrapeTargetOf: deps.scrapeTargetOf,
    assertApp: deps.assertApp,
    extraFamilies: () => deps.extraFamilies?.() ?? [],
  });
  const traces = new TraceService(logsTraces.traces, deps.assertApp);
  return {
    name: "telemetry",
    logsTraces,
    metrics,
    routes: [...traceRoutes(traces), ...metrics.routes],
    protocols: [logsTraces.protocol(), ...metrics.protocols],
    sinks: [logsTraces.edgeSink, metrics.edgeSink],
    setApi: (host, port) => logsTraces.setApiBase(otlpBaseUrl(host, port)),
    start: () => logsTraces.start(),
    run: () => metrics.start(),
    async stop() {
      await metrics.stop();
      logsTraces.stop();
    },
  };
}
