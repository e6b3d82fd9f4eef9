import type { EventQuery, RampartEvent } from "../events/event.types.ts";
import type { AlertInstance } from "./alert.types.ts";

/** The kinds of change a notification names as the last one before an alert fired. */
export type ChangeKind = "deploy" | "flag" | "secret";

export interface LastChange {
  kind: ChangeKind;
  /** The event's type and id, to find it in `rampart events`. */
  type: string;
  eventId: number;
  at: number;
  actor: string;
  /** One line of names and versions only (never a secret's value): "secret STRIPE_KEY set (version 3) by alice". */
  summary: string;
}

const KINDS: Readonly<Record<string, ChangeKind>> = {
  "release.deploying": "deploy",
  "release.rolled_back": "deploy",
  "flag.changed": "flag",
  "flag.killed": "flag",
  "flag.segment_changed": "flag",
  "flag.rollout.started": "flag",
  "flag.rollout.step": "flag",
  "secret.set": "secret",
  "secret.unset": "secret",
};

/** How many of the newest events of each kind are read: the newest change before the alert is among them. */
const NEWEST = 50;

function text(value: unknown): string | null {
  return typeof value === "string" || typeof value === "number" ? String(value) : null;
}

/** Built from the event's names and numbers, not its message: what a notification says is decided here. */
function summaryOf(e: RampartEvent): string {
  const by = `by ${e.actor}`;
  switch (e.type) {
    case "release.deploying":
      return `deploy of release ${e.release ?? "?"} ${by}`;
    case "release.rolled_back":
      return `release ${e.release ?? "?"} rolled back ${by}`;
    case "secret.set":
    case "secret.unset":
      return `secret ${text(e.data.name) ?? "?"} ${e.type === "secret.set" ? "set" : "unset"} (version ${text(e.data.version) ?? "?"}) ${by}`;
    default: {
      const what = e.type.slice("flag.".length).replaceAll("_", " ").replaceAll(".", " ");
      return `flag ${text(e.data.flag) ?? "?"} ${what} ${by}`;
    }
  }
}

/**
 * The last deploy, flag change or secret change of the app in the environment at or before `before`, from the event
 * log. Flags belong to an environment (their events name no app), so any flag change there counts.
 */
export async function lastChangeBefore(
  events: { query(filter: EventQuery): Promise<RampartEvent[]> },
  env: string,
  app: string,
  before: number,
): Promise<LastChange | null> {
  const [releases, flags, secrets] = await Promise.all([
    events.query({ env, app, type: "release.", limit: NEWEST }),
    events.query({ env, type: "flag.", limit: NEWEST }),
    events.query({ env, app, type: "secret.", limit: NEWEST }),
  ]);
  let last: RampartEvent | null = null;
  for (const e of [...releases, ...flags, ...secrets]) {
    if (KINDS[e.type] === undefined || e.at > before) continue;
    if (e.type.startsWith("flag.") && e.app !== null && e.app !== app) continue;
    if (last === null || e.at > last.at || (e.at === last.at && e.id > last.id)) last = e;
  }
  if (last === null) return null;
  return {
    kind: KINDS[last.type] ?? "deploy",
    type: last.type,
    eventId: last.id,
    at: last.at,
    actor: last.actor,
    summary: summaryOf(last),
  };
}

/**
 * The alert with its last change as annotations, so every receiver's payload names it (webhook v4 and Alertmanager
 * as annotations, email, Slack and the console in their text): `last_change` (the line), `last_change_kind`
 * (deploy | flag | secret), `last_change_at` (RFC 3339). Unchanged when the alert is about no app or nothing changed.
 */
export async function withLastChange(
  alert: AlertInstance,
  find: (env: string, app: string, before: number) => Promise<LastChange | null>,
  now: number,
): Promise<AlertInstance> {
  const { env, app } = alert.labels;
  if (!env || !app) return alert;
  const change = await find(env, app, alert.firedAt ?? now);
  if (change === null) return alert;
  return {
    ...alert,
    annotations: {
      ...alert.annotations,
      last_change: `${change.summary} at ${new Date(change.at).toISOString()}`,
      last_change_kind: change.kind,
      last_change_at: new Date(change.at).toISOString(),
    },
  };
}

/** A lookup that reads each env × app × instant once (a notifier round passes every firing alert each time). */
export function cachedLastChange(events: {
  query(filter: EventQuery): Promise<RampartEvent[]>;
}): (env: string, app: string, before: number) => Promise<LastChange | null> {
  const cache = new Map<string, Promise<LastChange | null>>();
  return (env, app, before) => {
    const key = `${env}\u0000${app}\u0000${before}`;
    let found = cache.get(key);
    if (found === undefined) {
      // Bounded: alerts come and go; the next round reads again what was dropped.
      if (cache.size >= 1_000) cache.clear();
      found = lastChangeBefore(events, env, app, before).catch(() => null);
      cache.set(key, found);
    }
    return found;
  };
}
