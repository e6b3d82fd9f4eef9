import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { ManifestSource } from "../config/manifest-source.ts";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import type { EventType } from "../events/event.types.ts";
import { eventlessTables, platformMigrations } from "../platform/migrations.ts";
import { RampartError } from "../shared/errors.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import { waitFor } from "../shared/wait.ts";
import { type AccessRequests, createAccessRequests } from "./access-requests.module.ts";
import { type GrantEnded, type StandingAccess, standingFromUsers } from "./access-request.service.ts";
import type { RoleGrant } from "./permissions.ts";

const H = 3600_000;

/** Standing roles of the people in these tests (the identity store's job once it exists). */
const people: Record<string, RoleGrant[]> = {
  dana: [{ role: "developer", env: "production" }],
  erin: [{ role: "operator", env: "production" }],
  fay: [{ role: "admin", env: "*" }],
  gus: [{ role: "viewer", env: "production" }],
};
const standing: StandingAccess = async (actor) => ({
  kind: actor === "local" ? "root" : actor.startsWith("svc:") ? "service" : "user",
  grants: people[actor] ?? [],
});

const ACCESS_YAML = `access:
  requests:
    production: { roles: [operator, admin], approvers: { roles: [operator, admin] }, approvals: 2, max_duration: 4h, pending_ttl: 30m }
    "*": { approvals: 1 }
  break_glass: { role: operator, max_duration: 30m }
`;

interface Fixture {
  access: AccessRequests;
  clock: FakeClock;
  database: OpenedDatabase;
  types(): Promise<EventType[]>;
  ended: GrantEnded[];
  /** Whose console sessions were ended (a grant taking effect), in order. */
  sessionsEnded: string[];
  close(): Promise<void>;
}

