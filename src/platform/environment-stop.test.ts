import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NewEvent } from "../events/event.types.ts";
import type { InstanceRecord } from "../runtime/instance.types.ts";
import { RampartError } from "../shared/errors.ts";
import { type EnvironmentStopDeps, stopEnvironment } from "./environment-stop.ts";

function fake(options: { rolling?: { env: string; app: string; release: number }[] } = {}) {
  const instances = [
    { id: "staging.web.r1.0", env: "staging", status: "healthy" },
    { id: "staging.web.r1.1", env: "staging", status: "healthy" },
    { id: "production.web.r1.0", env: "production", status: "healthy" },
  ] as InstanceRecord[];
  const stopped: string[] = [];
  const events: NewEvent[] = [];
  const deps: EnvironmentStopDeps = {
    manifest: () => ({ path: "/p/rampart.yaml", environments: { staging: {}, production: {} } as never }),
    instances: () => instances,
    drainAndStop: async (id) => void stopped.push(id),
    activeRollouts: async () => options.rolling ?? [],
    append: async (event) => events.push(event),
  };
  return { deps, stopped, events };
}

describe("stopEnvironment", () => {
  it("drains and stops that environment's instances only, recording who did it", async () => {
    const { deps, stopped, events } = fake();
    const result = await stopEnvironment(deps, "staging", "ci");
    assert.deepEqual(result, { env: "staging", stopped: ["staging.web.r1.0", "staging.web.r1.1"] });
    assert.deepEqual(stopped, result.stopped);
    assert.equal(events[0]?.type, "environment.stopping");
    assert.equal(events[0]?.env, "staging");
    assert.equal(events[0]?.actor, "ci");
  });

  it("refuses an unknown environment (404, naming the ones there are) and one with a rollout in progress", async () => {
    const { deps, stopped } = fake({ rolling: [{ env: "staging", app: "web", release: 2 }] });
    await assert.rejects(
      stopEnvironment(deps, "qa", "ci"),
      (e: unknown) => e instanceof RampartError && e.status === 404 && /staging, production/.test(e.hint ?? ""),
    );
    await assert.rejects(
      stopEnvironment(deps, "staging", "ci"),
      (e: unknown) => e instanceof RampartError && e.status === 409 && /rollout web --env staging abort/.test(e.hint ?? ""),
    );
    assert.deepEqual(stopped, []);
  });
});
