import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../../shared/fake-clock.ts";
import { parseMatcher, matches } from "./label-matcher.ts";
import {
  ALERTMANAGER_RESEND_MS,
  URGENT_GROUP_WAIT_MS,
  GROUP_INTERVAL_MS,
  GROUP_WAIT_MS,
  REPEAT_INTERVAL_MS,
  resolveNotifyConfig,
} from "./notify-config.ts";
import { NotifyDispatcher } from "./notify-dispatcher.ts";
import { alertFixture } from "./notify.fixture.ts";
import type { Silence } from "./silence.types.ts";

const receivers = { ops: { webhook: "http://127.0.0.1:1/hook" }, chat: { slack: "http://127.0.0.1:1/slack" } };

function setup(file: Parameters<typeof resolveNotifyConfig>[0] = { receivers, default_receiver: "ops" }, silences: Silence[] = []) {
  const clock = new FakeClock();
  const config = resolveNotifyConfig(file);
  const dispatcher = new NotifyDispatcher({ config: () => config, silences: () => silences });
  return { clock, dispatcher, silences };
}

describe("label matchers", () => {
  it("supports =, !=, =~ and !~ with anchored RE2 expressions", () => {
    const m = (text: string) => {
      const parsed = parseMatcher(text);
      assert.ok(parsed.ok, text);
      return parsed.matcher;
    };
    const labels = { app: "api", env: "production" };
    assert.equal(matches(m("app=api"), labels), true);
    assert.equal(matches(m("app!=api"), labels), false);
    assert.equal(matches(m('env=~"prod.*"'), labels), true);
    assert.equal(matches(m("env=~prod"), labels), false, "anchored: a prefix is not a match");
    assert.equal(matches(m("app!~web|worker"), labels), true);
    assert.equal(matches(m("team!=core"), labels), true, "a missing label is the empty string");
    assert.equal(matches(m("__proto__=~.+"), labels), false, "inherited properties are not labels");
    assert.equal(matches(m("constructor!=x"), labels), true);
    const bad = parseMatcher("app=~(a");
    assert.equal(bad.ok, false);
    assert.equal(parseMatcher("just text").ok, false);
  });
});

