import type { RouteDefinition } from "../../api/route-definition.ts";
import type { Db } from "../../db/database.ts";
import type { EventLog } from "../../events/event-log.ts";
import type { TimerClock } from "../../shared/clock.ts";
import { logger } from "../../shared/logger.ts";
import type { Module } from "../../platform/module.ts";
import type { AlertInstance, AlertNotifier } from "../alert.types.ts";
import { DeliveryStore } from "./delivery.store.ts";
import { type IncidentPage, incidentPageNotifications } from "./incident-page.ts";
import { type InfoNotice, infoNotifications } from "./info-notice.ts";
import { type NotifyConfig, resolveNotifyConfig } from "./notify-config.ts";
import { NotifyDelivery, type RetryPolicy } from "./notify-delivery.ts";
import { NotifyDispatcher } from "./notify-dispatcher.ts";
import { NotifyLogStore } from "./notify-log.store.ts";
import { createSender, type SendNotification } from "./notify-senders.ts";
import type { AlertNotifyFile } from "./notify.schema.ts";
import { alertNotifyMigration } from "./notify.migration.ts";
import { notifyRoutes } from "./notify.routes.ts";
import { SilenceService } from "./silence.service.ts";
import { SilenceStore } from "./silence.store.ts";
import { periodicLoop } from "../../shared/periodic-loop.ts";

/** Migrations alert notification registers (name and order as released). */
export const alertNotifyMigrations = { "0013_alert_notify": alertNotifyMigration };

/** The delivery log keeps a week. */
const DELIVERY_RETENTION_MS = 7 * 86_400_000;
const TICK_MS = 1_000;
const STOP_GRACE_MS = 2_000;

export interface AlertNotify extends Module {
  notifier: AlertNotifier;
  silences: SilenceService;
  /** The delivery log (list) and the sending behind it. */
  deliveries: NotifyDelivery;
  routes: RouteDefinition[];
  /** Flushes the groups due at `now` and hands their notifications to delivery (the loop calls it every second). */
  tick(now: number): void;
  /** Waits for deliveries in flight, retries included. */
  idle(): Promise<void>;
  /** Pages an opened incident to the receivers routing picks for a critical alert of its app (delivery log: retried, recorded). */
  page(incident: IncidentPage): void;
  /** Sends an informational notice (severity info, e.g. a weekly experiment report) to the receivers routing picks for it. */
  inform(notice: InfoNotice): void;
}

/**
 * Notification for alerts: routing, grouping, inhibition, silences and receivers (Alertmanager's half of the
 * Prometheus/Alertmanager split). `alerts` reads the manifest's `alerts:` object at each use, so a manifest
 * reload changes routes and receivers without a restart. `send` and `retry` are for tests.
 */
export function createAlertNotifier(deps: {
  db: Db;
  events: EventLog;
  clock: TimerClock;
  alerts: () => AlertNotifyFile | undefined;
  /** The console's address, for links in payloads (`externalURL`, `generatorURL`). */
  externalUrl: string;
  env?: Readonly<Record<string, string | undefined>>;
  send?: SendNotification;
  retry?: RetryPolicy;
}): AlertNotify {
  let cached: { file: AlertNotifyFile | undefined; config: NotifyConfig } | undefined;
  const config = (): NotifyConfig => {
    const file = deps.alerts();
    if (!cached || cached.file !== file) cached = { file, config: resolveNotifyConfig(file) };
    return cached.config;
  };
  const silenceStore = new SilenceStore(deps.db);
  const silences = new SilenceService({ store: silenceStore, events: deps.events, clock: deps.clock });
  const deliveries = new DeliveryStore(deps.db);
  const notifyLog = new NotifyLogStore(deps.db);
  const dispatcher = new NotifyDispatcher({ config, silences: () => silences.current(), notified: (key) => notifyLog.get(key) });
  const send = deps.send ?? createSender({ externalUrl: deps.externalUrl, env: deps.env ?? process.env });
  const delivery = new NotifyDelivery({ store: deliveries, send, clock: deps.clock, config, retry: deps.retry });

  const logWrites = new Set<Promise<void>>();
  const idle = async () => {
    await Promise.all([...logWrites]);
    await delivery.idle();
  };
  const tick = (now: number) => {
    for (const n of dispatcher.flush(now)) {
      // Recorded when due, not when delivered: a failed delivery is retried by delivery, not by a later flush.
      const write = notifyLog
        .record(n.key, { lastSentAt: n.at, firing: n.firing })
        .catch((error: unknown) => logger.warn({ err: error }, "alerts: writing the notification log failed"))
        .finally(() => logWrites.delete(write));
      logWrites.add(write);
      delivery.deliver(n);
    }
  };
  const notifier: AlertNotifier = {
    notify(alerts: readonly AlertInstance[], now: number) {
      dispatcher.ingest(alerts, now);
      tick(now);
    },
  };

  let lastPrune = 0;
  const loop = periodicLoop(
    deps.clock,
    TICK_MS,
    async () => {
      const now = deps.clock.now();
      tick(now);
      if (now - lastPrune > 3_600_000) {
        lastPrune = now;
        await deliveries.prune(now - DELIVERY_RETENTION_MS);
        await notifyLog.prune(now - DELIVERY_RETENTION_MS);
        await silences.load(); // drops the silences that ended meanwhile
      }
    },
    (error) => logger.warn({ err: error }, "alerts: notification tick failed; trying again next second"),
  );

  return {
    name: "alert-notify",
    notifier,
    silences,
    deliveries: delivery,
    routes: notifyRoutes({ silences, deliveries: delivery }),
    tick,
    idle,
    page: (incident) => {
      for (const n of incidentPageNotifications(config(), incident, deps.clock.now())) delivery.deliver(n);
    },
    inform: (notice) => {
      for (const n of infoNotifications(config(), notice, deps.clock.now())) delivery.deliver(n);
    },
    start: async () => {
      await silences.load();
      await notifyLog.load();
    },
    run: () => loop.start(),
    stop: async () => {
      await loop.stop();
      // Deliveries in flight get a moment to finish; a dead receiver's retries must not hold up shutdown.
      await Promise.race([idle(), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())]);
    },
  };
}
