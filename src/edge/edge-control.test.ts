import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer, request } from "node:http";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createEdgeClient } from "./edge-client.ts";
import { parseRoutingTable } from "./routing-table.schema.ts";
import type { RequestSeries } from "./edge-stats.types.ts";
import type { RoutingTable } from "./routing-table.types.ts";
import {
  app,
  environment,
  freePort,
  httpRequest,
  makeDataDir,
  release,
  route,
  servedBy,
  startEdge,
  startUpstream,
  stopEdge,
  type EdgeProcess,
  type Upstream,
  edgeRig,
} from "./edge-test-harness.ts";
import { waitFor } from "../shared/wait.ts";

describe("edge control API", () => {
  // Each test takes its own ports, and the suite numbers its tables itself: its assertions compare the versions.
  const rig = edgeRig({ port: false });
  let version = 0;

  function webTable(port: number, ups: Upstream[]): RoutingTable {
    return {
      version: ++version,
      environments: [
        environment("prod", port, [route("web", "/"), route("empty", "/empty")], [app("web", [release(1, 1, ups)]), app("empty", [])]),
      ],
    };
  }

  test("stats count exactly the requests sent, then reset", async () => {
    const port = await freePort();
    const up = await rig.upstream("st");
    await rig.edge.client.putTable({
      ...webTable(port, [up]),
      environments: [
        environment("prod", port, [route("web", "/web"), route("empty", "/empty")], [app("web", [release(1, 1, [up])]), app("empty", [])]),
      ],
    });
    await rig.edge.client.stats();
    for (let i = 0; i < 7; i++) assert.equal((await httpRequest(port, "/web")).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await httpRequest(port, "/nope")).status, 404);
    for (let i = 0; i < 2; i++) assert.equal((await httpRequest(port, "/empty")).status, 503);

    // A series is folded when the response closes, a hair after the client has it: read until all 12 arrived.
    const series: RequestSeries[] = [];
    let fromMs = 0;
    await waitFor(
      async () => {
        const stats = await rig.edge.client.stats();
        if (stats.series.length > 0 && fromMs === 0) fromMs = stats.fromMs;
        if (stats.series.length > 0) assert.ok(stats.fromMs > 0 && stats.fromMs <= stats.toMs);
        series.push(...stats.series);
        return series.reduce((n, s) => n + s.count, 0) >= 12 ? true : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 10 },
    );
    const count = (app: string, release: number, instance: string, status: number) =>
      series
        .filter((s) => s.env === "prod" && s.app === app && s.release === release && s.instance === instance && s.status === status)
        .reduce((n, s) => n + s.count, 0);
    assert.equal(count("web", 1, "st", 200), 7);
    assert.equal(count("", 0, "", 404), 3);
    assert.equal(count("empty", 0, "", 503), 2);
    assert.equal(
      series.reduce((n, s) => n + s.count, 0),
      12,
    );
    for (const s of series) {
      assert.equal(
        s.buckets.reduce((a, b) => a + b, 0),
        s.count,
      );
      assert.ok(s.sumMs > 0);
    }
    assert.ok(fromMs > 0);
    const after = await rig.edge.client.stats();
    assert.deepEqual(after.series, []);
    assert.equal(after.fromMs, 0);
    assert.equal(after.tableVersion, version);
  });

  test("inflight shows a slow request, also after its instance left the table", async () => {
    const port = await freePort();
    const [slow, other] = await Promise.all([rig.upstream("slow"), rig.upstream("other")]);
    slow.hold = true;
    await rig.edge.client.putTable(webTable(port, [slow]));
    assert.equal((await rig.edge.client.stats()).inflight.slow, 0);
    const pending = httpRequest(port, "/");
    await waitFor(() => (slow.held.length === 1 ? true : undefined), { timeoutMs: 5_000, intervalMs: 5 });
    assert.equal((await rig.edge.client.stats()).inflight.slow, 1);

    await rig.edge.client.putTable(webTable(port, [other]));
    const draining = (await rig.edge.client.stats()).inflight;
    assert.equal(draining.slow, 1);
    assert.equal(draining.other, 0);
    assert.equal(servedBy(await httpRequest(port, "/")), "other");

    slow.release();
    assert.equal((await pending).status, 200);
    await waitFor(async () => ((await rig.edge.client.stats()).inflight.slow === undefined ? true : undefined), { timeoutMs: 5_000 });
  });

  test("GET /inflight reads the counts in flight without collecting (and so resetting) the measurements", async () => {
    const port = await freePort();
    const slow = await rig.upstream("held");
    await rig.edge.client.putTable(webTable(port, [slow]));
    await rig.edge.client.stats();
    assert.equal((await httpRequest(port, "/")).status, 200);
    slow.hold = true;
    const pending = httpRequest(port, "/");
    await waitFor(() => (slow.held.length === 1 ? true : undefined), { timeoutMs: 5_000, intervalMs: 5 });
    for (let i = 0; i < 5; i++) assert.equal((await rig.edge.client.inflight()).inflight.held, 1);
    // The finished request is still there for the collections: the in-flight reads did not drain it.
    const series: RequestSeries[] = [];
    const served = () => series.filter((s) => s.instance === "held" && s.status === 200).reduce((n, s) => n + s.count, 0);
    await waitFor(
      async () => {
        series.push(...(await rig.edge.client.stats()).series);
        return served() >= 1 ? true : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 10 },
    );
    assert.equal(served(), 1);
    slow.release();
    assert.equal((await pending).status, 200);
    await waitFor(async () => ((await rig.edge.client.inflight()).inflight.held === 0 ? true : undefined), { timeoutMs: 5_000 });
  });

  test("reconciles listeners: opens added environments, closes removed ones, reports a busy port", async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const up = await rig.upstream("rec");
    const env = (name: string, port: number) => environment(name, port, [route("web", "/")], [app("web", [release(1, 1, [up])])]);
    const client = rig.edge.client;

    let result = await client.putTable({ version: ++version, environments: [env("a", p1)] });
    assert.deepEqual(result.listening, [{ env: "a", bind: "127.0.0.1", port: p1 }]);
    result = await client.putTable({ version: ++version, environments: [env("a", p1), env("b", p2)] });
    assert.deepEqual(result.listening.map((l) => l.env).sort(), ["a", "b"]);
    assert.equal((await httpRequest(p1, "/")).status, 200);
    assert.equal((await httpRequest(p2, "/")).status, 200);

    result = await client.putTable({ version: ++version, environments: [env("b", p2)] });
    assert.deepEqual(result.listening, [{ env: "b", bind: "127.0.0.1", port: p2 }]);
    await waitFor(
      () =>
        httpRequest(p1, "/").then(
          () => undefined,
          (e: NodeJS.ErrnoException) => (e.code === "ECONNREFUSED" ? true : undefined),
        ),
      { timeoutMs: 5_000 },
    );
    assert.equal((await httpRequest(p2, "/")).status, 200);

    const blocker = createServer();
    const p3 = await freePort();
    await new Promise<void>((ok) => blocker.listen(p3, "127.0.0.1", ok));
    try {
      result = await client.putTable({ version: ++version, environments: [env("b", p2), env("c", p3)] });
      assert.deepEqual(result.listening, [{ env: "b", bind: "127.0.0.1", port: p2 }]);
      assert.equal(result.errors.length, 1);
      assert.equal(result.errors[0]?.env, "c");
      assert.equal(result.errors[0]?.port, p3);
      assert.match(result.errors[0]?.message ?? "", /EADDRINUSE/);
    } finally {
      await new Promise<void>((ok) => blocker.close(() => ok()));
    }
    assert.equal((await client.health()).tableVersion, version);
    // The same table again binds the port that is free now.
    result = await client.putTable({ version, environments: [env("b", p2), env("c", p3)] });
    assert.deepEqual(result.errors, []);
    assert.equal((await httpRequest(p3, "/")).status, 200);
  });

  test("ignores a table older than the current one", async () => {
    const port = await freePort();
    const [now, old] = await Promise.all([rig.upstream("now"), rig.upstream("old")]);
    const current = webTable(port, [now]);
    await rig.edge.client.putTable(current);
    const stale = { ...webTable(port, [old]), version: current.version - 1 };
    const result = await rig.edge.client.putTable(stale);
    assert.equal(result.version, current.version);
    assert.equal(servedBy(await httpRequest(port, "/")), "now");
  });

  test("rejects a malformed table with 400 naming the field, and keeps running", async () => {
    const client = rig.edge.client;
    const bad = { version: ++version, environments: [{ name: "x", bind: "127.0.0.1", port: "80", routes: [], apps: [] }] };
    await assert.rejects(client.putTable(bad as unknown as RoutingTable), /400 environments\[0\]\.port/);
    const unknownApp = { version, environments: [environment("x", 1, [route("ghost", "/")], [])] };
    await assert.rejects(client.putTable(unknownApp), /environments\[0\]\.routes\[0\]\.app: unknown app "ghost"/);
    await assert.rejects(client.putTable({ version: -1, environments: [] }), /400 version/);
    const raw = await new Promise<{ status: number; body: string }>((ok, fail) => {
      const req = request({ socketPath: rig.edge.socketPath, method: "PUT", path: "/table", agent: false }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", fail);
      req.end("{not json");
    });
    assert.equal(raw.status, 400);
    assert.match(raw.body, /not valid JSON/);
    assert.equal((await client.health()).pid, rig.edge.child.pid);
  });

  test("the client names an absent socket clearly", async () => {
    await assert.rejects(
      createEdgeClient(join(rig.edge.dataDir, "nope.sock")).health(),
      /edge is not running: control socket .* is absent/,
    );
  });
});

