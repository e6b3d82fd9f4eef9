import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../../db/database.ts";
import { EventLog } from "../../events/event-log.ts";
import { eventlessTables, platformMigrations } from "../../platform/migrations.ts";
import { FakeClock } from "../../shared/fake-clock.ts";
import { createAlertNotifier } from "./alert-notify.module.ts";
import { GROUP_INTERVAL_MS, GROUP_WAIT_MS } from "./notify-config.ts";
import type { Notification } from "./notify-dispatcher.ts";
import { alertFixture } from "./notify.fixture.ts";

let dir: string;
let opened: OpenedDatabase;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "rampart-nflog-"));
  opened = await openDatabase(dir, platformMigrations, { audit: { eventless: eventlessTables } });
});
after(async () => {
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

it("a restarted notifier does not notify again what it already had, but does notify what is new", async () => {
  const clock = new FakeClock();
  const sent: Notification[] = [];
  const make = async () => {
    const n = createAlertNotifier({
      db: opened.db,
      events: new EventLog(opened.db, clock),
      clock,
      alerts: () => ({ receivers: { ops: { webhook: "http://127.0.0.1:9/unused" } }, default_receiver: "ops" }),
      externalUrl: "",
      send: async (x) => void sent.push(x),
    });
    await n.start?.();
    return n;
  };
  const a = alertFixture({ alertname: "Down", severity: "critical", env: "production", app: "api", instance: "i1" });
  const first = await make();
  first.notifier.notify([a], clock.now());
  clock.advance(GROUP_WAIT_MS);
  first.tick(clock.now());
  await first.idle();
  assert.equal(sent.length, 1);

  // The control plane restarts: evaluation hands over the same firing alert.
  clock.advance(60_000);
  const second = await make();
  second.notifier.notify([a], clock.now());
  clock.advance(GROUP_WAIT_MS);
  second.tick(clock.now());
  await second.idle();
  assert.equal(sent.length, 1, "not notified again after the restart");

  const b = alertFixture({ alertname: "Down", severity: "critical", env: "production", app: "api", instance: "i2" });
  second.notifier.notify([a, b], clock.now());
  clock.advance(GROUP_INTERVAL_MS);
  second.tick(clock.now());
  await second.idle();
  assert.equal(sent.length, 2);
  assert.equal(sent[1]?.reason, "new alerts added");
  assert.deepEqual(opened.audit?.violations ?? [], []);
});
