import type { Db } from "../db/database.ts";
import type { EventLog } from "../events/event-log.ts";
import type { RampartEvent } from "../events/event.types.ts";
import { FailedUsersStore } from "../traffic/failed-users.store.ts";
import { BASELINE_LOOKBACK_MS, countBetween, countByRelease, findImpactStart, pct, readSeconds } from "./impact.ts";
import type { IncidentRecord } from "./incident.store.ts";
import type { Impact, IncidentMeasures, SuspectChange, TimelineEntry } from "./incident.types.ts";
import { findMitigation, findSuspect, inScope, ordered, suspectOf, toEntry } from "./timeline.ts";

/** The alerting capability's event (src/alerts, merged separately): typed as a string until its type is in the list. */
const ALERT_FIRING: string = "alert.firing";
/** How far back before detection a change may be blamed. */
const SUSPECT_LOOKBACK_MS = 24 * 3_600_000;
/** Context kept in the timeline before the first thing that went wrong. */
const TIMELINE_LEAD_MS = 15 * 60_000;

/** Everything derived from the event log and the edge's measurements for one incident. */
export interface IncidentAnalysis {
  impactStartedAt: number | null;
  /** The first alert about it that fired after the impact began, if before the incident's own detection time. */
  detectedAt: number;
  impactReason: string | null;
  mitigation: RampartEvent | null;
  mitigatedAt: number | null;
  suspect: SuspectChange | null;
  timeline: TimelineEntry[];
  impact: Impact;
  measures: IncidentMeasures;
  rolledBack: boolean;
  alertsFired: number;
}

export async function analyse(deps: { db: Db; events: EventLog }, incident: IncidentRecord, now: number): Promise<IncidentAnalysis> {
  const end = incident.resolvedAt ?? now;
  const events = (
    await deps.events.query({ since: incident.detectedAt - SUSPECT_LOOKBACK_MS, env: incident.env ?? undefined, limit: 10_000 })
  )
    .concat(incident.env === null ? [] : await deps.events.query({ since: incident.openedAt, type: "incident.", limit: 10_000 }))
    .filter((e, i, all) => inScope(e, incident) && all.findIndex((o) => o.id === e.id) === i)
    .sort((a, b) => a.id - b.id);

  const scoped = incident.env !== null && incident.app !== null ? { env: incident.env, app: incident.app } : null;
  const statsFrom = Math.min(incident.openedAt, incident.detectedAt) - BASELINE_LOOKBACK_MS;
  const seconds = scoped ? await readSeconds(deps.db, scoped.env, scoped.app, statsFrom, end) : [];
  const measured = incident.impactStartedAt === null ? findImpactStart(seconds) : null;
  const impactStartedAt = incident.impactStartedAt ?? measured?.at ?? null;
  const impactReason = incident.impactStartedAt !== null ? "recorded on the incident" : (measured?.reason ?? null);

  const suspectEvent = findSuspect(events, impactStartedAt ?? incident.detectedAt, SUSPECT_LOOKBACK_MS);
  const mitigation = findMitigation(events, impactStartedAt ?? suspectEvent?.at ?? incident.detectedAt - TIMELINE_LEAD_MS, suspectEvent);
  const firstAlert = events.find(
    (e) => e.type === ALERT_FIRING && e.at >= (impactStartedAt ?? suspectEvent?.at ?? incident.detectedAt) && e.at < incident.detectedAt,
  );
  const detectedAt = firstAlert?.at ?? incident.detectedAt;
  const mitigatedAt = incident.mitigatedAt ?? (mitigation && mitigation.at <= end ? mitigation.at : null);
  // Requests already on their way to the bad release, and the edge taking the new table, fail for a moment after
  // the rollback: the impact ends when the failures stop (at most a minute after the mitigation).
  const impactEnd = mitigatedAt === null ? (incident.resolvedAt ?? now) : failuresStop(seconds, mitigatedAt);

  let suspect: SuspectChange | null = null;
  if (suspectEvent) {
    const evidence = [`${suspectEvent.type} at ${iso(suspectEvent.at)}: the last deploy or flag change before the impact began`];
    if (impactStartedAt !== null) {
      const gap = impactStartedAt - suspectEvent.at;
      const when = gap > 0 ? `${seconds_(gap)} later` : "with it (within the edge's one-second measurements)";
      evidence.push(`impact started ${when}, at ${iso(impactStartedAt)}: ${impactReason}`);
    }
    if (scoped && impactStartedAt !== null) {
      const byRelease = await countByRelease(deps.db, scoped.env, scoped.app, impactStartedAt, impactEnd);
      if (byRelease.length > 0) {
        evidence.push(
          `failed requests by release during the impact: ${byRelease.map((r) => `release ${r.release} ${r.errors} of ${r.requests} (${pct(r.requests === 0 ? 0 : r.errors / r.requests)})`).join(", ")}`,
        );
      }
    }
    if (mitigation) evidence.push(`${mitigation.type} at ${iso(mitigation.at)}: ${mitigation.message}`);
    suspect = suspectOf(suspectEvent, evidence);
  }

  const counted = impactStartedAt === null ? { requests: 0, errors: 0 } : countBetween(seconds, impactStartedAt, impactEnd);
  const distinctUsers =
    scoped && impactStartedAt !== null
      ? await new FailedUsersStore(deps.db).distinct(scoped.env, scoped.app, impactStartedAt, impactEnd)
      : null;
  const impact: Impact = {
    startedAt: impactStartedAt,
    endedAt: impactStartedAt === null ? null : mitigatedAt === null ? incident.resolvedAt : impactEnd,
    durationMs: impactStartedAt === null ? null : impactEnd - impactStartedAt,
    failedRequests: counted.errors,
    totalRequests: counted.requests,
    failedShare: counted.requests === 0 ? null : counted.errors / counted.requests,
    distinctUsers,
    basis: scoped
      ? `the edge's per-second request counts of ${scoped.app} in ${scoped.env}, from impact start to mitigation (or resolution, or now)`
      : "no app and environment on the incident: no request counts",
  };

  const startOfStory = Math.min(
    impactStartedAt ?? Number.POSITIVE_INFINITY,
    suspectEvent?.at ?? Number.POSITIVE_INFINITY,
    incident.detectedAt,
    incident.openedAt,
  );
  const entries = events.filter((e) => e.at >= startOfStory - TIMELINE_LEAD_MS && e.at <= end + TIMELINE_LEAD_MS).map(toEntry);
  if (impactStartedAt !== null) {
    entries.push({
      at: impactStartedAt,
      kind: "impact",
      type: "impact.started",
      eventId: null,
      env: incident.env,
      app: incident.app,
      release: null,
      actor: "edge measurements",
      message: `impact started: ${impactReason}`,
    });
  }
  return {
    impactStartedAt,
    impactReason,
    mitigation,
    mitigatedAt,
    suspect,
    timeline: ordered(entries),
    impact,
    detectedAt,
    measures: measuresOf({ ...incident, detectedAt }, impactStartedAt, mitigatedAt),
    rolledBack: events.some((e) => e.at >= startOfStory && e.at <= end && (e.type === "release.rolled_back" || isRollbackLive(e, events))),
    alertsFired: events.filter((e) => e.type === ALERT_FIRING && e.at >= startOfStory && e.at <= end).length,
  };
}