describe("edge process lifecycle", () => {
  const upstreams: Upstream[] = [];
  const edges: EdgeProcess[] = [];
  after(async () => {
    await Promise.all(upstreams.map((u) => u.close()));
    for (const e of edges) await stopEdge(e);
  });

  test("persists the table and serves it again right after SIGKILL and restart", async () => {
    const dataDir = await makeDataDir();
    const first = await startEdge(dataDir);
    edges.push(first);
    const up = await startUpstream("persisted");
    upstreams.push(up);
    const port = await freePort();
    const table: RoutingTable = {
      version: 42,
      environments: [environment("prod", port, [route("web", "/")], [app("web", [release(3, 1, [up])])])],
    };
    await first.client.putTable(table);
    const saved = JSON.parse(await readFile(join(dataDir, "run", "edge-table.json"), "utf8")) as RoutingTable;
    // Saved as applied: the pushed table with the schema's defaults for the fields it left out.
    const applied = parseRoutingTable(table);
    assert.ok(applied.ok);
    assert.deepEqual(saved, applied.table);

    first.child.kill("SIGKILL");
    await first.exited;
    const second = await startEdge(dataDir);
    edges.push(second);
    const reply = await httpRequest(port, "/");
    assert.equal(reply.status, 200);
    assert.equal(servedBy(reply), "persisted");
    const health = await second.client.health();
    assert.equal(health.tableVersion, 42);
    assert.equal(health.pid, second.child.pid);
  });

  test("SIGTERM stops accepting, lets in-flight requests finish, exits 0", async () => {
    const edge = await startEdge(await makeDataDir());
    edges.push(edge);
    const up = await startUpstream("draining");
    upstreams.push(up);
    up.hold = true;
    const port = await freePort();
    await edge.client.putTable({
      version: 1,
      environments: [environment("prod", port, [route("web", "/web")], [app("web", [release(1, 1, [up])])])],
    });
    const pending = httpRequest(port, "/web");
    await waitFor(() => (up.held.length === 1 ? true : undefined), { timeoutMs: 5_000, intervalMs: 5 });

    edge.child.kill("SIGTERM");
    // Probes go to an unrouted path (answered by the edge at once) until the listener refuses them.
    await waitFor(
      () =>
        httpRequest(port, "/probe").then(
          () => undefined,
          (e: NodeJS.ErrnoException) => (e.code === "ECONNREFUSED" ? true : undefined),
        ),
      { timeoutMs: 5_000 },
    );
    up.release();
    const reply = await pending;
    assert.equal(reply.status, 200);
    assert.equal(servedBy(reply), "draining");
    assert.deepEqual(await edge.exited, { code: 0, signal: null });
  });
});
