import type { RampartEvent } from "../events/event.types.ts";
import { canonical } from "../flags/flag-writer.ts";
import type { IncidentRecord } from "./incident.store.ts";
import type { SuspectChange, TimelineEntry } from "./incident.types.ts";

const KIND_BY_PREFIX: [string, TimelineEntry["kind"]][] = [
  ["release.", "deploy"],
  ["artifact.", "deploy"],
  ["rollout.", "rollout"],
  ["traffic.", "rollout"],
  ["flag.", "flag"],
  ["alert.", "alert"],
  ["silence.", "alert"],
  ["check.", "check"],
  ["access.", "access"],
  ["audit.", "access"],
  ["secret.", "secret"],
  ["instance.", "instance"],
  ["incident.", "incident"],
  ["postmortem.", "incident"],
];

export function kindOf(type: string): TimelineEntry["kind"] {
  return KIND_BY_PREFIX.find(([prefix]) => type.startsWith(prefix))?.[1] ?? "other";
}

/** About the incident: its own notes and changes, or anything in its environment about its app (or about no app). */
export function inScope(e: RampartEvent, incident: Pick<IncidentRecord, "id" | "env" | "app">): boolean {
  if (e.data.incident === incident.id) return true;
  if (e.type.startsWith("incident.") || e.type.startsWith("postmortem.")) return false;
  if (incident.env === null) return true;
  if (e.env !== incident.env && e.env !== null) return false;
  return incident.app === null || e.app === incident.app || e.app === null;
}

export function toEntry(e: RampartEvent): TimelineEntry {
  return {
    at: e.at,
    kind: kindOf(e.type),
    type: e.type,
    eventId: e.id,
    env: e.env,
    app: e.app,
    release: e.release,
    actor: e.actor,
    message: e.message,
  };
}

/** Releases created as rollbacks, so their going live counts as mitigation and not as a suspect deploy. */
function rollbackReleases(events: readonly RampartEvent[]): Set<string> {
  const keys = new Set<string>();
  for (const e of events) {
    if (e.type === "release.created" && typeof e.data.rollbackOf === "number") keys.add(`${e.env}/${e.app}/${e.release}`);
  }
  return keys;
}

const MITIGATIONS = new Set(["release.rolled_back", "rollout.rolled_back", "rollout.aborted", "flag.killed"]);

/**
 * The first rollback, abort, flag kill or flag turned off at or after `from`: what stopped the damage. A flag
 * switched off by hand is written as `flag.changed` (the kill switch writes `flag.killed`); so is undoing the
 * suspect flag change, which counts when it puts that flag back as it was before the suspect change.
 */
export function findMitigation(events: readonly RampartEvent[], from: number, suspect: RampartEvent | null = null): RampartEvent | null {
  const rollbacks = rollbackReleases(events);
  return (
    events.find(
      (e) =>
        e.at >= from &&
        (MITIGATIONS.has(e.type) ||
          (e.type === "release.live" && rollbacks.has(`${e.env}/${e.app}/${e.release}`)) ||
          (e.type === "flag.changed" && e.id !== suspect?.id && (turnedOff(e) || reverts(e, suspect)))),
    ) ?? null
  );
}

/** A `flag.changed` that switched the flag off: everyone gets its off variation. */
export function turnedOff(e: RampartEvent): boolean {
  return enabledOf(e.data.before) === true && enabledOf(e.data.after) === false;
}

/** A `flag.changed` that puts the suspect flag change's flag back to its state before that change. */
function reverts(e: RampartEvent, suspect: RampartEvent | null): boolean {
  if (!suspect?.type.startsWith("flag.")) return false;
  if (typeof e.data.flag !== "string" || e.data.flag !== suspect.data.flag || suspect.data.before === undefined) return false;
  // Compared as the flag writer compares states: keys sorted, so the order a state was built in does not matter.
  return canonical(e.data.after) === canonical(suspect.data.before);
}

function enabledOf(state: unknown): boolean | null {
  if (typeof state !== "object" || state === null || !("enabled" in state)) return null;
  return typeof state.enabled === "boolean" ? state.enabled : null;
}

const CHANGES = new Set([
  "release.deploying",
  "release.live",
  "flag.changed",
  "flag.rollout.started",
  "flag.rollout.step",
  "flag.segment_changed",
]);

/**
 * The edge stamps each per-second aggregate with its second's start and sends it a moment later, so a measured
 * impact can read up to a couple of seconds before the event of the change that caused it.
 */
const MEASUREMENT_SLACK_MS = 2_000;

/** The last deploy or flag change before `before` (within `lookbackMs`): the change most likely to blame. */
export function findSuspect(events: readonly RampartEvent[], before: number, lookbackMs: number): RampartEvent | null {
  const rollbacks = rollbackReleases(events);
  const candidates = events.filter(
    (e) =>
      CHANGES.has(e.type) &&
      e.at <= before + MEASUREMENT_SLACK_MS &&
      e.at >= before - lookbackMs &&
      !rollbacks.has(`${e.env}/${e.app}/${e.release}`),
  );
  const last = candidates.at(-1);
  if (!last) return null;
  // A release's deploying (first traffic) is its change; its later live only finished it.
  if (last.type === "release.live") {
    return (
      candidates.find((e) => e.type === "release.deploying" && e.env === last.env && e.app === last.app && e.release === last.release) ??
      last
    );
  }
  return last;
}

export function suspectOf(e: RampartEvent, evidence: string[]): SuspectChange {
  return { eventId: e.id, type: e.type, at: e.at, env: e.env, app: e.app, release: e.release, message: e.message, evidence };
}

export function ordered(entries: TimelineEntry[]): TimelineEntry[] {
  return entries.sort((a, b) => a.at - b.at || (a.eventId ?? Number.MAX_SAFE_INTEGER) - (b.eventId ?? Number.MAX_SAFE_INTEGER));
}
