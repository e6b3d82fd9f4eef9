import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { platformRig } from "../testing/platform-rig.ts";
import type { RollbackDrill } from "./rollback-drill.types.ts";

describe("rampart drill rollback through a real rampart up: measured under load, stored, shown; protected refused", () => {
  const rig = platformRig({ project: { instances: 1 }, deploy: { env: "staging", timeoutMs: 90_000 } });
  const { cli } = rig;

  it("deploys the live artifact again, rolls back, and measures the switch and the failed requests", async (t) => {
    const run = cli(["drill", "rollback", "web", "--env", "staging", "--rate", "20", "--json"]);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const drill = JSON.parse(run.stdout) as RollbackDrill;
    assert.equal(drill.status, "passed", drill.error ?? "");
    const r = drill.result;
    assert.ok(r);
    assert.equal(r.previousRelease, 1);
    assert.equal(r.deployedRelease, 2);
    assert.equal(r.rollbackRelease, 3);
    assert.ok(r.rollbackMs !== null && r.rollbackMs > 0, "the switch was timed");
    assert.ok(r.drainedMs !== null && r.rollbackMs <= r.drainedMs);
    assert.ok(r.sent > 20, `load ran the whole drill (${r.sent} sent)`);
    assert.equal(r.failed, 0);
    assert.deepEqual(Object.keys(r.servedAfterSwitch), ["3"], "only the rollback release served after the switch");
    t.diagnostic(
      `deploy ${r.deployMs} ms; rollback to 100% in ${r.rollbackMs} ms, drained in ${r.drainedMs} ms; ${r.sent} requests at ${r.rate}/s, ${r.failed} failed`,
    );
    const releases = await rig.up.client.releases("staging", "web");
    const rollback = releases.find((x) => x.number === 3);
    assert.equal(rollback?.rollbackOf, 1);
    assert.equal(rollback?.artifact, releases.find((x) => x.number === 1)?.artifact);

    const history = cli(["drill", "rollback", "web", "--env", "staging", "--history"]);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, new RegExp(`${drill.id}\\s+manual\\s+local\\s+passed`));
    const recorded = (await rig.up.client.events({ limit: 1000 })).filter((e) => e.type.startsWith("drill."));
    assert.deepEqual(
      recorded.map((e) => [e.type, e.actor, e.data.id]),
      [
        ["drill.rollback_started", "local", drill.id],
        ["drill.rollback_finished", "local", drill.id],
      ],
    );
    assert.equal(recorded[1]?.data.ok, true);
  });

  it("refuses a protected environment without --allow-production, and an app with nothing live there", async () => {
    const refused = cli(["drill", "rollback", "web", "--env", "production"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /production is protected: a rollback drill there needs --allow-production/);
    const nothing = cli(["drill", "rollback", "web", "--env", "production", "--allow-production"]);
    assert.equal(nothing.code, 1);
    assert.match(nothing.stderr, /web has no live release in production/);
    assert.match(nothing.stderr, /rampart deploy web --env production --wait/);
    rig.events.assertNoViolations();
  });
});
