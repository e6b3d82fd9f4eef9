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
  const groupLabels = { alertname: notice.name };
  const groupKey = `{}/{info}:{alertname=${JSON.stringify(notice.name)},id=${JSON.stringify(notice.id)}}`;
  const receivers = [...new Set(routesFor(config, labels).map((r) => r.receiver))];
  return receivers.map((receiver) => ({
    receiver,
    groupKey,
    key: `${receiver}|${groupKey}`,
    groupLabels,
    reason: "first notification",
    alerts: [alert],
    at: now,
    firing: [],
  }));
}
