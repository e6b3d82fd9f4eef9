import type { RouteDefinition } from "../api/route-definition.ts";
import type { Manifest } from "../config/resolved-manifest.schema.ts";
import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { Module } from "../platform/module.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import type { TimerClock } from "../shared/clock.ts";
import { logger } from "../shared/logger.ts";
import type { MetricsService } from "../telemetry/metrics.service.ts";
import type { MetricsStore } from "../telemetry/metrics.store.ts";
import type { AlertTarget } from "./alert-expr.eval.ts";
import { AlertAdminService } from "./alert-admin.service.ts";
import { AlertEvaluator, DEFAULT_EVAL_INTERVAL_MS } from "./alert.service.ts";
import { alertRoutes } from "./alert.routes.ts";
import { AlertStore } from "./alert.store.ts";
import type { AlertNotifier } from "./alert.types.ts";
import { alertsMigration } from "./alerts.migration.ts";
import { BaselineCache } from "./baseline-cache.ts";
import type { DeployContext } from "./deploy-context.ts";
import { SeriesIndex, StoreMeasurements } from "./store-measurements.ts";

/** Migrations alerts registers (name and order as released). */
export const alertsMigrations = { "0010_alerts": alertsMigration };

export interface AlertsDeps {
  db: Db;
  events: EventLog;
  clock: TimerClock;
  manifest: () => Manifest;
  metrics: { store: Pick<MetricsStore, "select" | "size" | "generation">; service: Pick<MetricsService, "query"> };
  instances: () => readonly InstanceRecord[];
  deployments: () => Promise<DeployContext[]>;
  /** The releases service's rollout abort (traffic back on stable), with the alert as evidence. */
  abortCanary: (env: string, app: string, reason: string, evidence: Record<string, unknown>) => Promise<void>;
  /** Who hears of alerts (src/alerts/notify); until one is wired, transitions are only logged and in the event log. */
  notifier?: () => AlertNotifier;
  /** Failing synthetic checks of an app: the hook for checks (null: no checks). */
  checkFailed?: (target: AlertTarget, check: string | null) => number | null;
  /** Process environment: RAMPART_ALERTS_INTERVAL (e.g. 1s in tests; default 5s). */
  env?: NodeJS.ProcessEnv;
}

export interface Alerts extends Module {
  evaluator: AlertEvaluator;
  admin: AlertAdminService;
  routes: RouteDefinition[];
}

/** Alert rules and their evaluation: the rules of every app, the loop that moves alerts between states, the API. */
export function createAlerts(deps: AlertsDeps): Alerts {
  const store = new AlertStore(deps.db);
  const baselines = new BaselineCache((params) => deps.metrics.service.query(params), deps.clock);
  const notifier = deps.notifier ?? (() => loggingNotifier);
  const index = new SeriesIndex();
  const evaluator = new AlertEvaluator({
    events: deps.events,
    clock: deps.clock,
    store,
    notifier: { notify: (alerts, now) => notifier().notify(alerts, now) },
    ruleInputs: async () => {
      const manifest = deps.manifest();
      const apps: Record<string, NonNullable<Manifest["apps"][string]["alerts"]>> = {};
      for (const [name, app] of Object.entries(manifest.apps)) apps[name] = app.alerts ?? [];
      return { project: manifest.alerts ?? null, apps, api: await store.rules() };
    },
    targets: () => {
      const manifest = deps.manifest();
      return Object.keys(manifest.environments).flatMap((env) => Object.keys(manifest.apps).map((app) => ({ env, app })));
    },
    measurements: (now) =>
      new StoreMeasurements(
        {
          store: deps.metrics.store,
          index,
          instances: deps.instances,
          baseline: (t, m, w) => baselines.get(t, m, w),
          checkFailed: deps.checkFailed,
        },
        now,
      ),
    afterRound: () => baselines.refresh(),
    deployments: deps.deployments,
    abortCanary: deps.abortCanary,
    intervalMs: intervalFrom(deps.env ?? process.env),
  });
  const admin = new AlertAdminService({ evaluator, store, events: deps.events, clock: deps.clock, manifest: deps.manifest });
  return {
    name: "alerts",
    evaluator,
    admin,
    routes: alertRoutes(admin),
    run: () => evaluator.start(),
    stop: () => evaluator.stop(),
  };
}

const loggingNotifier: AlertNotifier = {
  notify(alerts) {
    for (const a of alerts)
      if (a.state === "resolved" && a.resolvedAt !== null) logger.info(`alert resolved: ${a.rule} ${a.labels.app}/${a.labels.env}`);
  },
};

function intervalFrom(env: NodeJS.ProcessEnv): number {
  const value = env.RAMPART_ALERTS_INTERVAL;
  if (value === undefined || value === "") return DEFAULT_EVAL_INTERVAL_MS;
  const match = /^(\d+)(ms|s)$/.exec(value);
  const ms = match ? Number(match[1]) * (match[2] === "s" ? 1000 : 1) : Number.NaN;
  if (ms >= 100 && ms <= 300_000) return ms;
  logger.warn(`RAMPART_ALERTS_INTERVAL=${value} is not a duration from 100ms to 300s (e.g. 5s); using 5s`);
  return DEFAULT_EVAL_INTERVAL_MS;
}
