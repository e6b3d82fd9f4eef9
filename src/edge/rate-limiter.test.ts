import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RateLimiter } from "./rate-limiter.ts";
import { closeMargin, StreamRegistry } from "./stream-drain.ts";
import { waitFor } from "../shared/wait.ts";

describe("RateLimiter", () => {
  test("a client gets its burst at once, then the rate; Retry-After says when the next token is there", () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => now);
    assert.deepEqual([limiter.take("a"), limiter.take("a"), limiter.take("a")], [0, 0, 0]);
    assert.equal(limiter.take("a"), 1);
    // Another client has its own bucket.
    assert.equal(limiter.take("b"), 0);
    now = 500;
    assert.equal(limiter.take("a"), 0);
    assert.equal(limiter.take("a"), 1);
    const slow = new RateLimiter({ perSecond: 0.1, burst: 1 }, () => now);
    assert.equal(slow.take("c"), 0);
    assert.equal(slow.take("c"), 10);
  });

  test("memory stays bounded: idle buckets are swept, and a full map drops its oldest", () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 10, burst: 10 }, () => now, 1_000);
    for (let i = 0; i < 5_000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    assert.ok(limiter.size() <= 1_000, String(limiter.size()));
    // Refilled buckets are the same as new ones: after a refill window they are gone.
    now = 5_000;
    limiter.take("late");
    assert.equal(limiter.size(), 1);
  });
});

describe("StreamRegistry", () => {
  test("closes an instance's streams once it left the table, drain − margin later; a returning instance keeps them", async () => {
    const registry = new StreamRegistry();
    const closed: string[] = [];
    const stream = (name: string) => ({ closeGracefully: () => void closed.push(name) });
    const a = stream("a");
    const b = stream("b");
    registry.setLive(
      new Set(["i1", "i2"]),
      new Map([
        ["i1", 100],
        ["i2", 100],
      ]),
    );
    registry.add("i1", a);
    registry.add("i2", b);
    registry.setLive(new Set(["i2"]), new Map([["i2", 100]]));
    // i1 left and comes back before its deadline: nothing is closed.
    registry.setLive(
      new Set(["i1", "i2"]),
      new Map([
        ["i1", 100],
        ["i2", 100],
      ]),
    );
    registry.setLive(new Set(["i2"]), new Map([["i2", 100]]));
    await waitFor(() => (closed.length > 0 ? true : undefined), { timeoutMs: 2_000, intervalMs: 5 });
    assert.deepEqual(closed, ["a"]);
    registry.remove("i1", a);
    assert.equal(registry.count(), 1);
    const all = registry.closeAll(1_000);
    assert.deepEqual(closed, ["a", "b"]);
    registry.remove("i2", b);
    await all;
    assert.equal(registry.count(), 0);
  });

  test("the margin is at most a second and never more than half the drain", () => {
    assert.equal(closeMargin(10_000), 1_000);
    assert.equal(closeMargin(1_000), 500);
    assert.equal(closeMargin(0), 0);
  });
});
