import type { Migration } from "kysely/migration";
import { accessRequestMigrations } from "../access/access-requests.module.ts";
import { alertNotifyMigrations } from "../alerts/notify/alert-notify.module.ts";
import type { EventlessTables } from "../db/event-audit.ts";
import { baselineMigrations } from "../db/migrations.ts";
import { flagExperimentReportMigrations, flagsMigrations } from "../flags/flags.module.ts";
import { incidentsMigrations } from "../incidents/incidents.module.ts";
import { telemetryMigrations } from "../telemetry/telemetry.module.ts";
import { trafficMigrations } from "../traffic/traffic.module.ts";
import { auditMigrations } from "../audit/audit.module.ts";
import { secretsMigrations } from "../secrets/secrets.module.ts";
import { accessEventlessTables, accessMigrations } from "../access/access.module.ts";
import { alertsMigrations } from "../alerts/alerts.module.ts";
import { checksMigrations } from "../checks/checks.module.ts";
import { oncallMigrations } from "../oncall/oncall.module.ts";
import { rollbackDrillMigrations } from "../rollback-drills/rollback-drill.module.ts";
import { gatewayMigrations } from "../gateway/gateway.module.ts";
import { rumMigrations } from "../rum/rum.module.ts";

/**
 * Every migration of the platform, registered by the capability that owns it. Applied in name order, so the
 * names (and with them the order) of released migrations never change: an existing data dir migrates unchanged.
 */
export const platformMigrations: Record<string, Migration> = {
  ...baselineMigrations,
  ...flagsMigrations,
  ...telemetryMigrations,
  ...trafficMigrations,
  ...accessRequestMigrations,
  ...auditMigrations,
  ...secretsMigrations,
  ...accessMigrations,
  ...alertsMigrations,
  ...alertNotifyMigrations,
  ...checksMigrations,
  ...incidentsMigrations,
  ...oncallMigrations,
  ...rollbackDrillMigrations,
  ...flagExperimentReportMigrations,
  ...gatewayMigrations,
  ...rumMigrations,
};

/**
 * Tables written without an event, each with why. Every other table is state, and a write to it must commit
 * with an event (src/db/event-audit.ts checks it in tests). A capability adding a table adds it here only if
 * it is a measurement, a cache or bookkeeping, never for state that someone might ask "who changed this?".
 */
export const eventlessTables: EventlessTables = {
  kysely_migration: "the migrator's bookkeeping, written at start-up before anything runs",
  kysely_migration_lock: "the migrator's lock",
  request_stats: "measurements: the edge's per-second request aggregates (canary analysis reads them)",
  metric_rollups: "measurements: one-minute metric rollups",
  flag_usage: "measurements: evaluation counts per flag variation, from SDKs and the edge",
  ...accessEventlessTables,
  alert_deliveries: "bookkeeping: the delivery log of alert notifications (attempts, status); the alerts themselves are events",
  alert_notify_log: "bookkeeping: when each alert group was last notified, so a restart does not notify again",
  check_results: "measurements: results of synthetic checks and heartbeat pings (state changes are check.failed / check.recovered events)",
  flag_exposures: "measurements: which hashed user was first served which variation (experiment exposure), from SDKs",
  flag_conversions: "measurements: per hashed user, flag and metric, the running event count and value (for per-user variances)",
  flag_exposure_days: "measurements: newly exposed users per flag variation and day",
  failed_users: "measurements: hashed sticky keys of users whose requests failed, per minute (an incident's distinct users affected)",
  flag_metric_days: "measurements: business events per flag variation, metric and day (counts, sums, sums of squares)",
  rum_stats: "measurements: web vitals and JS error counts from real users' pages, per second and release (src/rum)",
};
