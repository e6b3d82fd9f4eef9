import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIssue, ManifestError } from "../../config/manifest-error.ts";
import { parseManifest } from "../../config/manifest.loader.ts";
import { GROUP_INTERVAL_MS, REPEAT_INTERVAL_MS, resolveNotifyConfig } from "./notify-config.ts";

const HEAD = `name: shop
environments:
  production: { port: 8080 }
apps:
  web: { source: ./web, run: node server.js }
`;

function errorsOf(alerts: string): string[] {
  try {
    parseManifest(HEAD + alerts, "rampart.yaml");
  } catch (error) {
    if (error instanceof ManifestError) return error.issues.map(formatIssue);
    throw error;
  }
  return assert.fail("expected a ManifestError");
}

describe("alerts: notification keys in rampart.yaml", () => {
  it("takes the shape the issue fixes", () => {
    const manifest = parseManifest(
      `${HEAD}alerts:
  receivers:
    ops: { webhook: "https://hooks.example.com/alerts" }
    chat: { slack: "https://hooks.slack.com/services/T/B/X" }
    pager: { email: oncall@example.com, smtp: { host: smtp.example.com, port: 587, from: rampart@example.com, username: rampart, password_env: SMTP_PASSWORD } }
    am: { alertmanager: "http://127.0.0.1:9093" }
  routes:
    - { match: { severity: critical }, receiver: pager, group_by: [alertname, app], group_wait: 10s, repeat_interval: 1h, continue: true }
    - { matchers: ['app=~"api|web"'], receiver: ops }
  default_receiver: ops
  inhibit:
    - { source_match: { severity: critical }, target_match: { severity: info }, equal: [app] }
`,
      "rampart.yaml",
    );
    const config = resolveNotifyConfig(manifest.alerts);
    assert.deepEqual(Object.keys(config.receivers).sort(), ["am", "chat", "console", "ops", "pager"]);
    assert.deepEqual(config.receivers.pager, {
      kind: "email",
      to: "oncall@example.com",
      smtp: {
        host: "smtp.example.com",
        port: 587,
        from: "rampart@example.com",
        username: "rampart",
        passwordEnv: "SMTP_PASSWORD",
        secure: undefined,
      },
    });
    const [first, second] = config.routes;
    assert.equal(first?.groupWaitMs, 10_000);
    assert.equal(first?.groupIntervalMs, GROUP_INTERVAL_MS);
    assert.equal(first?.repeatIntervalMs, 3_600_000);
    assert.equal(first?.continue, true);
    assert.deepEqual(second?.matchers, [{ name: "app", op: "=~", value: "api|web" }]);
    assert.equal(second?.repeatIntervalMs, REPEAT_INTERVAL_MS);
    assert.equal(config.fallback.receiver, "ops");
    assert.equal(config.inhibit.length, 1);
  });

  it("names the field of each mistake", () => {
    const errors = errorsOf(`alerts:
  receivers:
    ops: { webhook: "not a url" }
    both: { webhook: "https://a.example.com", slack: "https://b.example.com" }
    mail: { email: oncall@example.com }
  routes:
    - { match: { severity: critical }, receiver: pagr }
    - { matchers: ["app=~(api"], receiver: ops, group_wait: soon }
  default_receiver: nobody
`);
    const find = (path: string) =>
      errors.find((e) => e.includes(` ${path}: `)) ?? assert.fail(`no error at ${path}:\n${errors.join("\n")}`);
    assert.match(find("alerts.receivers.ops.webhook"), /expected an http\(s\) URL/);
    assert.match(find("alerts.receivers.both"), /exactly one of webhook, slack, email, alertmanager, console; got webhook and slack/);
    assert.match(find("alerts.receivers.mail.smtp"), /an email receiver needs smtp/);
    assert.match(find("alerts.routes[1].matchers[0]"), /not an RE2 regular expression/);
    assert.match(find("alerts.routes[1].group_wait"), /duration/);
    assert.match(find("alerts.routes[0].receiver"), /unknown receiver "pagr"; declared: ops, both, mail/);
    assert.match(find("alerts.default_receiver"), /unknown receiver "nobody"/);
  });
});
