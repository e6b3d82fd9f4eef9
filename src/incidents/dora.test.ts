import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import { renderFamilies } from "../telemetry/prometheus-text.ts";
import { doraFamilies } from "./dora-metrics.ts";
import { computeDora, DAY_MS, failRateLevel, frequencyLevel, leadTimeLevel, recoveryLevel } from "./dora.ts";

const MIN = 60_000;
const HOUR = 3_600_000;
const START = Date.UTC(2026, 10, 1);

/**
 * A scripted month of the web app in production, written through the real event log with a fake clock:
 * 30 days, one deploy a day at 10:00 whose commit was made 2 h earlier, except
 * - day 5: release rolled back automatically by its canary 10 min after taking traffic,
 * - day 12: release went live, a rollback release made 40 min later (live 2 min after that),
 * - day 20: release went live and an incident blamed it; mitigated 3 h after its impact began,
 * - day 25: release failed its health checks (never took traffic: not a deployment).
 * So: 29 deployments, 3 failed, lead time 2 h, recovery times 10 min, 42 min, 3 h → median 42 min.
 */
async function scriptMonth(log: EventLog, clock: FakeClock): Promise<{ incidentRelease: number; impactAt: number }> {
  let number = 0;
  let incident = { incidentRelease: 0, impactAt: 0 };
  const at = (day: number, ms: number) => {
    const target = START + day * DAY_MS + ms;
    clock.advance(target - clock.now());
  };
  const labels = (release: number) => ({ env: "production", app: "web", release });
  const create = async (rollbackOf: number | null, commitAt: number | null) => {
    number += 1;
    const git = commitAt === null ? null : { commit: `c${number}`, commitTime: new Date(commitAt).toISOString(), dirty: false };
    await log.append({ ...labels(number), type: "release.created", message: `release ${number}`, data: { rollbackOf, git } });
    return number;
  };
  for (let day = 0; day < 30; day++) {
    at(day, 10 * HOUR);
    const release = await create(null, START + day * DAY_MS + 8 * HOUR);
    if (day === 25) {
      await log.append({ ...labels(release), type: "release.failed", message: "unhealthy" });
      continue;
    }
    await log.append({ ...labels(release), type: "release.deploying", message: "takes traffic" });
    if (day === 5) {
      at(day, 10 * HOUR + 10 * MIN);
      await log.append({ ...labels(release), type: "release.rolled_back", message: "canary worse" });
      continue;
    }
    at(day, 10 * HOUR + 5 * MIN);
    await log.append({ ...labels(release), type: "release.live", message: "live" });
    if (day === 12) {
      at(day, 10 * HOUR + 40 * MIN);
      const back = await create(release - 1, null);
      at(day, 10 * HOUR + 42 * MIN);
      await log.append({ ...labels(back), type: "release.deploying", message: "rollback" });
      await log.append({ ...labels(back), type: "release.live", message: "rollback live" });
    }
    if (day === 20) incident = { incidentRelease: release, impactAt: START + day * DAY_MS + 11 * HOUR };
  }
  // Outside the env and app asked about: must not count.
  await log.append({ env: "staging", app: "web", release: 1, type: "release.created", message: "staging", data: { rollbackOf: null } });
  await log.append({ env: "staging", app: "web", release: 1, type: "release.live", message: "staging" });
  return incident;
}

describe("DORA four keys over a scripted month", () => {
  let dir: string;
  let opened: OpenedDatabase;
  let log: EventLog;
  const clock = new FakeClock(START);
  let incident: { incidentRelease: number; impactAt: number };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-dora-"));
    opened = await openDatabase(dir, platformMigrations);
    log = new EventLog(opened.db, clock);
    incident = await scriptMonth(log, clock);
  });
  after(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives the known answers for deployments, lead time, change failure rate and recovery time", async () => {
    const events = await log.query({ limit: 10_000 });
    const attribution = [
      {
        env: "production",
        app: "web",
        release: incident.incidentRelease,
        impactStartedAt: incident.impactAt,
        recoveredAt: incident.impactAt + 3 * HOUR,
      },
    ];
    const report = computeDora(events, { env: "production", app: "web", since: START, until: START + 30 * DAY_MS }, attribution);
    assert.equal(report.deployments, 29);
    assert.equal(report.deploymentFrequency.perDay, 29 / 30);
    assert.equal(report.deploymentFrequency.level, "high");
    assert.equal(report.leadTime.medianMs, 2 * HOUR + 5 * MIN);
    assert.equal(report.leadTime.samples, 28, "the canary rolled back on day 5 never went live");
    assert.equal(report.leadTime.level, "elite");
    assert.equal(report.changeFailureRate.failed, 3);
    assert.equal(report.changeFailureRate.ratio, 3 / 29);
    assert.equal(report.changeFailureRate.level, "medium");
    assert.deepEqual(
      report.failures.map((f) => [f.reason, f.recoveredAt === null ? null : f.recoveredAt - f.failedAt]),
      [
        ["rolled_back", 10 * MIN],
        ["rollback_release", 42 * MIN],
        ["incident", 3 * HOUR],
      ],
    );
    assert.equal(report.recoveryTime.medianMs, 42 * MIN);
    assert.equal(report.recoveryTime.level, "elite");
  });

  it("counts only the window asked for", async () => {
    const events = await log.query({ limit: 10_000 });
    const report = computeDora(events, { env: "production", since: START, until: START + 7 * DAY_MS });
    assert.equal(report.deployments, 7);
    assert.equal(report.changeFailureRate.failed, 1);
    assert.equal(report.deploymentFrequency.level, "elite");
    const staging = computeDora(events, { env: "staging", since: START, until: START + 31 * DAY_MS });
    assert.equal(staging.deployments, 1);
  });

  it("exposes the keys and their levels as Prometheus gauges", async () => {
    const events = await log.query({ limit: 10_000 });
    const report = computeDora(events, { env: "production", app: "web", since: START, until: START + 30 * DAY_MS });
    const text = renderFamilies(doraFamilies([report]));
    assert.match(text, /^rampart_dora_deployments\{env="production",app="web",window_days="30"\} 29$/m);
    assert.match(text, /^rampart_dora_lead_time_seconds\{[^}]*\} 7500$/m);
    assert.match(text, /^rampart_dora_level\{env="production",app="web",window_days="30",key="lead_time",level="elite"\} 1$/m);
  });

  it("labels each key with its DORA 2024 level at the boundaries", () => {
    assert.deepEqual([1, 0.5, 1 / 7, 0.1, 1 / 30, 0.01].map(frequencyLevel), ["elite", "high", "high", "medium", "medium", "low"]);
    assert.deepEqual([HOUR, DAY_MS, 7 * DAY_MS, 30 * DAY_MS].map(leadTimeLevel), ["elite", "high", "medium", "low"]);
    assert.deepEqual([0.05, 0.1, 0.2, 0.4].map(failRateLevel), ["elite", "medium", "high", "low"]);
    assert.deepEqual([30 * MIN, 2 * HOUR, 3 * DAY_MS].map(recoveryLevel), ["elite", "high", "low"]);
  });
});
