import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Notification } from "./notify-dispatcher.ts";
import { alertmanagerV2Alerts, notificationText, webhookV4Payload } from "./notify-payloads.ts";
import { alertFixture } from "./notify.fixture.ts";

const at = Date.UTC(2026, 11, 5, 12, 0, 0);
const firing = alertFixture(
  { alertname: "HighErrorRate", severity: "critical", env: "production", app: "api", release: "7", instance: "a" },
  { at },
);
const resolved = {
  ...alertFixture({ alertname: "HighErrorRate", severity: "critical", env: "production", app: "api", release: "7", instance: "b" }, { at }),
  state: "resolved" as const,
  resolvedAt: at + 60_000,
};

function notification(alerts: Notification["alerts"], reason: Notification["reason"]): Notification {
  return {
    receiver: "ops",
    groupKey: '{}/{severity="critical"}:{alertname="HighErrorRate"}',
    key: 'ops|{}/{severity="critical"}:{alertname="HighErrorRate"}',
    groupLabels: { alertname: "HighErrorRate" },
    reason,
    alerts,
    at: at + 120_000,
    firing: [],
  };
}

describe("notification payloads", () => {
  it("webhook v4: common labels are the ones every alert shares; a resolved alert has its end time", () => {
    const body = webhookV4Payload(notification([firing, resolved], "some alerts resolved"), "http://rampart:7700");
    assert.equal(body.status, "firing", "firing while any alert still fires");
    assert.deepEqual(body.commonLabels, { alertname: "HighErrorRate", severity: "critical", env: "production", app: "api", release: "7" });
    assert.equal(body.alerts[0]?.startsAt, "2026-12-05T12:00:00.000Z");
    assert.equal(body.alerts[0]?.endsAt, "0001-01-01T00:00:00Z");
    assert.equal(body.alerts[1]?.status, "resolved");
    assert.equal(body.alerts[1]?.endsAt, "2026-12-05T12:01:00.000Z");
    assert.equal(webhookV4Payload(notification([resolved], "all alerts resolved"), "").status, "resolved");
  });

  it("Alertmanager v2: a firing alert is valid for four resends, a resolved one ends when it resolved", () => {
    const [a, b] = alertmanagerV2Alerts(notification([firing, resolved], "some alerts resolved"), "http://rampart:7700");
    assert.equal(a?.endsAt, "2026-12-05T12:06:00.000Z");
    assert.equal(b?.endsAt, "2026-12-05T12:01:00.000Z");
    assert.equal(a?.generatorURL, `http://rampart:7700/alerts/${firing.fingerprint}`);
  });

  it("text names env, app and release and offers the fix commands for what still fires", () => {
    const text = notificationText(notification([firing, resolved], "some alerts resolved"));
    assert.match(text, /^\[FIRING:1\] HighErrorRate - app api in production serving release 7 \(some alerts resolved\)/);
    assert.match(text, /fix: rampart rollback api --env production/);
    assert.match(text, /fix: rampart silence create --match app=api --match env=production --for 1h/);
    assert.equal(text.match(/fix: rampart rollback/g)?.length, 1, "no fix offered for the resolved alert");
  });
});