describe("NotifyDispatcher", () => {
  it("a route for critical or warning alerts with no group_wait of its own waits 10 s; others Alertmanager's 30 s; a written one wins", () => {
    const routes = [
      { match: { severity: "critical" }, receiver: "ops" },
      { match: { severity: "warning" }, receiver: "ops" },
      { match: { severity: "info" }, receiver: "chat", group_wait: 0 },
    ];
    const config = resolveNotifyConfig({ receivers, routes, default_receiver: "ops" });
    assert.deepEqual(
      config.routes.map((r) => r.groupWaitMs),
      [URGENT_GROUP_WAIT_MS, URGENT_GROUP_WAIT_MS, 0],
    );
    assert.equal(
      resolveNotifyConfig({ receivers, routes: [{ match: { severity: "critical" }, receiver: "ops", group_wait: 45_000 }] }).routes[0]
        ?.groupWaitMs,
      45_000,
    );
    assert.deepEqual(
      resolveNotifyConfig({ receivers, default_receiver: "ops" }).routes.map((r) => r.groupWaitMs),
      [GROUP_WAIT_MS, URGENT_GROUP_WAIT_MS, URGENT_GROUP_WAIT_MS],
      "the tiered defaults: info 30 s, warning and critical 10 s",
    );
    const { clock, dispatcher } = setup({ receivers, routes, default_receiver: "ops" });
    dispatcher.ingest([alertFixture({ alertname: "HighErrorRate", severity: "critical", env: "production", app: "api" })], clock.now());
    clock.advance(URGENT_GROUP_WAIT_MS - 1);
    assert.deepEqual(dispatcher.flush(clock.now()), []);
    clock.advance(1);
    assert.equal(dispatcher.flush(clock.now()).length, 1);
  });

  it("waits group_wait, notifies once per group, then again only after repeat_interval", () => {
    const { clock, dispatcher } = setup();
    const a = alertFixture({ alertname: "HighErrorRate", severity: "critical", env: "production", app: "api", instance: "i1" });
    const b = alertFixture({ alertname: "HighErrorRate", severity: "critical", env: "production", app: "api", instance: "i2" });
    dispatcher.ingest([a, b], clock.now());
    assert.deepEqual(dispatcher.flush(clock.now()), [], "nothing before group_wait");
    clock.advance(GROUP_WAIT_MS);
    const first = dispatcher.flush(clock.now());
    assert.equal(first.length, 1, "two alerts of one group make one notification");
    assert.equal(first[0]?.receiver, "ops");
    assert.equal(first[0]?.reason, "first notification");
    assert.equal(first[0]?.alerts.length, 2);
    // Evaluation keeps re-sending the same firing alerts every round: no new notification at each group_interval.
    let sent = 0;
    for (let t = GROUP_INTERVAL_MS; t < REPEAT_INTERVAL_MS; t += GROUP_INTERVAL_MS) {
      clock.advance(GROUP_INTERVAL_MS);
      dispatcher.ingest([a, b], clock.now());
      sent += dispatcher.flush(clock.now()).length;
    }
    assert.equal(sent, 0, "no repeat before repeat_interval");
    clock.advance(GROUP_INTERVAL_MS);
    const repeat = dispatcher.flush(clock.now());
    assert.equal(repeat.length, 1);
    assert.equal(repeat[0]?.reason, "repeat interval elapsed");
  });

  it("sends a new alert in an existing group at the next group_interval and resolutions after that", () => {
    const { clock, dispatcher } = setup();
    const a = alertFixture({ alertname: "Crash", severity: "critical", env: "production", app: "api", instance: "i1" });
    dispatcher.ingest([a], clock.now());
    clock.advance(GROUP_WAIT_MS);
    assert.equal(dispatcher.flush(clock.now()).length, 1);
    const b = alertFixture({ alertname: "Crash", severity: "critical", env: "production", app: "api", instance: "i2" });
    dispatcher.ingest([a, b], clock.now() + 1000);
    clock.advance(60_000);
    assert.equal(dispatcher.flush(clock.now()).length, 0, "not before group_interval");
    clock.advance(GROUP_INTERVAL_MS);
    const added = dispatcher.flush(clock.now());
    assert.equal(added[0]?.reason, "new alerts added");
    dispatcher.ingest(
      [
        { ...a, state: "resolved", resolvedAt: clock.now() },
        { ...b, state: "resolved", resolvedAt: clock.now() },
      ],
      clock.now(),
    );
    clock.advance(GROUP_INTERVAL_MS);
    const resolved = dispatcher.flush(clock.now());
    assert.equal(resolved[0]?.reason, "all alerts resolved");
    assert.equal(
      resolved[0]?.alerts.every((x) => x.state === "resolved"),
      true,
    );
    clock.advance(GROUP_INTERVAL_MS);
    assert.equal(dispatcher.flush(clock.now()).length, 0, "the empty group is gone");
  });

  it("routes by tier with no routes written: info to chat, warning to the console, critical to the default receiver", () => {
    const { clock, dispatcher } = setup();
    dispatcher.ingest(
      ["info", "warning", "critical"].map((severity) =>
        alertFixture({ alertname: `A_${severity}`, severity, env: "staging", app: `app-${severity}` }),
      ),
      clock.now(),
    );
    clock.advance(GROUP_WAIT_MS);
    const byReceiver = Object.fromEntries(dispatcher.flush(clock.now()).map((n) => [n.alerts[0]?.labels.severity, n.receiver]));
    assert.deepEqual(byReceiver, { info: "chat", warning: "console", critical: "ops" });
  });

  it("routes by matchers, first match wins unless continue, unmatched alerts go to the default receiver", () => {
    const { clock, dispatcher } = setup({
      receivers,
      default_receiver: "chat",
      routes: [
        { matchers: ['app=~"api|web"', "env!=staging"], receiver: "ops", continue: true, group_wait: 0 },
        { match: { app: "api" }, receiver: "chat", group_wait: 0 },
      ],
    });
    dispatcher.ingest(
      [alertFixture({ alertname: "X", app: "api", env: "production" }), alertFixture({ alertname: "Y", app: "worker", env: "production" })],
      clock.now(),
    );
    const now = dispatcher.flush(clock.now()).map((n) => `${n.alerts[0]?.labels.alertname}->${n.receiver}`);
    assert.deepEqual(now.sort(), ["X->chat", "X->ops"], "group_wait: 0 sends at once");
    clock.advance(GROUP_WAIT_MS);
    const later = dispatcher.flush(clock.now()).map((n) => `${n.alerts[0]?.labels.alertname}->${n.receiver}`);
    assert.deepEqual(later, ["Y->chat"], "the fallback route keeps the default group_wait");
  });

  it("forwards to an Alertmanager receiver at once and every minute, as Prometheus re-sends", () => {
    const { clock, dispatcher } = setup({ receivers: { am: { alertmanager: "http://127.0.0.1:9093" } }, default_receiver: "am" });
    const a = alertFixture({ alertname: "Down", severity: "critical", env: "production", app: "api" });
    dispatcher.ingest([a], clock.now());
    assert.equal(dispatcher.flush(clock.now())[0]?.receiver, "am");
    clock.advance(ALERTMANAGER_RESEND_MS);
    dispatcher.ingest([a], clock.now());
    assert.equal(dispatcher.flush(clock.now())[0]?.reason, "repeat interval elapsed");
  });

  it("inhibits the warnings of an app while a critical alert of the same env and app fires", () => {
    const { clock, dispatcher } = setup();
    const critical = alertFixture({ alertname: "Down", severity: "critical", env: "production", app: "api" });
    const warning = alertFixture({ alertname: "Slow", severity: "warning", env: "production", app: "api" });
    const otherApp = alertFixture({ alertname: "Slow", severity: "warning", env: "production", app: "web" });
    dispatcher.ingest([critical, warning, otherApp], clock.now());
    clock.advance(GROUP_WAIT_MS);
    const sent = dispatcher.flush(clock.now()).flatMap((n) => n.alerts.map((a) => `${a.labels.alertname}/${a.labels.app}`));
    assert.deepEqual(sent.sort(), ["Down/api", "Slow/web"]);
    assert.match(dispatcher.mutedBy(warning, clock.now()) ?? "", /^inhibited by /);
    // The critical one resolves: the warning is no longer inhibited and is sent at the next interval.
    dispatcher.ingest([{ ...critical, state: "resolved", resolvedAt: clock.now() }, warning, otherApp], clock.now());
    clock.advance(GROUP_INTERVAL_MS);
    const after = dispatcher.flush(clock.now()).flatMap((n) => n.alerts.map((a) => `${a.state}:${a.labels.alertname}/${a.labels.app}`));
    assert.deepEqual(after.sort(), ["firing:Slow/api", "resolved:Down/api"]);
  });

  it("a silence mutes matching alerts until it expires; then they are sent as new", () => {
    const clock0 = new FakeClock();
    const silences: Silence[] = [
      {
        id: "s1",
        matchers: ["app=api"],
        author: "alice",
        reason: "deploying a fix",
        startsAt: clock0.now(),
        endsAt: clock0.now() + 3_600_000,
        expiredAt: null,
        expiredBy: null,
      },
    ];
    const { clock, dispatcher } = setup(undefined, silences);
    const a = alertFixture({ alertname: "Down", severity: "critical", env: "production", app: "api" });
    dispatcher.ingest([a], clock.now());
    clock.advance(GROUP_WAIT_MS);
    assert.equal(dispatcher.flush(clock.now()).length, 0, "silenced");
    assert.equal(dispatcher.mutedBy(a, clock.now()), "silenced by s1");
    clock.advance(3_600_000);
    const sent = dispatcher.flush(clock.now());
    assert.equal(sent.length, 1, "sent once the silence ended");
    assert.equal(sent[0]?.reason, "first notification");
  });
});
