import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { OpenFeature, ProviderEvents } from "@openfeature/server-sdk";
import { RampartProvider, flattenContext } from "./openfeature-provider.ts";
import { FlagsClient } from "./flags-client.ts";
import { booleanFlag, snapshotOf } from "./flag-fixtures.ts";
import { startFakeFlagsServer } from "./fake-flags-server.ts";
import { waitFor } from "../../../src/shared/wait.ts";

const snapshot = snapshotOf([
  booleanFlag("plain"),
  booleanFlag("killed", { enabled: false }),
  booleanFlag("targeted", {
    rules: [{ id: "r", clauses: [{ attribute: "plan", operator: "in", values: ["pro"] }], serve: { variation: "on" } }],
    fallthrough: { variation: "off" },
  }),
  booleanFlag("split", {
    fallthrough: { rollout: { by: "targetingKey", percentage: 100, variations: [{ variation: "on", weight: 1 }], outVariation: "off" } },
  }),
  {
    ...booleanFlag("color"),
    type: "string",
    variations: [
      { key: "red", value: "#f00" },
      { key: "blue", value: "#00f" },
    ],
    offVariation: "red",
    fallthrough: { variation: "blue" },
  },
  {
    ...booleanFlag("limit"),
    type: "number",
    variations: [
      { key: "low", value: 1 },
      { key: "high", value: 9 },
    ],
    offVariation: "low",
    fallthrough: { variation: "high" },
  },
  { ...booleanFlag("cfg"), type: "json", variations: [{ key: "a", value: { x: 1 } }], offVariation: "a", fallthrough: { variation: "a" } },
  booleanFlag("expired", {
    rules: [{ id: "r", clauses: [{ attribute: "signup", operator: "lt", values: [Date.UTC(2020, 0, 1)] }], serve: { variation: "on" } }],
    fallthrough: { variation: "off" },
  }),
]);

after(() => OpenFeature.close());

describe("RampartProvider through the OpenFeature server SDK", () => {
  it("resolves values with the spec's reasons and variants", async () => {
    await OpenFeature.setProviderAndWait("local", new RampartProvider({ bootstrap: snapshot }));
    const client = OpenFeature.getClient("local");
    const plain = await client.getBooleanDetails("plain", false);
    assert.deepEqual([plain.value, plain.variant, plain.reason, plain.errorCode], [true, "on", "STATIC", undefined]);
    const killed = await client.getBooleanDetails("killed", true);
    assert.deepEqual([killed.value, killed.variant, killed.reason], [false, "off", "DISABLED"]);
    const match = await client.getBooleanDetails("targeted", false, { plan: "pro" });
    assert.deepEqual([match.value, match.reason], [true, "TARGETING_MATCH"]);
    const noMatch = await client.getBooleanDetails("targeted", true, { plan: "free" });
    assert.deepEqual([noMatch.value, noMatch.reason], [false, "DEFAULT"]);
    const split = await client.getBooleanDetails("split", false, { targetingKey: "user-1" });
    assert.deepEqual([split.value, split.reason], [true, "SPLIT"]);
    assert.equal(await client.getStringValue("color", "x"), "#00f");
    assert.equal(await client.getNumberValue("limit", 0), 9);
    assert.deepEqual(await client.getObjectValue("cfg", {}), { x: 1 });
    assert.equal(
      await client.getBooleanValue("expired", false, { signup: new Date(Date.UTC(2019, 5, 1)) }),
      true,
      "Dates compare as epoch ms",
    );
  });

  it("returns the default with ERROR and the spec's error codes", async () => {
    await OpenFeature.setProviderAndWait("errors", new RampartProvider({ bootstrap: snapshot }));
    const client = OpenFeature.getClient("errors");
    const missing = await client.getBooleanDetails("nope", true);
    assert.deepEqual([missing.value, missing.reason, missing.errorCode], [true, "ERROR", "FLAG_NOT_FOUND"]);
    assert.ok(missing.errorMessage?.includes("nope"));
    const mismatch = await client.getStringDetails("plain", "d");
    assert.deepEqual([mismatch.value, mismatch.reason, mismatch.errorCode], ["d", "ERROR", "TYPE_MISMATCH"]);
  });

  it("reports a provider that cannot load flags as not ready, and a refused token as fatal", async () => {
    const server = await startFakeFlagsServer(snapshot);
    const provider = new RampartProvider({ url: server.url, sdkToken: "rsdk_production_bad", metricsIntervalMs: 0 });
    try {
      await assert.rejects(OpenFeature.setProviderAndWait("fatal", provider));
      const d = await OpenFeature.getClient("fatal").getBooleanDetails("plain", false);
      assert.equal(d.value, false);
      assert.equal(d.errorCode, "PROVIDER_FATAL");
    } finally {
      await server.stop();
    }
  });

  it("emits PROVIDER_CONFIGURATION_CHANGED with the changed keys when the stream pushes a change", async () => {
    const server = await startFakeFlagsServer(snapshot);
    const shared = new FlagsClient({ url: server.url, sdkToken: server.token, metricsIntervalMs: 0 });
    try {
      await OpenFeature.setProviderAndWait("live", new RampartProvider(shared));
      const client = OpenFeature.getClient("live");
      const changed: string[][] = [];
      client.addHandler(ProviderEvents.ConfigurationChanged, (e) => changed.push(e?.flagsChanged ?? []));
      server.publish({ ...snapshot, version: 2, flags: snapshot.flags.map((f) => (f.key === "plain" ? { ...f, enabled: false } : f)) });
      await waitFor(() => (changed.length > 0 ? true : undefined), { timeoutMs: 5000 });
      assert.deepEqual(changed[0], ["plain"]);
      assert.equal(await client.getBooleanValue("plain", true), false);
    } finally {
      await shared.close();
      await server.stop();
    }
  });

  it("passes flat contexts through without copying", () => {
    const ctx = { targetingKey: "u", plan: "pro" };
    assert.equal(flattenContext(ctx), ctx);
    assert.deepEqual(flattenContext({ a: { b: 1 }, d: new Date(5), s: "x" }), { d: 5, s: "x" });
  });
});
