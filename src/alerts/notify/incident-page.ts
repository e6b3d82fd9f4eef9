import type { AlertInstance } from "../alert.types.ts";
import type { NotifyConfig } from "./notify-config.ts";
import { toRoutedReceivers } from "./info-notice.ts";
import type { Notification } from "./notify-dispatcher.ts";

/** What an opened incident pages with: its title and the commands to take it on. */
export interface IncidentPage {
  id: number;
  title: string;
  severity: number;
  env: string | null;
  app: string | null;
  commands: string[];
}

/**
 * The notifications paging an opened incident: one per receiver the routes pick for a critical alert of its
 * environment and app (severity is what routing tiers on, so a SEV-1/2 goes where critical alerts go). Sent at
 * once, not grouped or repeated: the incident is one event, and its alerts are routed on their own. Silences are
 * not applied: a silence mutes an alert someone is working on, not the page that an incident needs responders.
 */
export function incidentPageNotifications(config: NotifyConfig, page: IncidentPage, now: number): Notification[] {
  const labels: Record<string, string> = {
    alertname: "incident_opened",
    severity: "critical",
    incident: String(page.id),
    incident_severity: `SEV-${page.severity}`,
  };
  if (page.env !== null) labels.env = page.env;
  if (page.app !== null) labels.app = page.app;
  const alert: AlertInstance = {
    fingerprint: `incident-${page.id}`,
    rule: "incident_opened",
    labels,
    annotations: {
      summary: `SEV-${page.severity} incident ${page.id} opened: ${page.title}`,
      description: page.commands.join("\n"),
    },
    state: "firing",
    value: page.severity,
    activeAt: now,
    firedAt: now,
    resolvedAt: null,
  };
  const groupLabels = { alertname: labels.alertname ?? "", incident: String(page.id) };
  const groupKey = `{}/{incident}:{incident=${JSON.stringify(String(page.id))}}`;
  return toRoutedReceivers(config, alert, { groupKey, groupLabels, at: now, firing: [alert.fingerprint] });
}
