import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { userHash } from "../../packages/sdk/src/user-hash.ts";
import { localTokenAuthenticator } from "../access/local-authenticator.ts";
import { buildApiServer } from "../api/api-server.ts";
import { flagsFixture, type FlagsFixture } from "./flag.fixture.ts";

const ADMIN = "admin-token";

describe("experiment routes over HTTP (in process)", () => {
  let f: FlagsFixture;
  let app: FastifyInstance;
  let sdkToken = "";
  const call = async (method: "GET" | "POST", url: string, token: string | undefined, payload?: unknown) => {
    const res = await app.inject({
      method,
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };

  before(async () => {
    f = await flagsFixture();
    app = buildApiServer({
      routes: f.routes,
      streams: [],
      protocols: [],
      authenticator: localTokenAuthenticator(ADMIN),
      protection: { isProtected: (env) => env === "production" },
      clock: f.clock,
      version: "test",
      dataDir: "/tmp",
    });
    await app.ready();
    await f.service.create({ key: "reco", type: "boolean", kind: "experiment", description: "" }, "alice");
    await f.service.percentRollout("reco", "staging", { percentage: 100, by: "userId" }, "alice");
    sdkToken = (await f.service.createToken("staging", "alice")).token;
  });
  after(async () => {
    await app.close();
    await f.close();
  });

  it("takes events in the documented shape with the SDK token and attributes them to the exposed variation", async () => {
    const exposed = await call("POST", "/api/v1/flags/sdk/events", sdkToken, {
      exposures: [{ flag: "reco", variation: "on", user: userHash("u-1"), atMs: f.clock.now() }],
      events: [],
    });
    assert.equal(exposed.status, 202, JSON.stringify(exposed.body));
    f.clock.advance(1000);
    const res = await call("POST", "/api/v1/flags/events", sdkToken, {
      events: [
        { key: "purchase", context: { targetingKey: "u-1", plan: "pro" }, value: 42.5 },
        { key: "purchase", context: { targetingKey: "u-2" } },
      ],
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body, { accepted: 2, attributed: 1, withoutKey: 0 });
    const results = await call("GET", "/api/v1/flags/reco/results?env=staging&metric=purchase", ADMIN);
    assert.equal(results.status, 200, JSON.stringify(results.body));
    const days = results.body.days as Array<{
      variations: Array<{ variation: string; exposed: number; events: number; valuePerUser: { estimate: number } }>;
    }>;
    const on = days.at(-1)?.variations.find((v) => v.variation === "on");
    assert.deepEqual([on?.exposed, on?.events, on?.valuePerUser.estimate], [1, 1, 42.5]);
    const report = await call("GET", "/api/v1/flags/reco/report?env=staging", ADMIN);
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.match(String(report.body.markdown), /^# Experiment report: reco in staging\n[\s\S]*## Metric `purchase`/);
    assert.equal((await call("GET", "/api/v1/flags/reco/report?env=staging", sdkToken)).status, 401, "the SDK token reads no reports");
  });

  it("answers bad input with a 4xx naming what was wrong, never a 5xx", async () => {
    assert.equal((await call("POST", "/api/v1/flags/events", undefined, { events: [] })).status, 401);
    assert.equal(
      (await call("POST", "/api/v1/flags/events", sdkToken, { events: [{ key: "purchase", context: {}, value: "x" }] })).status,
      400,
    );
    assert.equal((await call("POST", "/api/v1/flags/events", sdkToken, { event: [] })).status, 400);
    assert.equal((await call("GET", "/api/v1/flags/reco/results?env=staging&split=on", ADMIN)).status, 400);
    assert.equal((await call("GET", "/api/v1/flags/nope/results?env=staging", ADMIN)).status, 404);
    assert.equal((await call("GET", "/api/v1/flags/nope/report?env=staging", ADMIN)).status, 404);
    assert.equal((await call("GET", "/api/v1/flags/reco/report", ADMIN)).status, 400);
    assert.equal((await call("GET", "/api/v1/flags/reco/results?env=staging&retention=1,x", ADMIN)).status, 400);
  });
});
