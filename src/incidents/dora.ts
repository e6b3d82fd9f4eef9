import type { RampartEvent } from "../events/event.types.ts";

/**
 * The four keys, computed from the event log alone, so they can be recomputed for any window and checked against
 * the events that produced them.
 *
 * - A deployment is a release (not itself a rollback) that took production traffic in the window: its first
 *   `release.deploying` or `release.live`. A release that failed its health checks never changed anything users saw.
 * - Lead time is the release's git commit time (`release.created` data.git.commitTime) to its first `release.live`.
 * - A deployment failed when it was rolled back (`release.rolled_back`, or a rollback release created while it was
 *   the live one) or an incident named it as its suspect change.
 * - Recovery time runs from the failed release taking traffic (for an incident: its impact start) to the rollback
 *   (the rollback release live, the `release.rolled_back` event) or the incident's mitigation.
 */
export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export type DoraLevel = "elite" | "high" | "medium" | "low";

/** What an incident contributes: the release it blamed and when its impact began and was mitigated. */
export interface IncidentAttribution {
  env: string;
  app: string;
  release: number;
  impactStartedAt: number;
  recoveredAt: number | null;
}

export interface DoraQuery {
  env: string;
  app?: string;
  since: number;
  until: number;
}

export interface DoraFailure {
  app: string;
  release: number;
  reason: "rolled_back" | "rollback_release" | "incident";
  failedAt: number;
  recoveredAt: number | null;
}

export interface DoraReport {
  standard: "DORA 2024 performance clusters";
  env: string;
  app: string | null;
  since: number;
  until: number;
  deployments: number;
  deploymentFrequency: { perDay: number; level: DoraLevel };
  leadTime: { medianMs: number | null; samples: number; withoutCommitTime: number; level: DoraLevel | null };
  changeFailureRate: { failed: number; deployments: number; ratio: number | null; level: DoraLevel | null };
  recoveryTime: { medianMs: number | null; samples: number; unrecovered: number; level: DoraLevel | null };
  failures: DoraFailure[];
  /** Means over the incidents opened in the window (MTTD, MTTA, MTTR as on each incident). */
  incidents: { count: number; mttdMs: number | null; mttaMs: number | null; mttrMs: number | null };
}

/** One incident's measures, for the means over a window. */
export interface IncidentTimes {
  mttdMs: number | null;
  mttaMs: number | null;
  mttrMs: number | null;
}

interface ReleaseFacts {
  app: string;
  release: number;
  rollbackOf: number | null;
  commitTime: number | null;
  trafficAt: number | null;
  liveAt: number | null;
  failure: DoraFailure | null;
}

