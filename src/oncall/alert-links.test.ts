import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { alertFixture } from "../alerts/notify/notify.fixture.ts";
import { notificationText } from "../alerts/notify/notify-payloads.ts";
import { ActionLinkSigner } from "./action-link.ts";
import { withActionLinks } from "./alert-links.ts";

const NOW = 1_800_000_000_000;
const signer = new ActionLinkSigner(() => randomBytes(32));
const base = "https://rampart.example.com:7700";

describe("action links on alerts", () => {
  it("gives a firing critical alert acknowledge, rollback and flag-off links, each single-purpose, and shows them in the text", () => {
    const alert = alertFixture({ alertname: "HighErrorRatio", severity: "critical", env: "production", app: "api", flag: "new-checkout" });
    const linked = withActionLinks(alert, signer, base, NOW);
    const token = (k: string) => (linked.annotations[k] ?? "").replace(`${base}/api/v1/actions/`, "");
    assert.deepEqual(signer.verify(token("acknowledge_url"), NOW).target, alert.fingerprint);
    assert.deepEqual(
      [token("acknowledge_url"), token("rollback_url"), token("flag_off_url")].map((t) => {
        const c = signer.verify(t, NOW);
        return `${c.action} ${c.target}`;
      }),
      [`ack ${alert.fingerprint}`, "rollback production/api", "flag_off production/new-checkout"],
    );
    const text = notificationText({
      receiver: "ops",
      groupKey: "{}:{}",
      key: "ops|{}:{}",
      groupLabels: {},
      reason: "first notification",
      alerts: [linked],
      at: NOW,
      firing: [alert.fingerprint],
    });
    assert.match(text, /acknowledge: https:\/\/rampart\.example\.com:7700\/api\/v1\/actions\//);
    assert.match(text, /rollback: https:\/\//);
    assert.match(text, /flag off: https:\/\//);
  });

  it("offers no acknowledge link for a warning and no links for a resolved alert", () => {
    const warning = withActionLinks(
      alertFixture({ alertname: "SlowP99", severity: "warning", env: "staging", app: "web" }),
      signer,
      base,
      NOW,
    );
    assert.deepEqual(Object.keys(warning.annotations).sort(), ["rollback_url", "summary"]);
    const resolved = alertFixture({ alertname: "X", severity: "critical", env: "staging", app: "web" }, { state: "resolved" });
    assert.equal(withActionLinks(resolved, signer, base, NOW), resolved);
  });
});
