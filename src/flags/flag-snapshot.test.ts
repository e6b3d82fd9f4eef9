import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileSnapshot, evaluateFlag } from "../../packages/sdk/src/evaluator.ts";
import { buildSnapshot, initialState, uniformVariation } from "./flag-snapshot.ts";
import { canonical } from "./flag-writer.ts";
import type { FlagEnvRecord, FlagRecord } from "./flag.types.ts";

const flag: FlagRecord = {
  key: "reco",
  type: "boolean",
  kind: "release",
  description: "",
  variations: [
    { key: "on", value: true },
    { key: "off", value: false },
  ],
  offVariation: "off",
  salt: "abc",
  createdAt: 0,
  createdBy: "a",
};
const record = (state: Partial<FlagEnvRecord>): FlagEnvRecord => ({
  flag: "reco",
  env: "staging",
  ...initialState(flag),
  updatedAt: 0,
  updatedBy: "a",
  uniformSince: null,
  ...state,
});

describe("snapshot compilation", () => {
  it("compiles each environment's state into a FlagSnapshot the SDK engine evaluates without problems", () => {
    const states = new Map([
      [
        "reco",
        record({ rules: [{ id: "r1", clauses: [{ attribute: "plan", operator: "in", values: ["pro"] }], serve: { variation: "on" } }] }),
      ],
    ]);
    const snapshot = buildSnapshot("staging", 7, [flag], states, []);
    assert.equal(snapshot.schema, 1);
    assert.equal(snapshot.version, 7);
    assert.deepEqual(snapshot.flags[0]?.rules[0]?.id, "r1");
    const compiled = compileSnapshot(snapshot);
    assert.deepEqual(compiled.problems, []);
    assert.equal(evaluateFlag(compiled, "reco", { plan: "pro" }).reason, "TARGETING_MATCH");
    assert.equal(evaluateFlag(compiled, "reco", { plan: "free" }).variation, "off");
  });

  it("a flag without a stored state in an environment gets the initial one (on, serving off)", () => {
    const snapshot = buildSnapshot("production", 1, [flag], new Map(), []);
    assert.deepEqual(
      { enabled: snapshot.flags[0]?.enabled, fallthrough: snapshot.flags[0]?.fallthrough },
      { enabled: true, fallthrough: { variation: "off" } },
    );
  });

  it("knows when everyone gets one variation (for stale detection)", () => {
    const rollout = (percentage: number) => ({
      rollout: { by: "userId", percentage, variations: [{ variation: "on", weight: 1 }], outVariation: "off" },
    });
    assert.equal(uniformVariation(flag, initialState(flag)), "off");
    assert.equal(uniformVariation(flag, { ...initialState(flag), fallthrough: rollout(100) }), "on");
    assert.equal(uniformVariation(flag, { ...initialState(flag), fallthrough: rollout(0) }), "off");
    assert.equal(uniformVariation(flag, { ...initialState(flag), fallthrough: rollout(50) }), null);
    assert.equal(uniformVariation(flag, { ...initialState(flag), enabled: false, fallthrough: rollout(50) }), "off");
  });

  it("compares states by content, not key order (approvals check that nothing changed meanwhile)", () => {
    assert.equal(canonical({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: undefined } }), canonical({ a: { d: [1, { x: 2, y: 1 }] }, b: 1 }));
    assert.notEqual(canonical({ a: [1, 2] }), canonical({ a: [2, 1] }));
  });
});
