import type { ProtocolPlugin } from "../api/api-server.ts";
import type { RouteDefinition } from "../api/route-definition.ts";
import type { Db } from "../db/database.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { Clock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import { MAX_WINDOW_MS, parseDuration } from "../config/units.ts";
import { EdgeMetricsSink } from "./metrics-edge.sink.ts";
import { MetricsRollupStore } from "./metrics-rollup.store.ts";
import { metricsRoutes } from "./metrics.routes.ts";
import { DEFAULT_RETENTION_MS, MetricsService } from "./metrics.service.ts";
import { DEFAULT_MAX_SERIES, MetricsStore } from "./metrics.store.ts";
import { readOrCreateIngestToken } from "./otlp-auth.ts";
import { otlpMetricsProtocol } from "./otlp-metrics.protocol.ts";
import { OtlpMetricsIngest } from "./otlp-metrics.ts";
import { renderExposition } from "./prometheus-exposition.ts";
import { prometheusProtocol } from "./prometheus.protocol.ts";
import { renderFamilies, type MetricFamily } from "./prometheus-text.ts";
import { RuntimeMetricsCollector } from "./runtime-metrics.ts";
import { Scraper, type ScrapeTarget } from "./scraper.ts";

export interface MetricsModuleOptions {
  db: Db;
  dataDir: string;
  clock: Clock;
  startedAt: number;
  instances: () => InstanceRecord[];
  /** The `metrics` setting of the instance's release (null: not scraped). */
  scrapeTargetOf: (instance: InstanceRecord) => Promise<ScrapeTarget | null>;
  assertApp: (env: string, app: string) => void;
  /** Process environment: RAMPART_METRICS_RETENTION, RAMPART_METRICS_MAX_SERIES, RAMPART_METRICS_AUTH. */
  env?: NodeJS.ProcessEnv;
  /** Families other capabilities expose on /metrics (the four keys), read at each scrape. */
  extraFamilies?: () => MetricFamily[];
}

/**
 * The metrics side of telemetry as one unit for the composition root: the store and its rollups, the edge
 * sink, runtime sampling, app scraping, OTLP metrics in, Prometheus out, and the query routes.
 */
export class MetricsModule {
  readonly store: MetricsStore;
  readonly edgeSink: EdgeMetricsSink;
  readonly service: MetricsService;
  readonly routes: RouteDefinition[];
  readonly protocols: ProtocolPlugin[];
  readonly #scraper: Scraper;

  constructor(options: MetricsModuleOptions) {
    const env = options.env ?? process.env;
    this.store = new MetricsStore({
      maxSeries: positiveInt(env.RAMPART_METRICS_MAX_SERIES, DEFAULT_MAX_SERIES, "RAMPART_METRICS_MAX_SERIES"),
    });
    this.edgeSink = new EdgeMetricsSink(this.store);
    const runtime = new RuntimeMetricsCollector(this.store, options.instances);
    this.service = new MetricsService({
      store: this.store,
      rollups: new MetricsRollupStore(options.db),
      clock: options.clock,
      retentionMs: durationSetting(env.RAMPART_METRICS_RETENTION, DEFAULT_RETENTION_MS, "RAMPART_METRICS_RETENTION"),
      assertApp: options.assertApp,
      onTick: (now) => runtime.collect(now),
    });
    this.#scraper = new Scraper({
      store: this.store,
      clock: options.clock,
      instances: options.instances,
      targetOf: options.scrapeTargetOf,
    });
    this.routes = metricsRoutes(this.service);
    const ingest = new OtlpMetricsIngest(this.store);
    this.protocols = [
      prometheusProtocol({
        render: () => {
          const extra = options.extraFamilies?.() ?? [];
          const own = renderExposition(this.store, this.edgeSink, options.startedAt, options.clock.now());
          return extra.length === 0 ? own : own + renderFamilies(extra);
        },
        requireToken: env.RAMPART_METRICS_AUTH !== "none",
      }),
      otlpMetricsProtocol({ ingest, ingestToken: readOrCreateIngestToken(options.dataDir), now: () => options.clock.now() }),
    ];
  }

  start(): void {
    this.service.start();
    this.#scraper.start();
  }

  /** Before the database closes: the service rolls up the minutes it has not yet. */
  async stop(): Promise<void> {
    this.#scraper.stop();
    await this.service.stop();
  }
}

function positiveInt(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (Number.isInteger(n) && n > 0) return n;
  logger.warn(`${name}=${value} is not a positive whole number; using ${fallback}`);
  return fallback;
}

function durationSetting(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const parsed = parseDuration(value, { maxMs: MAX_WINDOW_MS });
  if (parsed.ok && parsed.value >= 3600_000) return parsed.value;
  logger.warn(`${name}=${value} is not a duration of at least 1h (e.g. 30d); using the default`);
  return fallback;
}
