import { sendEmail } from "../alerts/notify/email.sender.ts";
import type { SmtpSettings } from "../alerts/notify/notify-config.ts";
import type { Page, Pager } from "./escalation.types.ts";

const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * Pages through a person's channels (rampart.yaml oncall.people): a JSON POST to their webhook (a phone-push
 * bridge, ntfy, a chat DM hook) and an email through the SMTP server of the manifest's email receiver. Succeeds
 * when at least one channel took the page.
 */
export function createPager(deps: {
  smtp: () => SmtpSettings | undefined;
  env: Readonly<Record<string, string | undefined>>;
  fetch?: typeof fetch;
}): Pager {
  const post = deps.fetch ?? fetch;
  return {
    async page(page: Page) {
      const failures: string[] = [];
      let sent = 0;
      const { webhook, email } = page.contact ?? {};
      if (webhook) {
        try {
          const res = await post(webhook, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              kind: "rampart.page",
              user: page.user,
              text: page.text,
              alert: { fingerprint: page.escalation.fingerprint, name: page.escalation.alertname, labels: page.escalation.labels },
              escalation: { policy: page.escalation.policy, level: page.escalation.level, round: page.escalation.round },
            }),
            signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
          });
          if (res.ok) sent++;
          else failures.push(`webhook answered ${res.status}`);
        } catch (error) {
          failures.push(`webhook: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (email) {
        const smtp = deps.smtp();
        if (!smtp) failures.push("email: no SMTP server; declare an email receiver with smtp under alerts.receivers");
        else {
          try {
            await sendEmail(
              { kind: "email", to: email, smtp },
              { subject: `[page] ${page.escalation.alertname}`, text: page.text },
              deps.env,
            );
            sent++;
          } catch (error) {
            failures.push(`email: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }
      if (sent === 0 && failures.length > 0) throw new Error(`no channel took the page for ${page.user}: ${failures.join("; ")}`);
    },
  };
}