export function computeDora(
  events: readonly RampartEvent[],
  query: DoraQuery,
  incidents: readonly IncidentAttribution[] = [],
  times: readonly IncidentTimes[] = [],
): DoraReport {
  const facts = new Map<string, ReleaseFacts>();
  const key = (app: string, release: number) => `${app}\u0000${release}`;
  const live = new Map<string, number>();
  const pendingRecovery = new Map<string, DoraFailure>();
  const ordered = [...events].filter((e) => e.env === query.env && e.app !== null && (query.app === undefined || e.app === query.app));
  ordered.sort((a, b) => a.id - b.id);
  for (const e of ordered) {
    const app = e.app as string;
    if (e.release === null) continue;
    let f = facts.get(key(app, e.release));
    if (e.type === "release.created") {
      f = {
        app,
        release: e.release,
        rollbackOf: typeof e.data.rollbackOf === "number" ? e.data.rollbackOf : null,
        commitTime: commitTimeOf(e.data.git),
        trafficAt: null,
        liveAt: null,
        failure: null,
      };
      facts.set(key(app, e.release), f);
      const current = live.get(app);
      const currentFacts = current === undefined ? undefined : facts.get(key(app, current));
      if (f.rollbackOf !== null && currentFacts && currentFacts.rollbackOf === null && currentFacts.failure === null) {
        currentFacts.failure = {
          app,
          release: currentFacts.release,
          reason: "rollback_release",
          failedAt: currentFacts.trafficAt ?? e.at,
          recoveredAt: null,
        };
        pendingRecovery.set(key(app, e.release), currentFacts.failure);
      }
      continue;
    }
    if (!f) continue;
    if (e.type === "release.deploying" || e.type === "release.live") f.trafficAt ??= e.at;
    if (e.type === "release.live") {
      f.liveAt ??= e.at;
      live.set(app, e.release);
      const pending = pendingRecovery.get(key(app, e.release));
      if (pending) {
        pending.recoveredAt = e.at;
        pendingRecovery.delete(key(app, e.release));
      }
    }
    if (e.type === "release.rolled_back" && f.rollbackOf === null && f.failure === null) {
      f.failure = { app, release: f.release, reason: "rolled_back", failedAt: f.trafficAt ?? e.at, recoveredAt: e.at };
    }
  }
  for (const incident of incidents) {
    if (incident.env !== query.env) continue;
    const f = facts.get(key(incident.app, incident.release));
    if (!f || f.failure) continue;
    f.failure = {
      app: f.app,
      release: f.release,
      reason: "incident",
      failedAt: incident.impactStartedAt,
      recoveredAt: incident.recoveredAt,
    };
  }

  const deployed = [...facts.values()].filter(
    (f) => f.rollbackOf === null && f.trafficAt !== null && f.trafficAt >= query.since && f.trafficAt < query.until,
  );
  const days = Math.max((query.until - query.since) / DAY_MS, 1 / 24);
  const perDay = deployed.length / days;
  const leadTimes = deployed.flatMap((f) => (f.liveAt !== null && f.commitTime !== null ? [f.liveAt - f.commitTime] : []));
  const failures = deployed.flatMap((f) => (f.failure ? [f.failure] : []));
  const recoveries = failures.flatMap((f) => (f.recoveredAt === null ? [] : [f.recoveredAt - f.failedAt]));
  const leadMedian = median(leadTimes);
  const ratio = deployed.length === 0 ? null : failures.length / deployed.length;
  const recoveryMedian = median(recoveries);
  return {
    standard: "DORA 2024 performance clusters",
    env: query.env,
    app: query.app ?? null,
    since: query.since,
    until: query.until,
    deployments: deployed.length,
    deploymentFrequency: { perDay, level: frequencyLevel(perDay) },
    leadTime: {
      medianMs: leadMedian,
      samples: leadTimes.length,
      withoutCommitTime: deployed.filter((f) => f.liveAt !== null && f.commitTime === null).length,
      level: leadMedian === null ? null : leadTimeLevel(leadMedian),
    },
    changeFailureRate: {
      failed: failures.length,
      deployments: deployed.length,
      ratio,
      level: ratio === null ? null : failRateLevel(ratio),
    },
    recoveryTime: {
      medianMs: recoveryMedian,
      samples: recoveries.length,
      unrecovered: failures.length - recoveries.length,
      level: recoveryMedian === null ? null : recoveryLevel(recoveryMedian),
    },
    failures,
    incidents: {
      count: times.length,
      mttdMs: mean(times.map((t) => t.mttdMs)),
      mttaMs: mean(times.map((t) => t.mttaMs)),
      mttrMs: mean(times.map((t) => t.mttrMs)),
    },
  };
}

function mean(values: readonly (number | null)[]): number | null {
  const known = values.filter((v) => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length;
}

/** On demand (at least daily) / daily–weekly / weekly–monthly / less often. */
export function frequencyLevel(perDay: number): DoraLevel {
  if (perDay >= 1) return "elite";
  if (perDay >= 1 / 7) return "high";
  if (perDay >= 1 / 30) return "medium";
  return "low";
}

/** < 1 day / 1 day – 1 week / 1 week – 1 month / longer. */
export function leadTimeLevel(ms: number): DoraLevel {
  if (ms < DAY_MS) return "elite";
  if (ms < 7 * DAY_MS) return "high";
  if (ms < 30 * DAY_MS) return "medium";
  return "low";
}

/**
 * The 2024 clusters' typical change fail rates are elite 5 %, medium 10 %, high 20 %, low 40 % (high and medium are
 * inverted that year), so the rate alone is not a ladder: the level is the cluster whose typical rate is nearest.
 */
export function failRateLevel(ratio: number): DoraLevel {
  if (ratio < 0.075) return "elite";
  if (ratio < 0.15) return "medium";
  if (ratio < 0.3) return "high";
  return "low";
}

/** < 1 hour / < 1 day (high and medium share it) / longer (the 2024 low cluster: 1 week – 1 month). */
export function recoveryLevel(ms: number): DoraLevel {
  if (ms < HOUR_MS) return "elite";
  if (ms < DAY_MS) return "high";
  return "low";
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function commitTimeOf(git: unknown): number | null {
  if (typeof git !== "object" || git === null || !("commitTime" in git) || typeof git.commitTime !== "string") return null;
  const at = Date.parse(git.commitTime);
  return Number.isNaN(at) ? null : at;
}
