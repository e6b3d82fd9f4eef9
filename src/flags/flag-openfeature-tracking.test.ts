import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { OFREPProvider } from "@openfeature/ofrep-provider";
import { OpenFeature } from "@openfeature/server-sdk";
import type { FastifyInstance } from "fastify";
import { FlagsClient } from "../../packages/sdk/src/flags-client.ts";
import { RampartProvider } from "../../packages/sdk/src/openfeature-provider.ts";
import { localTokenAuthenticator } from "../access/local-authenticator.ts";
import { buildApiServer } from "../api/api-server.ts";
import type { ExperimentResults } from "./flag-experiment.view.ts";
import { flagsFixture, type FlagsFixture } from "./flag.fixture.ts";

const ADMIN = "admin-token";

/**
 * OpenFeature apps feed the same experiment events as the native SDK: the real OpenFeature server SDK over our
 * provider (`track` with a value), and the real OFREP provider (whose evaluations the server records as exposures,
 * OFREP having no tracking call; such apps send events to POST /api/v1/flags/events). A real HTTP server, in process.
 */
describe("OpenFeature tracking and OFREP exposures feed experiments", () => {
  let f: FlagsFixture;
  let app: FastifyInstance;
  let base = "";
  let sdkToken = "";

  const variationOf = (r: ExperimentResults, v: string) => r.days.at(-1)?.variations.find((x) => x.variation === v);

  before(async () => {
    f = await flagsFixture();
    app = buildApiServer({
      routes: f.routes,
      streams: [],
      protocols: f.protocols ?? [],
      authenticator: localTokenAuthenticator(ADMIN),
      protection: { isProtected: (env) => env === "production" },
      clock: f.clock,
      version: "test",
      dataDir: "/tmp",
    });
    base = await app.listen({ host: "127.0.0.1", port: 0 });
    for (const key of ["of-reco", "ofrep-reco"]) {
      await f.service.create({ key, type: "boolean", kind: "experiment", description: "" }, "alice");
      await f.service.percentRollout(key, "staging", { percentage: 100, by: "targetingKey" }, "alice");
    }
    sdkToken = (await f.service.createToken("staging", "alice")).token;
  });
  after(async () => {
    await OpenFeature.clearProviders();
    await app.close();
    await f.close();
  });

  it("the OpenFeature SDK's track over RampartProvider: evaluation exposes, track records the event with its value", async () => {
    const client = new FlagsClient({ url: base, sdkToken, streaming: false, metricsIntervalMs: 3_600_000, now: () => f.clock.now() });
    await OpenFeature.setProviderAndWait("exp-native", new RampartProvider(client));
    const of = OpenFeature.getClient("exp-native");
    for (const user of ["of-1", "of-2", "of-3"]) assert.equal(await of.getBooleanValue("of-reco", false, { targetingKey: user }), true);
    f.clock.advance(1000);
    of.track("purchase", { targetingKey: "of-1" }, { value: 42.5 });
    of.track("purchase", { targetingKey: "of-2", plan: "pro", since: new Date(0) }, { value: 7.5 });
    await client.flushMetrics();
    const r = await f.experiments.results("of-reco", "staging", { metric: "purchase", alpha: 0.05, targetEffect: 0.1 });
    const on = variationOf(r, "on");
    assert.deepEqual([on?.exposed, on?.converted, on?.events, on?.valuePerUser.estimate], [3, 2, 2, 50 / 3]);
    await client.close();
  });

  it("the real OFREP provider: each evaluation is an exposure on the server; events over HTTP right after are attributed", async () => {
    await OpenFeature.setProviderAndWait(
      "exp-ofrep",
      new OFREPProvider({ baseUrl: base, headers: [["authorization", `Bearer ${sdkToken}`]] }),
    );
    const of = OpenFeature.getClient("exp-ofrep");
    for (const user of ["r-1", "r-2"]) {
      assert.equal(await of.getBooleanValue("ofrep-reco", false, { targetingKey: user }), true);
      assert.equal(await of.getBooleanValue("ofrep-reco", false, { targetingKey: user }), true, "evaluated twice, exposed once");
    }
    // No flush in between: the events' ingest writes the waiting exposures first, so the purchase is attributed.
    f.clock.advance(1000);
    const res = await fetch(`${base}/api/v1/flags/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${sdkToken}`, "content-type": "application/json" },
      body: JSON.stringify({ events: [{ key: "purchase", context: { targetingKey: "r-1" }, value: 10 }] }),
    });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { accepted: 1, attributed: 1, withoutKey: 0 });
    const r = await f.experiments.results("ofrep-reco", "staging", { metric: "purchase", alpha: 0.05, targetEffect: 0.1 });
    const on = variationOf(r, "on");
    assert.deepEqual([on?.exposed, on?.converted, on?.valuePerUser.estimate], [2, 1, 5]);
  });
});
