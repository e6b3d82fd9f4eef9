import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { OpenFeature } from "@openfeature/server-sdk";
import { killPlatform, startRampartUp, type RampartUp } from "../../../src/testing/rampart-process.ts";
import { createTestProject, type TestProject } from "../../../src/testing/test-project.ts";
import { readCredentials } from "../../../src/daemon/credentials.ts";
import { waitFor } from "../../../src/shared/wait.ts";
import { FlagsClient } from "./flags-client.ts";
import { RampartProvider } from "./openfeature-provider.ts";

describe("@rampart/sdk against a real `rampart up`", () => {
  let project: TestProject;
  let up: RampartUp;
  let base = "";
  let adminToken = "";
  const clients: FlagsClient[] = [];

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: HTTP ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };

  before(async () => {
    project = await createTestProject({ instances: 1 });
    up = await startRampartUp(project);
    const credentials = readCredentials(project.dataDir)!;
    base = credentials.api;
    adminToken = credentials.token;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await OpenFeature.close();
    await killPlatform(project.dataDir, up);
  });

  it("streams targeting changes and the kill switch to the SDK and the OpenFeature provider, and sends counts", async () => {
    await api("POST", "/api/v1/flags", { key: "new-checkout" });
    const { token } = (await api("POST", "/api/v1/flag-tokens", { env: "staging" })) as { token: string };
    assert.match(token, /^rsdk_staging_[0-9a-f]{32}$/);

    const client = new FlagsClient({ url: base, sdkToken: token });
    clients.push(client);
    await client.ready(10_000);
    assert.equal(client.status, "READY");
    assert.equal(client.detail("new-checkout", { userId: "u1" }).reason, "STATIC", "a new flag serves its off variation");
    assert.equal(client.boolean("new-checkout", { userId: "u1" }, true), false);

    await api("POST", "/api/v1/flags/new-checkout/envs/staging/rollout", { percentage: 50, by: "userId" });
    await waitFor(() => (client.detail("new-checkout", { userId: "u1" }).reason === "SPLIT" ? true : undefined), { timeoutMs: 10_000 });
    let on = 0;
    for (let i = 0; i < 2000; i++) if (client.boolean("new-checkout", { userId: `user-${i}` }, false)) on++;
    assert.ok(on > 850 && on < 1150, `${on} of 2000 users in a 50 % rollout`);

    // The server evaluates with the same engine: its answer for a context equals the SDK's.
    const served = (await api("POST", "/api/v1/flags/new-checkout/envs/staging/evaluate", { context: { userId: "user-7" } })) as {
      value?: unknown;
    };
    assert.equal(served.value, client.boolean("new-checkout", { userId: "user-7" }, false));

    await OpenFeature.setProviderAndWait("e2e", new RampartProvider({ url: base, sdkToken: token, metricsIntervalMs: 0 }));
    const of = OpenFeature.getClient("e2e");
    assert.equal((await of.getBooleanDetails("new-checkout", true, { userId: "user-7" })).reason, "SPLIT");

    await api("POST", "/api/v1/flags/new-checkout/envs/staging/kill", { reason: "e2e" });
    await waitFor(() => (client.detail("new-checkout", { userId: "user-7" }).reason === "DISABLED" ? true : undefined), {
      timeoutMs: 10_000,
    });
    await waitFor(
      async () => ((await of.getBooleanDetails("new-checkout", true, { userId: "user-7" })).reason === "DISABLED" ? true : undefined),
      { timeoutMs: 10_000 },
    );

    const before = (
      await fetch(`${base}/api/v1/flags/sdk/metrics`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ fromMs: 0, toMs: 1, counts: [] }),
      })
    ).status;
    assert.equal(before, 202, "the metrics endpoint accepts the SDK token");
    await client.flushMetrics();
    const view = (await api("GET", "/api/v1/flags/new-checkout?env=staging")) as {
      environments?: Array<{ env: string; stale?: { evaluations: number } }>;
      stale?: { evaluations: number };
    };
    const evaluations = view.stale?.evaluations ?? view.environments?.find((e) => e.env === "staging")?.stale?.evaluations;
    assert.ok((evaluations ?? 0) >= 2000, `the server counted the SDK's evaluations: ${JSON.stringify(view).slice(0, 400)}`);
  });

  it("refuses a wrong token: the SDK stops with status ERROR", async () => {
    const client = new FlagsClient({ url: base, sdkToken: "rsdk_staging_00000000000000000000000000000000", metricsIntervalMs: 0 });
    clients.push(client);
    await assert.rejects(client.ready(10_000), /refused the SDK token/);
    assert.equal(client.status, "ERROR");
  });
});
