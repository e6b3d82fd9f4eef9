import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FlagsClient } from "./flags-client.ts";
import type { FlagsClientStatus } from "./flags-client.ts";
import { booleanFlag, snapshotOf } from "./flag-fixtures.ts";
import { startFakeFlagsServer } from "./fake-flags-server.ts";
import { waitFor } from "../../../src/shared/wait.ts";

const dir = mkdtempSync(join(tmpdir(), "rampart-sdk-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const v1 = snapshotOf([booleanFlag("checkout", { fallthrough: { variation: "off" } })], [], 1);
const v2 = snapshotOf([booleanFlag("checkout")], [], 2);
const v3 = snapshotOf([booleanFlag("checkout"), booleanFlag("reco")], [], 3);

describe("FlagsClient", () => {
  it("serves a bootstrap file offline, synchronously, with typed getters", async () => {
    const file = join(dir, "bootstrap.json");
    writeFileSync(
      file,
      JSON.stringify(
        snapshotOf([
          booleanFlag("a"),
          {
            ...booleanFlag("limit"),
            type: "number",
            variations: [
              { key: "low", value: 5 },
              { key: "high", value: 50 },
            ],
            offVariation: "low",
            fallthrough: { variation: "high" },
          },
        ]),
      ),
    );
    const client = new FlagsClient({ bootstrapFile: file });
    assert.equal(client.status, "READY");
    await client.ready();
    assert.equal(client.boolean("a", {}, false), true);
    assert.equal(client.number("limit", {}, 1), 50);
    assert.equal(client.boolean("missing", {}, true), true, "unknown flag: the default");
    assert.equal(client.string("a", {}, "x"), "x", "wrong type: the default");
    assert.equal(client.detail("a", {}, "x").errorCode, "TYPE_MISMATCH");
    await client.close();
  });

  it("refuses a bootstrap file that is not a snapshot, naming the problem", () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ schema: 2 }));
    assert.throws(() => new FlagsClient({ bootstrapFile: file }), /schema must be 1/);
  });

  it("streams updates, keeps the last good state while the server is down, and catches up after", async () => {
    const server = await startFakeFlagsServer(v1);
    const statuses: FlagsClientStatus[] = [];
    const client = new FlagsClient({
      url: server.url,
      sdkToken: server.token,
      reconnectMinMs: 20,
      reconnectMaxMs: 100,
      metricsIntervalMs: 0,
    });
    client.on("status", (s) => statuses.push(s));
    const changes: string[][] = [];
    client.on("change", (c) => changes.push(c.changed));
    try {
      await client.ready(5000);
      assert.equal(client.boolean("checkout", { userId: "u" }, true), false);
      server.publish(v2);
      await waitFor(() => (client.version === 2 ? true : undefined), { timeoutMs: 5000 });
      assert.equal(client.boolean("checkout", {}, false), true);
      assert.deepEqual(changes.at(-1), ["checkout"]);

      await server.stop();
      await waitFor(() => (client.status === "STALE" ? true : undefined), { timeoutMs: 5000 });
      assert.equal(client.boolean("checkout", {}, false), true, "the last good snapshot keeps serving");

      server.publish(v3);
      await server.restart();
      await waitFor(() => (client.version === 3 ? true : undefined), { timeoutMs: 10000 });
      assert.equal(client.status, "READY");
      assert.deepEqual(changes.at(-1), ["reco"]);
      assert.ok(statuses.includes("STALE"));
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it("falls back to ETag-checked polling when the stream is unavailable", async () => {
    const server = await startFakeFlagsServer(v1);
    server.streaming = false;
    const client = new FlagsClient({
      url: server.url,
      sdkToken: server.token,
      pollIntervalMs: 30,
      reconnectMinMs: 5000,
      metricsIntervalMs: 0,
    });
    try {
      await client.ready(5000);
      assert.equal(client.version, 1);
      await waitFor(() => (server.requests.filter((r) => r.endsWith("/snapshot")).length >= 3 ? true : undefined), { timeoutMs: 5000 });
      server.publish(v2);
      await waitFor(() => (client.version === 2 ? true : undefined), { timeoutMs: 5000 });
      assert.equal(client.status, "READY", "polling keeps the data current: not stale while the stream is unavailable");
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it("stops and reports a refused token instead of retrying it", async () => {
    const server = await startFakeFlagsServer(v1);
    const client = new FlagsClient({ url: server.url, sdkToken: "rsdk_production_wrong", metricsIntervalMs: 0, reconnectMinMs: 10 });
    try {
      await assert.rejects(client.ready(5000), /refused the SDK token/);
      assert.equal(client.status, "ERROR");
      const seen = server.requests.length;
      await new Promise((r) => setImmediate(r));
      assert.equal(server.requests.length, seen);
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it("sends evaluation counts in batches per flag and variation", async () => {
    const server = await startFakeFlagsServer(v2);
    const client = new FlagsClient({ url: server.url, sdkToken: server.token, metricsIntervalMs: 60_000 });
    try {
      await client.ready(5000);
      for (let i = 0; i < 10; i++) client.boolean("checkout", {}, false);
      client.boolean("missing", {}, false);
      await client.flushMetrics();
      assert.equal(server.metrics.length, 1);
      assert.deepEqual(server.metrics[0]!.counts, [{ flag: "checkout", variation: "on", count: 10 }]);
      assert.ok(server.metrics[0]!.fromMs <= server.metrics[0]!.toMs);
      await client.flushMetrics();
      assert.equal(server.metrics.length, 1, "an empty window sends nothing");
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it("writes a backup and cold-starts from it when the server is unreachable", async () => {
    const backupFile = join(dir, "backup.json");
    const server = await startFakeFlagsServer(v3);
    const first = new FlagsClient({ url: server.url, sdkToken: server.token, backupFile, metricsIntervalMs: 0 });
    await first.ready(5000);
    await first.close();
    await server.stop();
    assert.equal(JSON.parse(readFileSync(backupFile, "utf8")).version, 3);
    const second = new FlagsClient({
      url: server.url,
      sdkToken: server.token,
      backupFile,
      bootstrap: v1,
      metricsIntervalMs: 0,
      reconnectMinMs: 50,
    });
    try {
      assert.equal(second.status, "STALE");
      assert.equal(second.version, 3, "the newer backup wins over the bootstrap");
      await second.ready(200);
      assert.equal(second.boolean("reco", {}, false), true);
    } finally {
      await second.close();
    }
  });

  it("scope records the served variations for the x-rampart-flags header", () => {
    const client = new FlagsClient({
      bootstrap: snapshotOf([booleanFlag("checkout"), booleanFlag("reco", { enabled: false }), booleanFlag("new ui")]),
    });
    const scope = client.scope({ userId: "u1" });
    assert.equal(scope.header(), "");
    const headers: Record<string, string> = {};
    scope.apply({ setHeader: (n, v) => (headers[n] = v) });
    assert.deepEqual(headers, {}, "no evaluation, no header");
    assert.equal(scope.boolean("checkout", false), true);
    assert.equal(scope.boolean("reco", true), false);
    scope.boolean("checkout", false);
    scope.boolean("missing", false);
    scope.boolean("new ui", false);
    assert.equal(scope.header(), "checkout=on,reco=off,new%20ui=on");
    scope.apply({ setHeader: (n, v) => (headers[n] = v) });
    assert.deepEqual(headers, { "x-rampart-flags": "checkout=on,reco=off,new%20ui=on" });
  });
});
