import type { AlertView } from "../alerts/alert.view.ts";
import type { EventQuery, RampartEvent } from "../events/event.types.ts";
import type { IncidentView } from "../incidents/incident.types.ts";
import type { OnCallView } from "../oncall/oncall.types.ts";
import type { PlatformStatus } from "../platform/status.types.ts";
import type { RolloutView } from "../releases/rollout.view.ts";
import type { Clock } from "../shared/clock.ts";
import type { MetricsQueryResult, MetricsSummary } from "../telemetry/metrics.view.ts";
import type { Overview, OverviewRow } from "./overview.types.ts";

/** What the home view gathers, each from the capability that owns it (closures: the console owns none of it). */
export interface OverviewSources {
  status(): Promise<PlatformStatus>;
  /** Requests/s, error % and p99 of one app over the last `sinceMs`. */
  summary(env: string, app: string, sinceMs: number): Promise<MetricsSummary>;
  /** p99 latency per env and app, one point per minute (the sparklines). */
  latencySeries(from: number, to: number): Promise<MetricsQueryResult>;
  rollout(env: string, app: string): Promise<RolloutView>;
  alerts(): Promise<AlertView[]>;
  openIncidents(): Promise<IncidentView[]>;
  onCall(): Promise<OnCallView[]>;
  events(query: EventQuery): Promise<RampartEvent[]>;
}

export const SPARK_MINUTES = 30;
const CHANGES = 30;
/** The change feed: what someone did to production (PagerDuty's change events), not what the platform observed. */
const CHANGE_TYPES = new Set([
  "release.live",
  "release.failed",
  "release.rolled_back",
  "release.promoted",
  "rollout.rolled_back",
  "rollout.aborted",
  "flag.created",
  "flag.changed",
  "flag.killed",
  "flag.rollout.started",
  "flag.rollout.completed",
  "flag.rollout.failed",
  "secret.set",
  "secret.unset",
  "secrets.key_rotated",
  "role.granted",
  "role.revoked",
  "access.approved",
  "access.break_glass",
  "access.revoked",
]);
const CHANGE_PREFIXES = ["release.", "rollout.", "flag.", "secret.", "secrets.", "role.", "access."];

/** One answer for the console's home: every app's health and the day's changes, alerts, incidents and on-call. */
export class OverviewService {
  readonly #sources: OverviewSources;
  readonly #clock: Clock;

  constructor(sources: OverviewSources, clock: Clock) {
    this.#sources = sources;
    this.#clock = clock;
  }

  /**
   * `visible`: the environments the caller may read. The others' rows, changes, alerts and incidents are left out
   * (named in `hidden`); what names no environment is shown only to a caller who may read every one.
   */
  async overview(visible: (env: string) => boolean = () => true): Promise<Overview> {
    const now = this.#clock.now();
    const minute = 60_000;
    const to = Math.floor(now / minute) * minute;
    const [status, series, alerts, incidents, oncall, changes] = await Promise.all([
      this.#sources.status(),
      this.#sources.latencySeries(to - (SPARK_MINUTES - 1) * minute, to),
      this.#sources.alerts(),
      this.#sources.openIncidents(),
      this.#sources.onCall(),
      this.#changes(),
    ]);
    const hidden = status.environments.filter((e) => !visible(e.name)).map((e) => e.name);
    const shown = (env: string | null | undefined) => (env === null || env === undefined ? hidden.length === 0 : visible(env));
    const sparks = new Map(series.series.map((s) => [`${s.labels.env}\u0000${s.labels.app}`, s.points.map(([, v]) => roundMs(v))]));
    const rows = await Promise.all(
      status.environments
        .filter((env) => visible(env.name))
        .flatMap((env) =>
          env.apps.map(async (app): Promise<OverviewRow> => {
            const [summary, rollout] = await Promise.all([
              this.#sources.summary(env.name, app.name, minute),
              app.deploying === null ? null : this.#sources.rollout(env.name, app.name).catch(() => null),
            ]);
            const serving = app.instances.filter((i) => i.health !== "stopped" && i.health !== "stopping");
            return {
              env: env.name,
              app: app.name,
              protected: env.protected,
              url: env.url,
              live: app.live,
              deploying: app.deploying,
              instances: serving.length,
              healthy: serving.filter((i) => i.health === "healthy").length,
              rps: summary.total.rps,
              errorPercent: summary.total.errorPercent,
              p99Ms: summary.total.p99Ms,
              spark: sparks.get(`${env.name}\u0000${app.name}`) ?? [],
              rollout: rollout !== null && rollout.finishedAt === null ? rollout : null,
            };
          }),
        ),
    );
    return {
      at: now,
      project: status.project,
      rows,
      changes: changes.filter((e) => shown(e.env)).slice(0, CHANGES),
      alerts: alerts.filter((a) => a.state === "firing" && shown(a.labels.env)),
      incidents: incidents.filter((i) => shown(i.env)),
      oncall,
      hidden,
    };
  }

  async #changes(): Promise<RampartEvent[]> {
    const batches = await Promise.all(CHANGE_PREFIXES.map((type) => this.#sources.events({ type, limit: 200 })));
    return batches
      .flat()
      .filter((e) => CHANGE_TYPES.has(e.type))
      .sort((a, b) => b.id - a.id);
  }
}

function roundMs(seconds: number | null): number | null {
  return seconds === null || !Number.isFinite(seconds) ? null : Math.round(seconds * 1e6) / 1e3;
}
