import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { readProcessStartTime } from "../runtime/process-info.ts";
import { checkState } from "./state-check.ts";

/** The drills trust this checker to say "consistent": it must see each kind of breakage it claims to. */
describe("checkState", () => {
  let dir: string;
  let store: OpenedDatabase;
  const me = { pid: process.pid, start: readProcessStartTime(process.pid) ?? "" };

  const release = (number: number, status: string) => ({
    env: "production",
    app: "web",
    number,
    artifact_digest: "sha256-x",
    config: "{}",
    strategy: "rolling",
    status,
    reason: null,
    source_dir: "/src",
    git_commit: null,
    git_commit_time: null,
    git_dirty: null,
    rollback_of: null,
    created_by: "admin",
    created_at: 1,
    live_at: null,
    finished_at: null,
  });
  const instance = (id: string, status: string, pid: number | null, pidStart: string | null) => ({
    id,
    env: "production",
    app: "web",
    release: 1,
    slot: 1,
    port: 1,
    status,
    routable: 1,
    pid,
    pid_start: pidStart,
    runner_pid: null,
    runner_start: null,
    restarts: 0,
    started_at: 1,
    updated_at: 1,
    log_path: "/x",
    state_dir: "/x",
    last_exit: null,
  });
  const rollout = (release: number, state: string, finishedAt: number | null) => ({
    env: "production",
    app: "web",
    release,
    from_release: null,
    strategy: "rolling",
    state,
    step: 0,
    started_at: 1,
    updated_at: 1,
    finished_at: finishedAt,
    data: "{}",
  });
  const event = (type: string) => ({
    at: 1,
    type,
    env: null,
    app: null,
    release: null,
    instance: null,
    actor: "rampart",
    message: "m",
    data: "{}",
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-state-check-"));
    store = await openDatabase(dir, platformMigrations);
    await store.db
      .insertInto("releases")
      .values([release(1, "live")])
      .execute();
    await store.db
      .insertInto("rollouts")
      .values([rollout(1, "completed", 2)])
      .execute();
    await store.db
      .insertInto("instances")
      .values([instance("production.web.r1.1", "healthy", me.pid, me.start)])
      .execute();
    await store.db
      .insertInto("events")
      .values([event("release.created"), event("release.live")])
      .execute();
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes a consistent store, with the acknowledged events and the stream's ids", () => {
    const result = checkState({
      dataDir: dir,
      acknowledged: new Map([
        [1, "release.created"],
        [2, "release.live"],
      ]),
      streamed: [1, 2],
    });
    assert.deepEqual(result.problems, []);
    assert.equal(result.ok, true);
  });

  it("reports a lost or changed acknowledged event, ids out of order and events the stream skipped", () => {
    const result = checkState({
      dataDir: dir,
      acknowledged: new Map([
        [1, "release.live"],
        [7, "instance.crashed"],
      ]),
      streamed: [2, 1],
    });
    assert.ok(
      result.problems.some((p) => /event 1 was release.live, is now release.created/.test(p)),
      result.problems.join("\n"),
    );
    assert.ok(result.problems.some((p) => /event 7 \(instance.crashed\) is gone/.test(p)));
    assert.ok(result.problems.some((p) => /ids must increase/.test(p)));
    assert.ok(checkState({ dataDir: dir, streamed: [1] }).ok);
    assert.ok(checkState({ dataDir: dir, streamed: [0, 3] }).problems.some((p) => /never reached the stream/.test(p)));
  });

  it("reports two live releases, rollouts out of step with their release, dead and leaked processes, half-written files", async () => {
    await store.db
      .insertInto("releases")
      .values([release(2, "live"), release(3, "deploying")])
      .execute();
    await store.db
      .insertInto("rollouts")
      .values([rollout(2, "building", null), rollout(9, "failed", null)])
      .execute();
    await store.db
      .insertInto("instances")
      .values([instance("production.web.r1.2", "healthy", 999_999_999, "1"), instance("production.web.r1.3", "stopped", me.pid, me.start)])
      .execute();
    writeFileSync(join(dir, "credentials.json"), '{"api": "http://');
    const { problems } = checkState({ dataDir: dir });
    const expect = (pattern: RegExp) =>
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `${pattern} in:\n${problems.join("\n")}`,
      );
    expect(/production\/web: 2 live releases/);
    expect(/release production\/web#3 is deploying with no rollout moving it/);
    expect(/rollout \d+ \(production\/web#2\): state building beside release status live/);
    expect(/rollout \d+ \(production\/web#9\): its release does not exist/);
    expect(/rollout \d+ \(production\/web#9\): state failed with finished_at null/);
    expect(/instance production.web.r1.2 is healthy but pid 999999999 is not running/);
    expect(/instance production.web.r1.3 is stopped but pid \d+ still runs/);
    expect(/credentials.json is not valid JSON/);
  });
});
