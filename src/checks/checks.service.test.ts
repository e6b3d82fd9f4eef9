import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseManifest } from "../config/manifest.loader.ts";
import { openDatabase } from "../db/database.ts";
import { EventLog } from "../events/event-log.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { RampartError } from "../shared/errors.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import type { ProbeResult } from "./check-condition.ts";
import { type AppPresence, ChecksService } from "./checks.service.ts";
import { ChecksStore } from "./checks.store.ts";
import type { BrowserProbeRequest } from "./browser-probe.ts";
import type { ProbeRequest } from "./http-probe.ts";

const root = mkdtempSync(join(tmpdir(), "rampart-checks-"));
after(() => rmSync(root, { recursive: true, force: true }));

const MANIFEST = `name: shop
environments:
  staging: { port: 8081 }
apps:
  web:
    source: ./web
    run: node server.js
    routes: ["/", "/api"]
    health: { path: /healthz }
    checks:
      - { name: orders, path: /api/orders, conditions: ["status == 200", "body.status == UP"] }
    heartbeats:
      - { name: nightly, every: 5m, grace: 1m }
  admin:
    source: ./admin
    run: node server.js
    routes: ["/admin"]
    checks: { defaults: false }
`;

class FakeProber {
  status = 200;
  body = '{"status":"UP"}';
  seen: ProbeRequest[] = [];
  probe = async (request: ProbeRequest): Promise<ProbeResult> => {
    this.seen.push(request);
    return { status: this.status, elapsedMs: 12, bodyText: this.body, certificateExpiresAt: null, error: null };
  };
}

async function setup(name: string, serving: (env: string, app: string) => AppPresence = () => "live") {
  const database = await openDatabase(join(root, name), platformMigrations);
  const clock = new FakeClock();
  const events = new EventLog(database.db, clock);
  const prober = new FakeProber();
  const counters: string[] = [];
  const manifest = parseManifest(MANIFEST, join(root, name, "rampart.yaml"));
  const service = new ChecksService({
    manifest: () => manifest,
    store: new ChecksStore(database.db),
    events,
    clock,
    prober: prober.probe,
    serving,
    metrics: { addCounter: (metric, labels) => counters.push(`${metric} ${labels.check} ${labels.result}`), setGauge: () => {} },
  });
  await service.start();
  const round = async () => {
    await service.tick();
    await service.idle();
    clock.advance(30_000);
  };
  const checkEvents = async () => (await events.query({ type: "check.", limit: 100 })).map((e) => `${e.type} ${e.data.name}`);
  return { database, clock, prober, service, round, checkEvents, counters };
}

test("default checks: the health path and each route through the edge; none where switched off or not deployed", async () => {
  const { database, prober, service, round } = await setup("defaults");
  await round();
  assert.deepEqual(prober.seen.map((r) => r.url).sort(), [
    "http://127.0.0.1:8081/",
    "http://127.0.0.1:8081/api",
    "http://127.0.0.1:8081/api/orders",
    "http://127.0.0.1:8081/healthz",
  ]);
  const names = service.list({ app: "web" }).map((c) => `${c.name}:${c.origin}:${c.state}`);
  assert.deepEqual(names.sort(), [
    "health:default:ok",
    "nightly:custom:pending",
    "orders:custom:ok",
    "route-api:default:ok",
    "route-root:default:ok",
  ]);
  assert.deepEqual(service.list({ app: "admin" }), []);
  await database.close();
});

test("checks begin once the app is live and go on while it has instances, so a crashed app fails them", async () => {
  let presence: AppPresence = "starting";
  const { database, prober, service, round } = await setup("presence", () => presence);
  await round();
  assert.equal(prober.seen.length, 0, "a first deploy still starting is not probed");
  presence = "live";
  await round();
  const probed = prober.seen.length;
  assert.ok(probed > 0);
  presence = "starting";
  await round();
  assert.ok(prober.seen.length > probed, "instances that are not healthy any more are still probed");
  presence = "none";
  await round();
  assert.deepEqual(
    service.list({ app: "web" }).filter((c) => c.kind === "http"),
    [],
  );
  await database.close();
});

test("a check goes failing after 3 failures in a row and recovers after 2 successes, each once as an event", async () => {
  const { database, prober, service, round, checkEvents, counters } = await setup("thresholds");
  await round();
  prober.status = 503;
  await round();
  await round();
  assert.equal(service.list({ app: "web" }).find((c) => c.name === "health")?.state, "ok");
  await round();
  const failing = service.list({ app: "web" }).find((c) => c.name === "health");
  assert.equal(failing?.state, "failing");
  assert.equal(failing?.lastResult?.message, "status == 200: got 503");
  await round();
  assert.deepEqual(
    (await checkEvents()).filter((e) => e.endsWith("health")),
    ["check.failed health"],
  );
  prober.status = 200;
  await round();
  assert.equal(service.checkResults().find((c) => c.name === "health")?.ok, false);
  await round();
  const recovered = service.checkResults().find((c) => c.name === "health");
  assert.equal(recovered?.ok, true);
  assert.equal(recovered?.consecutiveFailures, 0);
  assert.deepEqual(
    (await checkEvents()).filter((e) => e.endsWith("health")),
    ["check.failed health", "check.recovered health"],
  );
  assert.equal(counters.filter((c) => c === "rampart_check_results_total health failure").length, 4);
  await database.close();
});

