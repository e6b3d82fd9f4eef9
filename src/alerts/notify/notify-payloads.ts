import type { AlertInstance } from "../alert.types.ts";
import { ALERTMANAGER_RESEND_MS } from "./notify-config.ts";
import type { Notification } from "./notify-dispatcher.ts";

/** Alertmanager's zero time for an alert that has not ended. */
const ZERO_TIME = "0001-01-01T00:00:00Z";

/** The payloads each receiver kind sends, built from one notification. Pure, so each shape is tested on its own. */

function common(alerts: readonly AlertInstance[], pick: (a: AlertInstance) => Record<string, string>): Record<string, string> {
  const [first, ...rest] = alerts;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(pick(first))) if (rest.every((a) => pick(a)[k] === v)) out[k] = v;
  return out;
}

function rfc3339(ms: number | null): string {
  return ms === null ? ZERO_TIME : new Date(ms).toISOString();
}

/** Alertmanager's webhook v4 payload (notify/webhook/webhook.go, template/template.go). */
export function webhookV4Payload(n: Notification, externalUrl: string) {
  const firing = n.alerts.some((a) => a.state === "firing");
  return {
    version: "4",
    groupKey: n.groupKey,
    truncatedAlerts: 0,
    status: firing ? "firing" : "resolved",
    receiver: n.receiver,
    groupLabels: n.groupLabels,
    commonLabels: common(n.alerts, (a) => a.labels),
    commonAnnotations: common(n.alerts, (a) => a.annotations),
    externalURL: externalUrl,
    notification_reason: n.reason,
    alerts: n.alerts.map((a) => ({
      status: a.state === "resolved" ? "resolved" : "firing",
      labels: a.labels,
      annotations: a.annotations,
      startsAt: rfc3339(a.firedAt ?? a.activeAt),
      endsAt: rfc3339(a.resolvedAt),
      generatorURL: `${externalUrl}/alerts/${a.fingerprint}`,
      fingerprint: a.fingerprint,
    })),
  };
}

/** The body of Alertmanager's `POST /api/v2/alerts` (postableAlerts): a resolved alert carries its end time. */
export function alertmanagerV2Alerts(n: Notification, externalUrl: string) {
  return n.alerts.map((a) => ({
    labels: a.labels,
    annotations: a.annotations,
    startsAt: rfc3339(a.firedAt ?? a.activeAt),
    // A firing alert stays valid for four resends: if Rampart stops sending, Alertmanager resolves it by itself.
    endsAt: rfc3339(a.resolvedAt ?? n.at + 4 * ALERTMANAGER_RESEND_MS),
    generatorURL: `${externalUrl}/alerts/${a.fingerprint}`,
  }));
}

const LINK_ANNOTATIONS = ["acknowledge_url", "rollback_url", "flag_off_url"] as const;

/** What to type to fix it: the rollback of the app in its environment, and muting it while someone works on it. */
export function fixCommands(a: AlertInstance): string[] {
  const { env, app } = a.labels;
  const commands: string[] = [];
  if (env && app) commands.push(`rampart rollback ${app} --env ${env}`);
  if (app) commands.push(`rampart silence create --match app=${app}${env ? ` --match env=${env}` : ""} --for 1h --reason "investigating"`);
  return commands;
}

function where(a: AlertInstance): string {
  const { env, app, release } = a.labels;
  const parts = [app ? `app ${app}` : null, env ? `in ${env}` : null, release ? `serving release ${release}` : null].filter(Boolean);
  return parts.length > 0 ? parts.join(" ") : "the project";
}

/** Plain text naming env, app and the release serving, and offering the fix commands (email body, console entry, Slack fallback). */
export function notificationText(n: Notification): string {
  const firing = n.alerts.filter((a) => a.state !== "resolved");
  const resolved = n.alerts.filter((a) => a.state === "resolved");
  const lines = [`[${firing.length > 0 ? `FIRING:${firing.length}` : "RESOLVED"}] ${titleOf(n)} (${n.reason})`];
  for (const a of n.alerts) {
    lines.push(
      "",
      `${a.state === "resolved" ? "RESOLVED" : "FIRING"} ${a.labels.alertname ?? a.rule} [${a.labels.severity ?? "?"}] - ${where(a)}`,
    );
    if (a.annotations.summary) lines.push(`  ${a.annotations.summary}`);
    // The last deploy, flag or secret change before it fired (src/alerts/last-change.ts): the first suspect.
    if (a.annotations.last_change) lines.push(`  last change: ${a.annotations.last_change}`);
    if (a.annotations.description) lines.push(`  ${a.annotations.description}`);
    if (a.annotations.runbook_url) lines.push(`  runbook: ${a.annotations.runbook_url}`);
    if (a.state !== "resolved") for (const c of fixCommands(a)) lines.push(`  fix: ${c}`);
    // Signed one-click links (src/oncall/alert-links.ts): they expire after an hour and need a login.
    if (a.state !== "resolved")
      for (const k of LINK_ANNOTATIONS)
        if (a.annotations[k]) lines.push(`  ${k.replace(/_url$/, "").replace("_", " ")}: ${a.annotations[k]}`);
  }
  if (resolved.length > 0 && firing.length > 0) lines.push("", `${resolved.length} resolved since the last notification.`);
  return lines.join("\n");
}

export function titleOf(n: Notification): string {
  const name = n.groupLabels.alertname ?? n.alerts[0]?.labels.alertname ?? "alert";
  const first = n.alerts[0];
  return first ? `${name} - ${where(first)}` : name;
}

/** A Slack-compatible incoming-webhook body: `text` for notifications and clients without blocks, `blocks` for the message. */
export function slackPayload(n: Notification) {
  const firing = n.alerts.some((a) => a.state !== "resolved");
  const header = `${firing ? ":rotating_light:" : ":white_check_mark:"} ${firing ? "FIRING" : "RESOLVED"} ${titleOf(n)}`;
  return {
    text: notificationText(n),
    blocks: [
      { type: "header", text: { type: "plain_text", text: header.slice(0, 150) } },
      ...n.alerts.slice(0, 20).map((a) => ({
        type: "section",
        text: {
          type: "mrkdwn",
          text: [
            `*${a.state === "resolved" ? "Resolved" : "Firing"}:* ${a.labels.alertname ?? a.rule} [${a.labels.severity ?? "?"}] - ${where(a)}`,
            a.annotations.summary ?? "",
            a.annotations.last_change ? `_last change:_ ${a.annotations.last_change}` : "",
            ...(a.state !== "resolved" ? fixCommands(a).map((c) => `\`${c}\``) : []),
          ]
            .filter((line) => line.length > 0)
            .join("\n"),
        },
      })),
      { type: "context", elements: [{ type: "mrkdwn", text: `${n.reason} · group ${n.groupKey}` }] },
    ],
  };
}
