import type { AlertInstance } from "../alert.types.ts";
import type { NotifyConfig } from "./notify-config.ts";
import { type Notification, routesFor } from "./notify-dispatcher.ts";

/** Something receivers should read but nobody must act on now (e.g. an experiment's weekly report). */
export interface InfoNotice {
  /** Becomes `alertname`: what routes match on, e.g. `experiment_report`. */
  name: string;
  /** Identifies this notice: a notice with the same id is a new notification, not a repeat the grouping drops. */
  id: string;
  summary: string;
  /** The body (Markdown). */
  description: string;
  /** `env`, `app`, `flag`, …: what routes may match on besides `alertname` and `severity` (always `info`). */
  labels: Record<string, string>;
}

/**
 * The notifications of an info notice: one per receiver the routes pick for its labels at severity `info`. Sent
 * once, at once, and resolved already (there is nothing to fix, so receivers that track firing alerts do not keep an
 * open one); not grouped, repeated or silenced, as an incident page is not.
 */
export function infoNotifications(config: NotifyConfig, notice: InfoNotice, now: number): Notification[] {
  const labels: Record<string, string> = { ...notice.labels, alertname: notice.name, severity: "info" };
  const alert: AlertInstance = {
    fingerprint: `${notice.name}-${notice.id}`,
    rule: notice.name,
    labels,
    annotations: { summary: notice.summary, description: notice.description },
    state: "resolved",
    value: 0,
    activeAt: now,
    firedAt: now,
    resolvedAt: now,
  };
  const groupKey = `{}/{info}:{alertname=${JSON.stringify(notice.name)},id=${JSON.stringify(notice.id)}}`;
  return toRoutedReceivers(config, alert, { groupKey, groupLabels: { alertname: notice.name }, at: now, firing: [] });
}

/**
 * One alert sent at once (not grouped or repeated) to every receiver the routes pick for its labels: how an incident
 * page and an info notice become notifications.
 */
export function toRoutedReceivers(
  config: NotifyConfig,
  alert: AlertInstance,
  group: { groupKey: string; groupLabels: Record<string, string>; at: number; firing: string[] },
): Notification[] {
  const receivers = [...new Set(routesFor(config, alert.labels).map((r) => r.receiver))];
  return receivers.map((receiver) => ({
    receiver,
    groupKey: group.groupKey,
    key: `${receiver}|${group.groupKey}`,
    groupLabels: group.groupLabels,
    reason: "first notification",
    alerts: [alert],
    at: group.at,
    firing: group.firing,
  }));
}