/** MTTD impact → detected, MTTA detected → acknowledged, MTTM impact → mitigated, MTTR impact → resolved (impact unknown: from detection). */
export function measuresOf(incident: IncidentRecord, impactStartedAt: number | null, mitigatedAt: number | null): IncidentMeasures {
  const start = impactStartedAt ?? incident.detectedAt;
  const since = (from: number, to: number | null) => (to === null ? null : Math.max(0, to - from));
  return {
    mttdMs: impactStartedAt === null ? null : since(impactStartedAt, incident.detectedAt),
    mttaMs: since(incident.detectedAt, incident.acknowledgedAt),
    mttmMs: since(start, mitigatedAt),
    mttrMs: since(start, incident.resolvedAt),
  };
}

function isRollbackLive(e: RampartEvent, events: readonly RampartEvent[]): boolean {
  if (e.type !== "release.live") return false;
  return events.some(
    (c) =>
      c.type === "release.created" &&
      c.env === e.env &&
      c.app === e.app &&
      c.release === e.release &&
      typeof c.data.rollbackOf === "number",
  );
}

const TAIL_MS = 60_000;

/** Just after the last second with failures in the minute after `mitigatedAt` (or `mitigatedAt` when none). */
function failuresStop(seconds: readonly { at: number; errors: number }[], mitigatedAt: number): number {
  let end = mitigatedAt;
  for (const s of seconds) if (s.at >= mitigatedAt && s.at < mitigatedAt + TAIL_MS && s.errors > 0) end = s.at + 1000;
  return end;
}

export function iso(at: number): string {
  return new Date(at).toISOString();
}

function seconds_(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
