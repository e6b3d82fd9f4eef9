import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseManifest } from "../config/manifest.loader.ts";
import type { Manifest } from "../config/resolved-manifest.schema.ts";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { instanceRecord } from "../telemetry/instance-record.fixture.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import { emptyBuckets, LATENCY_BUCKETS_MS } from "../shared/measurement.ts";
import { HTTP_DURATION, LATENCY_BOUNDS_SECONDS } from "../telemetry/metrics-edge.sink.ts";
import type { MetricsQueryParams } from "../telemetry/metrics.view.ts";
import { MetricsStore } from "../telemetry/metrics.store.ts";
import { INSTANCE_RESTARTS } from "../telemetry/runtime-metrics.ts";
import { FakeNotifier } from "./alert-notifier.fake.ts";
import { type Alerts, createAlerts } from "./alerts.module.ts";
import type { DeployContext } from "./deploy-context.ts";

export const BASE_MANIFEST = `name: shop
environments:
  production: { port: 8080 }
apps:
  web:
    source: ./web
    run: node server.js
`;

/**
 * The alerts module over a real database (event audit on), a real metrics store fed by hand, a fake clock, fake
 * instances and deploys, and a FakeNotifier: a round of evaluation is one call, and time moves only when told.
 */
export class AlertWorld {
  readonly clock = new FakeClock(1_800_000_000_000);
  readonly store = new MetricsStore();
  readonly notifier = new FakeNotifier();
  readonly aborts: { env: string; app: string; reason: string; evidence: Record<string, unknown> }[] = [];
  instances: InstanceRecord[] = [];
  deployments: DeployContext[] = [];
  /** What `baseline(...)` reads (the metrics service's answer), per measure. */
  baselineValue: number | null = null;
  manifest: Manifest;
  readonly dir = mkdtempSync(join(tmpdir(), "rampart-alerts-"));
  database!: OpenedDatabase;
  events!: EventLog;
  alerts!: Alerts;

  constructor(yaml = BASE_MANIFEST) {
    this.manifest = parseManifest(yaml, join(this.dir, "rampart.yaml"));
  }

  async open(): Promise<this> {
    this.database = await openDatabase(this.dir, platformMigrations, { audit: { eventless: eventlessTables } });
    this.restart();
    return this;
  }

  /** A new module on the same database: what a restarted control plane gets. */
  restart(): void {
    this.events = new EventLog(this.database.db, this.clock);
    this.alerts = createAlerts({
      db: this.database.db,
      events: this.events,
      clock: this.clock,
      manifest: () => this.manifest,
      metrics: {
        store: this.store,
        service: {
          query: async (params: MetricsQueryParams) => ({
            metric: params.metric,
            fn: params.fn,
            from: 0,
            to: 0,
            stepMs: 0,
            windowMs: 0,
            source: "rollups" as const,
            series: this.baselineValue === null ? [] : [{ labels: {}, points: [[0, this.baselineValue] as [number, number | null]] }],
          }),
        },
      },
      instances: () => this.instances,
      deployments: async () => this.deployments,
      abortCanary: async (env, app, reason, evidence) => {
        this.aborts.push({ env, app, reason, evidence });
      },
      notifier: () => this.notifier,
      env: {},
    });
  }

  /** One second of edge traffic for `app`: `ok` requests answered 200 and `failed` 500, all taking `latencyMs`. */
  serve(app: string, ok: number, failed: number, latencyMs = 20, release = "1", env = "production"): void {
    const sec = Math.floor(this.clock.now() / 1000);
    const bucket = LATENCY_BUCKETS_MS.findIndex((b) => latencyMs <= b);
    for (const [code, count] of [
      ["200", ok],
      ["500", failed],
    ] as const) {
      if (count === 0) continue;
      const buckets = emptyBuckets(LATENCY_BOUNDS_SECONDS.length);
      buckets[bucket] = count;
      const labels = { env, app, release, route: "/", instance: `${app}-1`, code };
      this.store.addHistogram(HTTP_DURATION, labels, LATENCY_BOUNDS_SECONDS, sec, count, (count * latencyMs) / 1000, buckets);
    }
  }

  restartInstance(app: string, env = "production"): void {
    const sec = Math.floor(this.clock.now() / 1000);
    this.store.addCounter(INSTANCE_RESTARTS, { env, app, release: "1", instance: `${app}-1` }, sec, 1);
  }

  /** Runs `seconds` of time: traffic each second from `each`, a round every 5 s (the default interval). */
  async run(seconds: number, each: (sec: number) => void = () => undefined): Promise<void> {
    for (let s = 0; s < seconds; s++) {
      this.clock.advance(1000);
      each(s);
      if (Math.floor(this.clock.now() / 1000) % 5 === 0) {
        await this.alerts.evaluator.round();
        await this.alerts.evaluator.afterRound();
      }
    }
  }

  async eventTypes(prefix = "alert."): Promise<string[]> {
    return (await this.events.query({ type: prefix, limit: 1000 })).map((e) => e.type);
  }

  violations(): string[][] {
    return (this.database.audit?.violations.splice(0) ?? []).map((v) => v.writes);
  }

  async close(): Promise<void> {
    await this.database.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function instance(app: string, status: InstanceRecord["status"], n = 1, env = "production"): InstanceRecord {
  return instanceRecord(`${app}-${n}`, 40000 + n, { env, app, release: 1, slot: n, status, pid: 1000 + n });
}
