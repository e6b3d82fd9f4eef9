import type { Receiver } from "./notify-config.ts";
import type { Notification } from "./notify-dispatcher.ts";
import { alertmanagerV2Alerts, notificationText, slackPayload, titleOf, webhookV4Payload } from "./notify-payloads.ts";
import { sendEmail } from "./email.sender.ts";

/** Sends one notification to one receiver; throws (with what went wrong) when the receiver did not take it, so it is retried. */
export type SendNotification = (n: Notification, receiver: Receiver) => Promise<void>;

const TIMEOUT_MS = 10_000;

async function postJson(url: string, body: unknown): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": "rampart-alerts" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!res.ok) {
    const text = (await res.text().catch(() => "")).slice(0, 200);
    throw new Error(`${new URL(url).origin} answered HTTP ${res.status}${text ? `: ${text}` : ""}`);
  }
  await res.body?.cancel();
}

export function createSender(deps: { externalUrl: string; env: Readonly<Record<string, string | undefined>> }): SendNotification {
  return async (n, receiver) => {
    switch (receiver.kind) {
      case "webhook":
        return postJson(receiver.url, webhookV4Payload(n, deps.externalUrl));
      case "slack":
        return postJson(receiver.url, slackPayload(n));
      case "alertmanager":
        return postJson(new URL("/api/v2/alerts", receiver.url).toString(), alertmanagerV2Alerts(n, deps.externalUrl));
      case "email":
        return sendEmail(
          receiver,
          { subject: `[${n.alerts.some((a) => a.state !== "resolved") ? "FIRING" : "RESOLVED"}] ${titleOf(n)}`, text: notificationText(n) },
          deps.env,
        );
      case "console":
        // The on-call view is the delivery log itself: nothing to send.
        return;
    }
  };
}
