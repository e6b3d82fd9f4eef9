import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../../db/database.ts";
import { EventLog } from "../../events/event-log.ts";
import { eventlessTables, platformMigrations } from "../../platform/migrations.ts";
import { RampartError } from "../../shared/errors.ts";
import { FakeClock } from "../../shared/fake-clock.ts";
import { createAlertNotifier } from "./alert-notify.module.ts";
import type { Notification } from "./notify-dispatcher.ts";
import { GROUP_INTERVAL_MS, GROUP_WAIT_MS } from "./notify-config.ts";
import { alertFixture } from "./notify.fixture.ts";
import type { AlertNotifyFile } from "./notify.schema.ts";

describe("silences", () => {
  let dir: string;
  let opened: OpenedDatabase;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-silence-"));
    // The audit fails any transaction that writes a silence without its event.
    opened = await openDatabase(dir, platformMigrations, { audit: { eventless: eventlessTables } });
  });
  after(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A notifier on a fake clock whose sends are recorded, not made. */
  async function recordingNotifier(alerts: AlertNotifyFile | undefined) {
    const clock = new FakeClock();
    const events = new EventLog(opened.db, clock);
    const sent: Notification[] = [];
    const notify = createAlertNotifier({
      db: opened.db,
      events,
      clock,
      alerts: () => alerts,
      externalUrl: "http://127.0.0.1:7700",
      send: async (n) => void sent.push(n),
    });
    await notify.start?.();
    return { clock, events, sent, notify };
  }

  it("a silence mutes matching alerts, then expiring it lets them through; both are events with the author", async () => {
    const { clock, events, sent, notify } = await recordingNotifier({
      receivers: { ops: { webhook: "http://127.0.0.1:9/unused" } },
      default_receiver: "ops",
    });
    const silence = await notify.silences.create(
      { matchers: ["app=api", "env=production"], durationMs: 2 * 3_600_000, reason: "migrating the database" },
      "alice",
    );
    assert.equal(silence.state, "active");
    assert.equal(silence.author, "alice");

    const down = alertFixture({ alertname: "Down", severity: "critical", env: "production", app: "api" });
    const web = alertFixture({ alertname: "Down", severity: "critical", env: "production", app: "web" });
    notify.notifier.notify([down, web], clock.now());
    clock.advance(GROUP_WAIT_MS);
    notify.tick(clock.now());
    await notify.idle();
    assert.deepEqual(
      sent.flatMap((n) => n.alerts.map((a) => a.labels.app)),
      ["web"],
      "the api alert is silenced, web's is not",
    );

    clock.advance(60_000);
    const expired = await notify.silences.expire(silence.id, "bob");
    assert.equal(expired.state, "expired");
    assert.equal(expired.expiredBy, "bob");
    clock.advance(GROUP_INTERVAL_MS);
    notify.tick(clock.now());
    await notify.idle();
    assert.equal(sent.at(-1)?.alerts[0]?.labels.app, "api");
    assert.equal(sent.at(-1)?.reason, "first notification");

    const log = await events.query({ type: "silence.", limit: 10 });
    assert.deepEqual(
      log.map((e) => [e.type, e.actor, e.app]),
      [
        ["silence.created", "alice", "api"],
        ["silence.expired", "bob", "api"],
      ],
    );
    assert.deepEqual(
      (await notify.silences.list({ all: false })).map((s) => s.id),
      [],
      "an expired silence is no longer listed as current",
    );
    assert.equal((await notify.silences.list({ all: true }))[0]?.state, "expired");
    // Expiring again is harmless.
    assert.equal((await notify.silences.expire(silence.id, "bob")).state, "expired");
    assert.equal((await events.query({ type: "silence.expired", limit: 10 })).length, 1);
    assert.deepEqual(opened.audit?.violations ?? [], []);
  });

  it("a silence ends by itself at its expiry", async () => {
    const { clock, sent, notify } = await recordingNotifier(undefined);
    await notify.silences.create({ matchers: ['app=~"work.*"'], durationMs: 3_600_000, reason: "noisy during the backfill" }, "alice");
    notify.notifier.notify([alertFixture({ alertname: "Slow", severity: "warning", env: "staging", app: "worker" })], clock.now());
    clock.advance(GROUP_WAIT_MS);
    notify.tick(clock.now());
    assert.equal(sent.length, 0);
    clock.advance(3_600_000);
    notify.tick(clock.now());
    await notify.idle();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.receiver, "console", "warnings go to the on-call view by default");
  });

  it("refuses silences without matchers, that would mute everything, without a reason or too long", async () => {
    const clock = new FakeClock();
    const notify = createAlertNotifier({
      db: opened.db,
      events: new EventLog(opened.db, clock),
      clock,
      alerts: () => undefined,
      externalUrl: "",
    });
    const refused = async (input: Parameters<typeof notify.silences.create>[0], message: RegExp) => {
      await assert.rejects(notify.silences.create(input, "alice"), (error: unknown) => {
        assert.ok(error instanceof RampartError);
        assert.equal(error.code, "invalid_request");
        assert.match(error.message, message);
        assert.match(error.hint, /rampart silence create|--match|matchers look like/);
        return true;
      });
    };
    await refused({ matchers: [], durationMs: 60_000, reason: "x" }, /at least one label matcher/);
    await refused({ matchers: ["app!=api"], durationMs: 60_000, reason: "x" }, /would silence every alert/);
    await refused({ matchers: ["app=~(x"], durationMs: 60_000, reason: "x" }, /RE2/);
    await refused({ matchers: ["app=api"], durationMs: 60_000, reason: "  " }, /needs a reason/);
    await refused({ matchers: ["app=api"], durationMs: 90 * 86_400_000, reason: "x" }, /from 1s to 30d/);
  });
});
