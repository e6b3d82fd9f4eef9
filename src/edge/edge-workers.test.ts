import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RoutingTable } from "./routing-table.types.ts";
import {
  app,
  environment,
  freePort,
  httpRequest,
  makeDataDir,
  release,
  route,
  startEdge,
  startUpstream,
  stopEdge,
  type EdgeProcess,
  type Upstream,
} from "./edge-test-harness.ts";
import { waitFor } from "../shared/wait.ts";

/** The edge's multi-worker model: SO_REUSEPORT spreading, merged stats and inflight, worker restarts. */
describe("edge workers", () => {
  let edge: EdgeProcess | undefined;
  let up: Upstream | undefined;
  let port = 0;

  before(async () => {
    edge = await startEdge(await makeDataDir(), { workers: 2 });
    up = await startUpstream("w");
    port = await freePort();
    const table: RoutingTable = {
      version: 1,
      environments: [environment("prod", port, [route("web", "/")], [app("web", [release(1, 1, [up])])])],
    };
    assert.deepEqual((await edge.client.putTable(table)).errors, []);
  });
  after(async () => {
    await up?.close();
    await stopEdge(edge);
  });

  function running(): EdgeProcess {
    assert.ok(edge !== undefined);
    return edge;
  }

  async function workers(): Promise<{ pid: number; served: number; restarts: number }[]> {
    await running().client.stats(); // refreshes each worker's `served`
    return (await running().client.health()).workers ?? [];
  }

  /** n requests, 8 at a time, each on a fresh connection (the kernel picks a worker per connection). */
  async function load(n: number, path = "/"): Promise<number[]> {
    const statuses: number[] = [];
    const lane = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) statuses.push((await httpRequest(port, path)).status);
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => lane(Math.floor(n / 8) + (i < n % 8 ? 1 : 0))));
    return statuses;
  }

  test("both workers serve, and stats from all of them add up exactly", async () => {
    await running().client.stats();
    const before = await workers();
    assert.equal(before.length, 2);
    assert.notEqual(before[0]?.pid, running().child.pid);
    const statuses = await load(300);
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
    );
    const counted = await collect(300);
    assert.equal(counted.get("web|1|w|200"), 300);
    const after = await workers();
    for (const w of after) {
      const served = w.served - (before.find((b) => b.pid === w.pid)?.served ?? 0);
      assert.ok(served > 0, `worker ${w.pid} served nothing: ${JSON.stringify(after)}`);
    }
  });

  test("inflight is summed over the workers", async () => {
    const u = up;
    assert.ok(u !== undefined);
    u.hold = true;
    const pending = Array.from({ length: 12 }, () => httpRequest(port, "/"));
    await waitFor(() => (u.held.length === 12 ? true : undefined), { timeoutMs: 5_000, intervalMs: 5 });
    assert.equal((await running().client.stats()).inflight.w, 12);
    u.hold = false;
    u.release();
    for (const reply of await Promise.all(pending)) assert.equal(reply.status, 200);
    await waitFor(async () => ((await running().client.stats()).inflight.w === 0 ? true : undefined), { timeoutMs: 5_000 });
  });

  test("kill -9 of a worker: the other keeps serving and the primary starts a new one", async () => {
    const [victim, survivor] = await workers();
    assert.ok(victim !== undefined && survivor !== undefined);
    process.kill(victim.pid, "SIGKILL");
    await waitFor(() => (alive(victim.pid) ? undefined : true), { timeoutMs: 5_000, intervalMs: 5 });
    // Until the replacement is up, every connection lands on the surviving worker.
    assert.deepEqual(
      (await load(40)).filter((s) => s !== 200),
      [],
    );
    const replaced = await waitFor(
      async () => {
        const now = await workers();
        return now.length === 2 && !now.some((w) => w.pid === victim.pid) ? now : undefined;
      },
      { timeoutMs: 10_000 },
    );
    assert.equal(replaced[0]?.restarts, 1);
    assert.equal((await running().client.health()).pid, running().child.pid);
    // The replacement got the table: it serves too.
    const fresh = replaced.find((w) => w.pid !== survivor.pid);
    assert.ok(fresh !== undefined);
    await waitFor(
      async () => {
        assert.deepEqual(
          (await load(40)).filter((s) => s !== 200),
          [],
        );
        return ((await workers()).find((w) => w.pid === fresh.pid)?.served ?? 0) > 0 ? true : undefined;
      },
      { timeoutMs: 10_000 },
    );
  });

  test("kill -9 of the primary: its workers serve on until a new edge answers, then drain and exit", async () => {
    const old = running();
    const orphans = (await workers()).map((w) => w.pid);
    assert.equal(orphans.length, 2);
    old.child.kill("SIGKILL");
    await old.exited;
    // Nobody has started a new edge yet: the orphans still answer every request.
    assert.deepEqual(
      (await load(40)).filter((s) => s !== 200),
      [],
    );
    assert.ok(orphans.every(alive));
    // The successor loads the saved table; its workers listen beside the orphans, which then leave.
    edge = await startEdge(old.dataDir, { workers: 2 });
    const statuses: number[] = [];
    await waitFor(
      async () => {
        statuses.push(...(await load(16)));
        return orphans.some(alive) ? undefined : true;
      },
      { timeoutMs: 20_000 },
    );
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      "no request failed while the edge changed hands",
    );
    assert.deepEqual(
      (await load(40)).filter((s) => s !== 200),
      [],
    );
  });

  /** Reads stats until `total` requests were counted; per env|app... key counts. */
  async function collect(total: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let seen = 0;
    await waitFor(
      async () => {
        const stats = await running().client.stats();
        for (const s of stats.series) {
          const key = `${s.app}|${s.release}|${s.instance}|${s.status}`;
          counts.set(key, (counts.get(key) ?? 0) + s.count);
          seen += s.count;
          assert.equal(
            s.buckets.reduce((a, b) => a + b, 0),
            s.count,
          );
        }
        return seen >= total ? true : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 20 },
    );
    assert.equal(seen, total);
    return counts;
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
