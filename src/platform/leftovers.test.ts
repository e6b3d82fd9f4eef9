import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { describeLeftover, findLeftovers, stopLeftovers } from "./leftovers.ts";

const instance = (env: string, app: string, slot: number, status: InstanceRecord["status"] = "healthy"): InstanceRecord => ({
  id: `${env}.${app}.r1.${slot}`,
  env,
  app,
  release: 1,
  slot,
  port: 4000 + slot,
  status,
  pid: 100 + slot,
  pidStart: "1",
  runnerPid: 200 + slot,
  runnerStart: "1",
  restarts: 0,
  startedAt: 0,
  updatedAt: 0,
  logPath: "/tmp/x.log",
  stateDir: "/tmp/x",
  lastExit: null,
});

const manifest = { environments: { production: {} }, apps: { web: {} } };

describe("left-over instances", () => {
  it("groups the running instances of removed environments and apps; kept and stopped ones are not left over", () => {
    const leftovers = findLeftovers(manifest, [
      instance("production", "web", 1),
      instance("staging", "web", 1),
      instance("staging", "web", 2, "crashed"),
      instance("production", "api", 1),
      instance("staging", "api", 1, "stopped"),
    ]);
    assert.deepEqual(
      leftovers.map((l) => [l.env, l.app, l.removed, l.instances.map((i) => i.id)]),
      [
        ["production", "api", "app", ["production.api.r1.1"]],
        ["staging", "web", "environment", ["staging.web.r1.1", "staging.web.r1.2"]],
      ],
    );
    assert.equal(
      describeLeftover(leftovers[1] ?? assert.fail()),
      "web in staging (environment staging is not in rampart.yaml): 2 instance(s) running: staging.web.r1.1, staging.web.r1.2",
    );
  });

  it("stops each left-over instance after one event per environment and app saying why", async () => {
    const calls: string[] = [];
    const stopped = await stopLeftovers(
      {
        leftovers: () => findLeftovers(manifest, [instance("staging", "web", 1), instance("staging", "web", 2)]),
        drainAndStop: async (id, reason) => void calls.push(`stop ${id}: ${reason}`),
        append: async (event) => void calls.push(`event ${event.type} ${event.env}/${event.app}`),
      },
      "admin",
    );
    assert.deepEqual(stopped, ["staging.web.r1.1", "staging.web.r1.2"]);
    assert.deepEqual(calls, [
      "event environment.stopping staging/web",
      "stop staging.web.r1.1: environment removed from rampart.yaml",
      "stop staging.web.r1.2: environment removed from rampart.yaml",
    ]);
  });
});
