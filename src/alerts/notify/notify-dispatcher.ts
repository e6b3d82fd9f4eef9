import type { AlertInstance } from "../alert.types.ts";
import { matchesAll, parseMatcher, formatMatcher, type LabelMatcher } from "./label-matcher.ts";
import type { NotifyConfig, NotifyRoute } from "./notify-config.ts";
import type { GroupNotified } from "./notify-log.store.ts";
import { isActive, type Silence } from "./silence.types.ts";

export type NotificationReason =
  | "first notification"
  | "new alerts added"
  | "some alerts resolved"
  | "all alerts resolved"
  | "repeat interval elapsed";

/** One message to one receiver about one group: what Alertmanager's dispatcher flushes. */
export interface Notification {
  receiver: string;
  /** Alertmanager's form: `{}/{route matchers}:{group labels}` (webhook v4 `groupKey`). */
  groupKey: string;
  /** The group's identity here: receiver and groupKey (routes that `continue` may share a groupKey). */
  key: string;
  groupLabels: Record<string, string>;
  reason: NotificationReason;
  /** Firing alerts (not silenced or inhibited) and the alerts that resolved since the group was last notified. */
  alerts: AlertInstance[];
  at: number;
  /** Fingerprints of the alerts firing in this notification: what the notification log records. */
  firing: string[];
}

interface Group {
  key: string;
  groupKey: string;
  route: NotifyRoute;
  labels: Record<string, string>;
  alerts: Map<string, AlertInstance>;
  nextFlushAt: number;
  lastSentAt: number | null;
  /** Fingerprints of the firing alerts in the last notification sent. */
  lastFiring: Set<string>;
}

/**
 * Alertmanager's dispatch, in process: each alert goes to the groups of the routes it matches; a new group waits
 * `group_wait` before its first notification, then is looked at every `group_interval` and notified only when its
 * alerts changed, or when `repeat_interval` passed since the last notification. Silenced and inhibited alerts stay
 * in their groups but are left out of what is sent, so a silence expiring makes its alerts "new" again.
 * Pure state and time: callers pass `now`, which lets tests drive hours of grouping with a fake clock.
 */
export class NotifyDispatcher {
  readonly #config: () => NotifyConfig;
  readonly #silences: () => readonly Silence[];
  readonly #groups = new Map<string, Group>();
  /** Every alert currently firing, for inhibition. */
  readonly #firing = new Map<string, AlertInstance>();

  readonly #notified: (groupKey: string) => GroupNotified | undefined;

  /** `notified` answers what a group was told before this process began (the notification log), so a restart does not page again. */
  constructor(deps: {
    config: () => NotifyConfig;
    silences: () => readonly Silence[];
    notified?: (groupKey: string) => GroupNotified | undefined;
  }) {
    this.#config = deps.config;
    this.#silences = deps.silences;
    this.#notified = deps.notified ?? (() => undefined);
  }

  ingest(alerts: readonly AlertInstance[], now: number): void {
    const config = this.#config();
    for (const alert of alerts) {
      if (alert.state === "firing") this.#firing.set(alert.fingerprint, alert);
      else this.#firing.delete(alert.fingerprint);
      if (alert.state === "pending") continue;
      for (const route of routesFor(config, alert.labels)) {
        const labels = groupLabels(route, alert.labels);
        const amKey = groupKey(route, labels);
        const key = `${route.receiver}|${amKey}`;
        let group = this.#groups.get(key);
        if (!group) {
          if (alert.state !== "firing") continue; // a resolution for a group nobody was told about
          const before = this.#notified(key);
          group = {
            key,
            groupKey: amKey,
            route,
            labels,
            alerts: new Map(),
            nextFlushAt: now + route.groupWaitMs,
            lastSentAt: before?.lastSentAt ?? null,
            lastFiring: new Set(before?.firing ?? []),
          };
          this.#groups.set(key, group);
        }
        group.alerts.set(alert.fingerprint, alert);
      }
    }
  }

  /** The notifications due at `now`, in group order. */
  flush(now: number): Notification[] {
    const due: Notification[] = [];
    for (const group of this.#groups.values()) {
      if (group.nextFlushAt > now) continue;
      const notification = this.#flushGroup(group, now);
      if (notification) due.push(notification);
      group.nextFlushAt = now + group.route.groupIntervalMs;
      if (group.alerts.size === 0) this.#groups.delete(group.key);
    }
    return due;
  }

