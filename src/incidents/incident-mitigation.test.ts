import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import { RequestStatsStore } from "../traffic/request-stats.store.ts";
import { IncidentService } from "./incident.service.ts";
import type { IncidentView } from "./incident.types.ts";
import { alertInstance } from "./alert-instance.fixture.ts";

const S = 1000;
const MIN = 60 * S;

const ON = { enabled: true, prerequisites: [], rules: [], fallthrough: { variation: "old" } };
const NEW_CHECKOUT = { ...ON, fallthrough: { variation: "new" } };
const OFF = { ...NEW_CHECKOUT, enabled: false };

describe("incident mitigation by a flag change, and the postmortem of an incident no alert found", () => {
  let dir: string;
  let opened: OpenedDatabase;
  let log: EventLog;
  let stats: RequestStatsStore;
  const pages: { incident: IncidentView; commands: string[] }[] = [];
  let service: IncidentService;
  const clock = new FakeClock(Date.UTC(2026, 11, 2, 9));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-incident-mitigation-"));
    opened = await openDatabase(dir, platformMigrations);
    log = new EventLog(opened.db, clock);
    stats = new RequestStatsStore(opened.db);
    service = new IncidentService({ db: opened.db, events: log, clock, page: (incident, commands) => pages.push({ incident, commands }) });
  });
  after(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Ten healthy minutes, a flag change, then `failing` of every 10 requests fail until the next call's time. */
  async function flagBreaksApp(env: string, app: string): Promise<{ changedAt: number; impactAt: number }> {
    const second = (status: number, count: number) => ({
      env,
      app,
      release: 1,
      instance: "i1",
      status,
      count,
      sumMs: count * 10,
      buckets: [count],
    });
    const base = clock.now();
    for (let t = 0; t < 10 * MIN; t += S) await stats.insert(base + t, [second(200, 10)]);
    clock.advance(10 * MIN);
    await log.append({
      env,
      type: "flag.changed",
      actor: "bob",
      message: "bob changed checkout",
      data: { flag: "checkout", before: ON, after: NEW_CHECKOUT },
    });
    const changedAt = clock.now();
    for (let t = 3 * S; t < 2 * MIN; t += S) await stats.insert(changedAt + t, [second(200, 6), second(500, 4)]);
    clock.advance(2 * MIN);
    return { changedAt, impactAt: changedAt + 3 * S };
  }

  it("a flag turned off with flag.changed (not the kill switch) is the mitigation; no alert fired goes in what went badly", async () => {
    const { changedAt, impactAt } = await flagBreaksApp("staging", "shop");
    const off = await log.append({
      env: "staging",
      type: "flag.changed",
      actor: "alice",
      message: "alice changed checkout in staging: off",
      data: { flag: "checkout", before: NEW_CHECKOUT, after: OFF },
    });
    clock.advance(MIN);
    const incident = await service.open({ title: "checkout fails", severity: 3, env: "staging", app: "shop" }, "alice");
    assert.equal(pages.length, 0, "a SEV-3 pages nobody at once");
    assert.equal(incident.suspect?.type, "flag.changed");
    assert.equal(incident.suspect?.at, changedAt, "the change that turned the new checkout on is the suspect, not the one turning it off");
    assert.equal(incident.timestamps.impactStarted, impactAt);
    assert.equal(incident.timestamps.mitigated, off.at, "mitigated when the flag was turned off");
    const resolved = await service.setStatus(incident.id, "resolved", "alice");
    assert.equal(resolved.measures.mttmMs, off.at - impactAt);

    const pm = await service.postmortem(incident.id);
    assert.match(pm.recovery, /^Mitigated by flag\.changed \(alice\)/);
    assert.ok(pm.wentBadly.includes("No alert fired: the incident was found by hand (a monitoring gap)."), pm.wentBadly.join("; "));
    assert.match(pm.detection, /^Opened by alice at .* without an alert/);
    assert.equal(pm.impact.failedRequests, 4 * 117, "117 failing seconds of 4 failures, up to the flag turned off");
  });

  it("putting the suspect flag back as it was is a mitigation too; turning a flag on is not", async () => {
    await flagBreaksApp("qa", "shop");
    await log.append({
      env: "qa",
      type: "flag.changed",
      actor: "carol",
      message: "carol turned on another flag",
      data: { flag: "banner", before: { ...ON, enabled: false }, after: ON },
    });
    clock.advance(10 * S);
    const revert = await log.append({
      env: "qa",
      type: "flag.changed",
      actor: "carol",
      message: "carol changed checkout back",
      // The same state as before the suspect change, its keys in another order.
      data: {
        flag: "checkout",
        before: NEW_CHECKOUT,
        after: { fallthrough: { variation: "old" }, rules: [], prerequisites: [], enabled: true },
      },
    });
    clock.advance(MIN);
    const incident = await service.open({ title: "qa checkout", severity: 4, env: "qa", app: "shop" }, "carol");
    assert.equal(incident.timestamps.mitigated, revert.at);
  });

  it("an alert still firing from before its incident was resolved opens no second incident; firing again later does", async () => {
    const alert = (firedAt: number) =>
      alertInstance({
        fingerprint: "fp-web-3",
        rule: "high_error_ratio",
        labels: { alertname: "high_error_ratio", severity: "critical", env: "edge", app: "web", release: "3" },
        activeAt: firedAt - 2 * S,
        firedAt,
      });
    const firedAt = clock.now();
    const first = await service.onAlertFiring(alert(firedAt));
    assert.ok(first);
    clock.advance(30 * S);
    await service.setStatus(first.id, "resolved", "erin");
    clock.advance(S);
    assert.equal(await service.onAlertFiring(alert(firedAt)), null, "the next evaluation round, the same firing");
    assert.equal((await service.list({ env: "edge" })).length, 1);
    clock.advance(10 * MIN);
    const again = await service.onAlertFiring(alert(clock.now()));
    assert.notEqual(again?.id, first.id, "it resolved and fired again: a new incident");
  });

  it("an alert pending since before the app's incident (opened by hand) was resolved opens no new one; a later episode does", async () => {
    const alert = (activeAt: number, firedAt: number) =>
      alertInstance({
        fingerprint: "fp-api-1",
        rule: "high_error_ratio",
        labels: { alertname: "high_error_ratio", severity: "critical", env: "edge", app: "api" },
        activeAt,
        firedAt,
      });
    const pendingSince = clock.now();
    const byHand = await service.open({ title: "api answers 500s", severity: 2, env: "edge", app: "api" }, "erin");
    clock.advance(5 * S);
    await service.setStatus(byHand.id, "resolved", "erin");
    clock.advance(15 * S);
    // The one-minute window still holds the failures: the rule's `for` ends after the resolution.
    assert.equal(await service.onAlertFiring(alert(pendingSince, clock.now())), null);
    assert.equal((await service.list({ env: "edge", app: "api" })).length, 1);
    clock.advance(10 * MIN);
    const later = await service.onAlertFiring(alert(clock.now() - 20 * S, clock.now()));
    assert.ok(later && later.id !== byHand.id, "a condition that began after the resolution is a new episode");
  });

  it("opening a SEV-1 or SEV-2 pages with the commands to respond; a pager that throws does not undo the opening", async () => {
    pages.length = 0; // the alert-opened SEV-2s above paged too
    const incident = await service.open({ title: "everything is down", severity: 1, env: "production", app: "shop" }, "dave");
    assert.equal(pages.length, 1);
    assert.equal(pages[0]?.incident.id, incident.id);
    assert.deepEqual(pages[0]?.commands, [
      `rampart incident show ${incident.id}`,
      `rampart incident role ${incident.id} commander YOUR_NAME`,
      `rampart incident status ${incident.id} identified -m "WHAT YOU FOUND"`,
    ]);
    const throwing = new IncidentService({
      db: opened.db,
      events: log,
      clock,
      page: () => {
        throw new Error("receiver config broken");
      },
    });
    const second = await throwing.open({ title: "api down", severity: 2, env: "production", app: "api" }, "dave");
    assert.equal(second.status, "investigating");
  });
});