async function fixture(): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-access-"));
  writeFileSync(
    join(dir, "rampart.yaml"),
    [
      "name: t",
      "environments:",
      "  staging: { port: 18081 }",
      "  production: { port: 18080, protected: true }",
      "apps:",
      "  web: { source: ./web, run: node server.js }",
      ACCESS_YAML,
    ].join("\n"),
  );
  // The event audit makes every write without its event in the same transaction fail the test.
  const database = await openDatabase(join(dir, "data"), platformMigrations, { audit: { eventless: eventlessTables } });
  const clock = new FakeClock();
  const events = new EventLog(database.db, clock);
  const sessionsEnded: string[] = [];
  const access = createAccessRequests({
    db: database.db,
    events,
    clock,
    manifests: new ManifestSource(join(dir, "rampart.yaml")),
    standing,
    endSessions: async (_trx, user) => {
      sessionsEnded.push(user);
      return 1;
    },
  });
  await access.start?.();
  const ended: GrantEnded[] = [];
  access.service.onGrantEnded((e) => ended.push(e));
  return {
    access,
    clock,
    database,
    ended,
    sessionsEnded,
    types: async () => (await events.query({ type: "access.", limit: 1000 })).map((e) => e.type),
    close: async () => {
      await access.stop?.();
      assert.deepEqual(database.audit?.violations ?? [], [], "every write commits with its event");
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function rejects(work: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(work, (error: unknown) => {
    assert.ok(error instanceof RampartError, String(error));
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

const ask = { role: "operator" as const, env: "production", durationMs: H, reason: "checkout errors, INC-12" };

describe("AccessRequestService", () => {
  let f: Fixture;
  beforeEach(async () => (f = await fixture()));
  afterEach(() => f.close());

  it("needs two distinct approvers named by the policy, never the requester, then grants until its time", async () => {
    const r = await f.access.service.request("dana", ask);
    assert.equal(r.state, "pending");
    assert.equal(r.approvalsNeeded, 2);
    await rejects(f.access.service.decide("dana", r.id, "approve", ""), "forbidden", /own access request/);
    await rejects(f.access.service.decide("gus", r.id, "approve", ""), "forbidden", /may not review/);
    const once = await f.access.service.decide("erin", r.id, "approve", "ok");
    assert.equal(once.state, "pending");
    await rejects(f.access.service.decide("erin", r.id, "approve", ""), "access_request_closed", /already reviewed/);
    assert.deepEqual(f.access.service.activeGrants({ kind: "user", name: "dana" }, f.clock.now()), []);
    f.clock.advance(1000);
    const granted = await f.access.service.decide("fay", r.id, "approve", "");
    assert.equal(granted.state, "approved");
    assert.equal(granted.until, f.clock.now() + H);
    assert.deepEqual(f.access.service.activeGrants({ kind: "user", name: "dana" }, f.clock.now()), [
      { role: "operator", env: "production", until: f.clock.now() + H, requestId: r.id },
    ]);
    assert.deepEqual(f.access.service.activeGrants({ kind: "service", name: "dana" }, f.clock.now()), []);
    assert.deepEqual(f.access.service.activeGrants({ kind: "user", name: "dana" }, f.clock.now() + H), [], "not at its end");
    assert.deepEqual(await f.types(), ["access.requested", "access.approved", "access.approved", "access.granted"]);
  });

  it("refuses what the policy does not allow: a role, a duration, an environment, a service token", async () => {
    await rejects(f.access.service.request("dana", { ...ask, role: "deployer" }), "invalid_request", /cannot be requested in production/);
    await rejects(f.access.service.request("dana", { ...ask, durationMs: 5 * H }), "invalid_request", /at most 4h/);
    await rejects(f.access.service.request("dana", { ...ask, env: "qa" }), "unknown_environment");
    await rejects(f.access.service.request("svc:ci", ask), "forbidden", /for people/);
    // staging falls back to "*": one approval, the default roles.
    const r = await f.access.service.request("dana", { ...ask, env: "staging", role: "deployer" });
    assert.equal(r.approvalsNeeded, 1);
  });

  it("the timer ends a grant within 1 s of its time, with its event, and tells the listeners", async () => {
    const r = await f.access.service.request("dana", ask);
    await f.access.service.decide("erin", r.id, "approve", "");
    const granted = await f.access.service.decide("fay", r.id, "approve", "");
    const until = granted.until ?? assert.fail("granted");
    f.access.run?.();
    await waitFor(() => (f.ended.length > 0 ? true : undefined), { timeoutMs: 10_000 });
    assert.deepEqual(f.ended, [{ name: "dana", role: "operator", env: "production", requestId: r.id }]);
    const [expired] = await f.database.db.selectFrom("events").selectAll().where("type", "=", "access.expired").execute();
    assert.ok(expired, "access.expired recorded");
    assert.ok(expired.at >= until && expired.at - until < 1000, `expired ${expired.at - until} ms after its time`);
    assert.deepEqual(f.access.service.activeGrants({ kind: "user", name: "dana" }, f.clock.now()), []);
    assert.equal((await f.access.service.get("dana", r.id)).state, "expired");
    await rejects(f.access.service.revoke("dana", r.id, "production"), "access_request_closed");
  });

  it("an unanswered request expires after the pending TTL; nobody can approve it then", async () => {
    const r = await f.access.service.request("dana", ask);
    f.access.run?.();
    await waitFor(async () => ((await f.types()).includes("access.expired") ? true : undefined), { timeoutMs: 10_000 });
    const [expired] = await f.database.db.selectFrom("events").selectAll().where("type", "=", "access.expired").execute();
    assert.ok(expired && expired.at >= r.pendingUntil && expired.at - r.pendingUntil < 1000, "expired within 1 s of its TTL");
    await rejects(f.access.service.decide("erin", r.id, "approve", ""), "access_request_closed", /expired/);
    assert.deepEqual(f.ended, [], "no grant ended: none was given");
  });

  it("revoke: by the requester or an approver, ends the grant at once and tells the listeners", async () => {
    const r = await f.access.service.request("dana", { ...ask, env: "staging" });
    await f.access.service.decide("fay", r.id, "approve", "");
    await rejects(f.access.service.revoke("gus", r.id, "staging"), "forbidden", /only dana or an approver/);
    await rejects(f.access.service.revoke("dana", r.id, "production"), "not_found", /is for staging/);
    const revoked = await f.access.service.revoke("fay", r.id, "staging");
    assert.equal(revoked.state, "revoked");
    assert.equal(revoked.revokedBy, "fay");
    assert.deepEqual(f.ended, [{ name: "dana", role: "operator", env: "staging", requestId: r.id }]);
    assert.deepEqual(f.access.service.activeGrants({ kind: "user", name: "dana" }, f.clock.now()), []);
  });

  it("break-glass: standing developer or above only, granted at once, capped, critical, listed for review", async () => {
    await rejects(f.access.service.breakGlass("gus", { env: "production", reason: "site down" }), "forbidden", /developer or above/);
    const bg = await f.access.service.breakGlass("dana", { env: "production", reason: "site down", durationMs: 2 * H });
    assert.equal(bg.state, "approved");
    assert.equal(bg.breakGlass, true);
    assert.equal(bg.until, f.clock.now() + 30 * 60_000, "capped by break_glass.max_duration");
    assert.equal(f.access.service.activeGrants({ kind: "user", name: "dana" }, f.clock.now())[0]?.role, "operator");
    const [event] = await f.database.db.selectFrom("events").selectAll().where("type", "=", "access.break_glass").execute();
    assert.equal(JSON.parse(event?.data ?? "{}").level, "critical");
    assert.deepEqual(
      (await f.access.service.reviewList()).map((r) => r.id),
      [bg.id],
    );
  });

  it("a grant taking effect ends the requester's console sessions (a new id on a privilege change), said in its event", async () => {
    const r = await f.access.service.request("dana", ask);
    await f.access.service.decide("erin", r.id, "approve", "");
    assert.deepEqual(f.sessionsEnded, [], "an approval that grants nothing yet changes no privilege");
    await f.access.service.decide("fay", r.id, "approve", "");
    assert.deepEqual(f.sessionsEnded, ["dana"]);
    await f.access.service.breakGlass("erin", { env: "production", reason: "site down" });
    assert.deepEqual(f.sessionsEnded, ["dana", "erin"]);
    const granted = await f.database.db.selectFrom("events").selectAll().where("type", "=", "access.granted").execute();
    assert.deepEqual(
      granted.map((e) => JSON.parse(e.data).sessionsEnded),
      [1, 1],
    );
  });

  it("lists own requests and those to review; --all only for approvers", async () => {
    const mine = await f.access.service.request("dana", ask);
    assert.deepEqual(
      (await f.access.service.list("dana")).map((r) => r.id),
      [mine.id],
    );
    assert.deepEqual(
      (await f.access.service.list("erin")).map((r) => r.id),
      [mine.id],
      "pending for erin's review",
    );
    assert.deepEqual(await f.access.service.list("gus"), []);
    await rejects(f.access.service.list("gus", { all: true }), "forbidden", /access.approve/);
    await rejects(f.access.service.get("gus", mine.id), "forbidden");
    assert.equal((await f.access.service.list("fay", { all: true })).length, 1);
  });

  it("a restarted service reads the open requests back and ends them on time", async () => {
    const r = await f.access.service.request("dana", { ...ask, env: "staging" });
    await f.access.service.decide("fay", r.id, "approve", "");
    await f.access.stop?.();
    const again = createAccessRequests({
      db: f.database.db,
      events: new EventLog(f.database.db, f.clock),
      clock: f.clock,
      manifests: new ManifestSource(join(f.database.path, "..", "..", "rampart.yaml")),
      standing,
    });
    await again.start?.();
    assert.equal(again.service.activeGrants({ kind: "user", name: "dana" }, f.clock.now()).length, 1);
    f.clock.advance(H);
    assert.equal(await again.service.tick(), 1);
    assert.deepEqual(again.service.activeGrants({ kind: "user", name: "dana" }, f.clock.now()), []);
  });

  it("the timer decides on the stored record: a request approved just before its TTL is not expired by a stale copy", async () => {
    const r = await f.access.service.request("dana", { ...ask, env: "staging" });
    const other = createAccessRequests({
      db: f.database.db,
      events: new EventLog(f.database.db, f.clock),
      clock: f.clock,
      manifests: new ManifestSource(join(f.database.path, "..", "..", "rampart.yaml")),
      standing,
    });
    await other.start?.();
    f.clock.advance(r.pendingUntil - f.clock.now() - 1);
    assert.equal((await other.service.decide("fay", r.id, "approve", "")).state, "approved");
    f.clock.advance(1);
    assert.equal(await f.access.service.tick(), 0, "nothing expired");
    assert.equal((await f.access.service.get("dana", r.id)).state, "approved");
    assert.equal(f.access.service.activeGrants({ kind: "user", name: "dana" }, f.clock.now()).length, 1, "the fresh record is kept");
  });

  it("standing roles come from the identity store's users; unknown names hold none, service tokens are not people", async () => {
    const users = {
      get: async (name: string) => {
        if (name !== "erin") throw new RampartError("not_found", `user ${name} not found`);
        return { grants: [{ role: "operator" as const, env: "production" }] };
      },
    };
    const fromUsers = standingFromUsers(users);
    assert.deepEqual(await fromUsers("erin"), { kind: "user", grants: [{ role: "operator", env: "production" }] });
    assert.deepEqual(await fromUsers("nobody"), { kind: "user", grants: [] });
    assert.deepEqual(await fromUsers("svc:ci"), { kind: "service", grants: [] });
    assert.equal((await fromUsers("local")).kind, "root");
  });
});