  /** Why an alert is not being sent now, or null: "silenced by ID" / "inhibited by FINGERPRINT". */
  mutedBy(alert: AlertInstance, now: number): string | null {
    const silence = this.#silences().find((s) => isActive(s, now) && matchesAll(silenceMatchers(s), alert.labels));
    if (silence) return `silenced by ${silence.id}`;
    for (const rule of this.#config().inhibit) {
      if (!matchesAll(rule.target, alert.labels)) continue;
      for (const source of this.#firing.values()) {
        if (source.fingerprint === alert.fingerprint || !matchesAll(rule.source, source.labels)) continue;
        if (rule.equal.every((l) => labelOf(source.labels, l) === labelOf(alert.labels, l))) return `inhibited by ${source.fingerprint}`;
      }
    }
    return null;
  }

  #flushGroup(group: Group, now: number): Notification | null {
    const firing: AlertInstance[] = [];
    const resolved: AlertInstance[] = [];
    for (const alert of group.alerts.values()) {
      if (alert.state === "resolved") {
        if (group.lastFiring.has(alert.fingerprint)) resolved.push(alert);
        group.alerts.delete(alert.fingerprint);
      } else if (this.mutedBy(alert, now) === null) {
        firing.push(alert);
      }
    }
    const reason = decide(group, firing, resolved, now);
    if (!reason) return null;
    group.lastSentAt = now;
    group.lastFiring = new Set(firing.map((a) => a.fingerprint));
    return {
      receiver: group.route.receiver,
      groupKey: group.groupKey,
      key: group.key,
      groupLabels: group.labels,
      reason,
      alerts: [...firing, ...resolved],
      at: now,
      firing: [...group.lastFiring],
    };
  }
}

function decide(group: Group, firing: AlertInstance[], resolved: AlertInstance[], now: number): NotificationReason | null {
  if (group.lastSentAt === null) return firing.length > 0 ? "first notification" : null;
  if (firing.some((a) => !group.lastFiring.has(a.fingerprint))) return "new alerts added";
  if (resolved.length > 0) return firing.length === 0 ? "all alerts resolved" : "some alerts resolved";
  if (firing.length > 0 && now - group.lastSentAt >= group.route.repeatIntervalMs) return "repeat interval elapsed";
  return null;
}

export function routesFor(config: NotifyConfig, labels: Readonly<Record<string, string>>): NotifyRoute[] {
  const matched: NotifyRoute[] = [];
  for (const route of config.routes) {
    if (!matchesAll(route.matchers, labels)) continue;
    matched.push(route);
    if (!route.continue) break;
  }
  return matched.length > 0 ? matched : [config.fallback];
}

function groupLabels(route: NotifyRoute, labels: Readonly<Record<string, string>>): Record<string, string> {
  // group_by: ['...'] groups by every label, i.e. one group per alert (Alertmanager's way to turn grouping off).
  const names = route.groupBy.includes("...") ? Object.keys(labels).sort() : route.groupBy;
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = labelOf(labels, name);
    if (value !== "") out[name] = value;
  }
  return out;
}

/** Alertmanager's form: the route's matchers, then `:`, then the group labels. */
function groupKey(route: NotifyRoute, labels: Record<string, string>): string {
  const path = `{}/{${route.matchers.map(formatMatcher).join(",")}}`;
  const group = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",");
  return `${path}:{${group}}`;
}

/** A label's value, "" when absent; own keys only, so `constructor` is never Object's. */
function labelOf(labels: Readonly<Record<string, string>>, name: string): string {
  return Object.hasOwn(labels, name) ? (labels[name] ?? "") : "";
}

const silenceCache = new WeakMap<Silence, LabelMatcher[]>();
function silenceMatchers(s: Silence): LabelMatcher[] {
  let list = silenceCache.get(s);
  if (!list) {
    list = s.matchers.flatMap((text) => {
      const parsed = parseMatcher(text);
      return parsed.ok ? [parsed.matcher] : [];
    });
    silenceCache.set(s, list);
  }
  return list;
}
