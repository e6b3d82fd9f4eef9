import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AlertInstance } from "./alert.types.ts";
import { canaryToAbort, type DeployContext, deployLabels } from "./deploy-context.ts";

const canary: DeployContext = {
  env: "production",
  app: "web",
  release: 5,
  rollout: { id: 9, strategy: "canary", state: "shifting", fromRelease: 4, startedAt: 1000, release: 5 },
};
const alert = (patch: Partial<AlertInstance> = {}, severity = "critical"): AlertInstance => ({
  fingerprint: "f",
  rule: "r",
  labels: { severity, env: "production", app: "web" },
  annotations: {},
  state: "firing",
  value: 1,
  activeAt: 2000,
  firedAt: 2000,
  resolvedAt: null,
  ...patch,
});

describe("deploy-aware alerts", () => {
  it("carry the release, and the rollout's labels while one runs", () => {
    assert.deepEqual(deployLabels(canary), { release: "5", rollout: "9", rollout_strategy: "canary", stable_release: "4" });
    assert.deepEqual(deployLabels({ ...canary, rollout: null }), { release: "5" });
    assert.deepEqual(deployLabels({ ...canary, release: null, rollout: null }), {});
  });

  it("only a firing critical alert that began during a shifting canary aborts it", () => {
    assert.equal(canaryToAbort(alert(), canary)?.id, 9);
    assert.equal(canaryToAbort(alert({}, "warning"), canary), null, "a warning does not roll back");
    assert.equal(canaryToAbort(alert({ state: "pending" }), canary), null, "pending is not yet an alert");
    assert.equal(canaryToAbort(alert({ activeAt: 500 }), canary), null, "already active before the deploy (maybe its fix)");
    assert.equal(canaryToAbort(alert(), { ...canary, rollout: { ...canary.rollout!, strategy: "rolling" } }), null);
    assert.equal(canaryToAbort(alert(), { ...canary, rollout: { ...canary.rollout!, state: "starting" } }), null);
    assert.equal(canaryToAbort(alert(), undefined), null);
  });
});