test("a body condition fails on the wrong field value", async () => {
  const { database, prober, service, round } = await setup("body");
  prober.body = '{"status":"DOWN"}';
  for (let i = 0; i < 3; i++) await round();
  const orders = service.list({ app: "web" }).find((c) => c.name === "orders");
  assert.equal(orders?.state, "failing");
  assert.equal(orders?.lastResult?.message, 'body.status == UP: got "DOWN"');
  await database.close();
});

test("a heartbeat without a ping within every + grace fails; a ping recovers it", async () => {
  const { database, clock, service, checkEvents } = await setup("heartbeat");
  await service.tick();
  await service.ping("staging", "web", "nightly", "svc:cron");
  clock.advance(5 * 60_000);
  await service.tick();
  assert.equal(service.list({ app: "web" }).find((c) => c.name === "nightly")?.state, "ok");
  clock.advance(60_000 + 1000);
  await service.tick();
  const missed = service.list({ app: "web" }).find((c) => c.name === "nightly");
  assert.equal(missed?.state, "failing");
  assert.match(missed?.lastResult?.message ?? "", /no ping since .* \(expected every 5m, grace 1m\)/);
  await service.ping("staging", "web", "nightly", "svc:cron");
  assert.deepEqual(
    (await checkEvents()).filter((e) => e.endsWith("nightly")),
    ["check.failed nightly", "check.recovered nightly"],
  );
  await assert.rejects(service.ping("staging", "web", "weekly", "svc:cron"), (error: unknown) => {
    assert.ok(error instanceof RampartError);
    assert.equal(error.code, "unknown_heartbeat");
    assert.match(error.hint, /heartbeats of web: nightly/);
    return true;
  });
  await service.idle();
  await database.close();
});

test("a restarted service resumes a failing check's state instead of failing it again", async () => {
  const first = await setup("restart");
  first.prober.status = 500;
  for (let i = 0; i < 3; i++) await first.round();
  assert.deepEqual(
    (await first.checkEvents()).filter((e) => e.endsWith("health")),
    ["check.failed health"],
  );
  await first.database.close();
  const database = await openDatabase(join(root, "restart"), platformMigrations);
  const events = new EventLog(database.db, first.clock);
  const service = new ChecksService({
    manifest: () => parseManifest(MANIFEST, join(root, "restart", "rampart.yaml")),
    store: new ChecksStore(database.db),
    events,
    clock: first.clock,
    prober: first.prober.probe,
    serving: () => "live",
  });
  await service.start();
  for (let i = 0; i < 3; i++) {
    await service.tick();
    await service.idle();
    first.clock.advance(30_000);
  }
  assert.equal(service.list({ app: "web" }).find((c) => c.name === "health")?.state, "failing");
  assert.equal((await events.query({ type: "check.failed", limit: 100 })).filter((e) => e.data.name === "health").length, 1);
  await database.close();
});

test("a browser check runs its steps through the browser prober, against the edge", async () => {
  const database = await openDatabase(join(root, "browser"), platformMigrations);
  const clock = new FakeClock();
  const runs: BrowserProbeRequest[] = [];
  const manifest = parseManifest(
    `${MANIFEST}    heartbeats: []\n`.replace(
      "    checks: { defaults: false }\n    heartbeats: []\n",
      "    checks: { defaults: false, custom: [{ name: buy, browser: [{ goto: /admin }, { expect_text: Admin }] }] }\n",
    ),
    join(root, "browser", "rampart.yaml"),
  );
  const service = new ChecksService({
    manifest: () => manifest,
    store: new ChecksStore(database.db),
    events: new EventLog(database.db, clock),
    clock,
    prober: new FakeProber().probe,
    browserProber: async (request) => {
      runs.push(request);
      return { status: null, elapsedMs: 5, bodyText: "", certificateExpiresAt: null, error: 'step 2 (expect_text "Admin"): timeout' };
    },
    serving: () => "live",
  });
  await service.tick();
  await service.idle();
  assert.deepEqual(runs, [{ base: "http://127.0.0.1:8081/", steps: [{ goto: "/admin" }, { expect_text: "Admin" }], timeoutMs: 10_000 }]);
  const buy = service.list({ app: "admin" }).find((c) => c.name === "buy");
  assert.equal(buy?.target, 'browser http://127.0.0.1:8081: goto /admin, expect_text "Admin"');
  assert.equal(buy?.lastResult?.message, 'status == 200: no response (step 2 (expect_text "Admin"): timeout)');
  await database.close();
});
