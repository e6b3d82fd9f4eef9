import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { KvStore } from "../db/kv.store.ts";
import { openDatabase, type OpenedDatabase } from "../db/database.ts";
import { app, environment, freePort, makeDataDir, route, startEdge, stopEdge, type EdgeProcess } from "../edge/edge-test-harness.ts";
import type { EdgeRelease, RoutingTable } from "../edge/routing-table.types.ts";
import { EventLog } from "../events/event-log.ts";
import { platformMigrations } from "../platform/migrations.ts";
import { FakeClock } from "../shared/fake-clock.ts";
import { EdgeController } from "./edge-controller.ts";
import { FailedUsersStore } from "./failed-users.store.ts";
import { RequestStatsStore } from "./request-stats.store.ts";

/** The control plane's view of what a real edge routes by: the last table it took, not the one being built. */
describe("the edge controller against a real edge", () => {
  let edge: EdgeProcess;
  let opened: OpenedDatabase;
  let port = 0;

  before(async () => {
    edge = await startEdge(await makeDataDir(), { workers: 1 });
    opened = await openDatabase(join(edge.dataDir, "store"), platformMigrations);
    port = await freePort();
  });
  after(async () => {
    await opened?.close();
    await stopEdge(edge);
  });

  it("routes to an app only once the edge took a table naming an instance of it with a share of traffic", async () => {
    const release = (weight: number): EdgeRelease => ({ release: 1, weight, instances: [{ id: "web-1", host: "127.0.0.1", port: 1 }] });
    let next: Omit<RoutingTable, "version"> = { environments: [environment("staging", port, [], [])] };
    const controller = new EdgeController({
      dataDir: edge.dataDir,
      events: new EventLog(opened.db, new FakeClock()),
      kv: new KvStore(opened.db),
      stats: new RequestStatsStore(opened.db),
      failedUsers: new FailedUsersStore(opened.db),
      buildTable: async (version) => ({ version, ...next }),
    });
    assert.equal(controller.routesTo("staging", "web"), false, "no table taken yet");
    await controller.applyRouting();
    assert.equal(controller.routesTo("staging", "web"), false, "the app is not in the table");
    // A release at weight 0 (deployed, not yet taking traffic) is in the table but gets no request.
    next = { environments: [environment("staging", port, [route("web", "/")], [app("web", [release(0)])])] };
    assert.equal(controller.routesTo("staging", "web"), false, "a table being built is not one the edge has");
    await controller.applyRouting();
    assert.equal(controller.routesTo("staging", "web"), false, "weight 0 takes no traffic");
    next = { environments: [environment("staging", port, [route("web", "/")], [app("web", [release(1)])])] };
    await controller.applyRouting();
    assert.equal(controller.routesTo("staging", "web"), true);
    assert.equal(controller.routesTo("production", "web"), false, "another environment");
    assert.equal(controller.routesTo("staging", "api"), false, "another app");
  });
});
