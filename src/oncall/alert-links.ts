import type { AlertInstance } from "../alerts/alert.types.ts";
import type { ActionLinkSigner } from "./action-link.ts";

/**
 * The signed links a firing alert's notification offers, as annotations (so every receiver's payload carries them:
 * webhook v4, Alertmanager, and the text of email, Slack and the console): acknowledge a critical alert's
 * escalation, roll back the app in its environment, turn off the flag the alert names (a `flag` label).
 */
export function withActionLinks(alert: AlertInstance, signer: ActionLinkSigner, baseUrl: string, now: number): AlertInstance {
  if (alert.state === "resolved") return alert;
  const url = (token: string) => `${baseUrl}/api/v1/actions/${token}`;
  const { env, app, flag, severity } = alert.labels;
  const links: Record<string, string> = {};
  if (severity === "critical") links.acknowledge_url = url(signer.sign("ack", alert.fingerprint, now));
  if (env && app) links.rollback_url = url(signer.sign("rollback", `${env}/${app}`, now));
  if (env && flag) links.flag_off_url = url(signer.sign("flag_off", `${env}/${flag}`, now));
  return { ...alert, annotations: { ...alert.annotations, ...links } };
}
