import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { RampartError } from "../shared/errors.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import { RequestStatsStore } from "../traffic/request-stats.store.ts";
import { IncidentService, listenForRollbacks } from "./incident.service.ts";
import { alertInstance } from "./alert-instance.fixture.ts";

const S = 1000;
const MIN = 60 * S;

const alert = alertInstance;

describe("IncidentService", () => {
  let dir: string;
  let opened: OpenedDatabase;
  let log: EventLog;
  let service: IncidentService;
  const clock = new FakeClock(Date.UTC(2026, 11, 1, 12));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-incidents-"));
    opened = await openDatabase(dir, platformMigrations);
    log = new EventLog(opened.db, clock);
    service = new IncidentService({ db: opened.db, events: log, clock });
  });
  after(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("moves through the statuses with typed timestamps, and a resolved incident no longer changes", async () => {
    const opened0 = clock.now();
    const incident = await service.open({ title: "checkout errors", severity: 2, env: "staging", app: "shop" }, "alice");
    assert.equal(incident.status, "investigating");
    assert.equal(incident.timestamps.detected, opened0);
    assert.equal(incident.timestamps.acknowledged, null);
    clock.advance(2 * MIN);
    const withCommander = await service.assignRole(incident.id, "commander", "bob", "bob");
    assert.equal(withCommander.roles.commander, "bob");
    assert.equal(withCommander.timestamps.acknowledged, opened0 + 2 * MIN, "the first person acting on it acknowledges it");
    await service.assignRole(incident.id, "sme", "carol", "bob");
    await service.assignRole(incident.id, "sme", "dave", "bob");
    clock.advance(MIN);
    await service.setStatus(incident.id, "identified", "bob", "bad config");
    clock.advance(MIN);
    const monitoring = await service.setStatus(incident.id, "monitoring", "bob");
    assert.equal(monitoring.timestamps.mitigated, opened0 + 4 * MIN, "no rollback in the log: mitigated when it went to monitoring");
    await service.note(incident.id, "error ratio back to baseline", "carol");
    clock.advance(5 * MIN);
    const resolved = await service.setStatus(incident.id, "resolved", "bob");
    assert.equal(resolved.timestamps.resolved, opened0 + 9 * MIN);
    assert.deepEqual(resolved.roles.sme, ["carol", "dave"]);
    assert.equal(resolved.measures.mttrMs, 9 * MIN, "no impact measured: from detection");
    assert.equal(resolved.measures.mttaMs, 2 * MIN);
    assert.equal(resolved.postmortem, "owed", "SEV-2 owes a postmortem");
    await assert.rejects(
      service.setStatus(incident.id, "investigating", "bob"),
      (e: unknown) => e instanceof RampartError && e.code === "incident_resolved",
    );
    const types = (await service.timeline(incident.id)).filter((e) => e.kind === "incident").map((e) => e.type);
    assert.deepEqual(types, [
      "incident.opened",
      "incident.role_assigned",
      "incident.role_assigned",
      "incident.role_assigned",
      "incident.status_changed",
      "incident.status_changed",
      "incident.note",
      "incident.status_changed",
    ]);
  });

  it("opens one incident for a critical alert and joins later alerts of the same app to it", async () => {
    const first = await service.onAlertFiring(alert({ firedAt: clock.now() - 30 * S }));
    assert.ok(first);
    assert.equal(first.openedBy, "rampart");
    assert.equal(first.timestamps.detected, clock.now() - 30 * S);
    const second = await service.onAlertFiring(alert({ fingerprint: "f2", rule: "HighLatency" }));
    assert.equal(second?.id, first.id);
    assert.deepEqual(second?.alerts, ["f1", "f2"]);
    assert.equal(await service.onAlertFiring(alert({ fingerprint: "f3", labels: { alertname: "x", severity: "warning" } })), null);
    await service.setStatus(first.id, "resolved", "erin");
  });

  it("measures impact start from request stats, names the suspect deploy, and finds the rollback as mitigation", async () => {
    const stats = new RequestStatsStore(opened.db);
    const base = clock.now();
    const unlisten = listenForRollbacks(log, service);
    const labels = { env: "production", app: "web" };
    const series = (release: number, status: number, count: number) => ({
      ...labels,
      release,
      instance: `i${release}`,
      status,
      count,
      sumMs: count * 10,
      buckets: [count],
    });
    // Ten healthy minutes on release 6, then release 7 takes traffic and a third of its requests fail.
    for (let t = 0; t < 10 * MIN; t += S) await stats.insert(base + t, [series(6, 200, 10)]);
    clock.advance(10 * MIN);
    await log.append({ ...labels, release: 7, type: "release.created", message: "release 7", data: { rollbackOf: null } });
    await log.append({ ...labels, release: 7, type: "release.deploying", message: "release 7 takes traffic" });
    const deployAt = clock.now();
    for (let t = 5 * S; t < 3 * MIN; t += S) await stats.insert(deployAt + t, [series(6, 200, 5), series(7, 200, 3), series(7, 503, 2)]);
    clock.advance(3 * MIN);
    await log.append({ ...labels, release: 7, type: "release.rolled_back", message: "release 7 rolled back: canary worse", data: {} });
    const rollbackAt = clock.now();
    await waitFor(async () => (await service.proposals()).length === 1);
    unlisten();
    for (let t = 0; t < MIN; t += S) await stats.insert(rollbackAt + t, [series(6, 200, 10)]);
    clock.advance(2 * MIN);
    const incident = await service.open({ title: "web 503s", severity: 2, ...labels }, "alice");
    assert.deepEqual(await service.proposals(), [], "the proposal is taken up by the incident");
    assert.equal(incident.timestamps.impactStarted, deployAt + 5 * S, "the first failing second of the first minute off baseline");
    assert.equal(incident.timestamps.mitigated, rollbackAt);
    assert.equal(incident.suspect?.release, 7);
    assert.equal(incident.suspect?.type, "release.deploying");
    assert.match(incident.suspect?.evidence.join("\n") ?? "", /release 7 \d+ of \d+ \(40\.0%\)/);
    const resolved = await service.setStatus(incident.id, "resolved", "alice");
    assert.equal(resolved.measures.mttdMs, clock.now() - deployAt - 5 * S);
    assert.equal(resolved.measures.mttrMs, clock.now() - deployAt - 5 * S);
    const pm = await service.postmortem(incident.id);
    assert.equal(pm.impact.failedRequests, 2 * 175, "175 seconds of 2 failures each");
    assert.equal(pm.impact.totalRequests, 10 * 175);
    assert.deepEqual(pm.requiredBecause.length, 2);
    const kinds = pm.timeline.map((e) => `${e.kind}:${e.type}`);
    assert.deepEqual(kinds.slice(0, 4), [
      "deploy:release.created",
      "deploy:release.deploying",
      "impact:impact.started",
      "deploy:release.rolled_back",
    ]);
    const edited = await service.editPostmortem(
      incident.id,
      { actionItems: [{ text: "canary at 1% first", owner: "alice", due: "2026-12-31", done: false }], written: true },
      "alice",
    );
    assert.equal(edited.state, "written");
    // An edit begun on the draft, saved after alice's: refused, and alice's text stays.
    await assert.rejects(
      service.editPostmortem(incident.id, { summary: "bob's summary" }, "bob", null),
      (e: unknown) => e instanceof RampartError && e.code === "postmortem_changed" && /saved by alice/.test(e.message),
    );
    assert.notEqual((await service.postmortem(incident.id)).summary, "bob's summary");
    const onTop = await service.editPostmortem(incident.id, { summary: "bob's summary" }, "bob", edited.editedAt);
    assert.equal(onTop.summary, "bob's summary");
    assert.equal(onTop.actionItems.length, 1, "an edit of one field keeps the others");
    // Two edits begun on the same saved version and sent at once: the write itself checks, so exactly one lands.
    clock.advance(1000);
    const racing = await Promise.allSettled([
      service.editPostmortem(incident.id, { summary: "carol's" }, "carol", onTop.editedAt),
      service.editPostmortem(incident.id, { summary: "dave's" }, "dave", onTop.editedAt),
    ]);
    assert.deepEqual(racing.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
    const rejected = racing.find((r) => r.status === "rejected");
    assert.equal(rejected?.status === "rejected" && rejected.reason instanceof RampartError && rejected.reason.code, "postmortem_changed");
    const done = await service.completeActionItem(incident.id, 1, "alice");
    assert.equal(done.actionItems[0]?.done, true);
    const dora = await service.dora({ env: "production", sinceMs: DAY });
    assert.equal(dora.deployments, 1);
    assert.equal(dora.changeFailureRate.failed, 1);
    assert.equal(dora.incidents.count, 2, "the alert's incident and this one");
  });
});

const DAY = 86_400_000;

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
