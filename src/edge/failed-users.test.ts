import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FailedUsers, mergeFailedUsers } from "./failed-users.ts";
import type { FailedUserSeries } from "./edge-stats.types.ts";
import { StatsAccumulator } from "./stats-merge.ts";

const byHeader = { name: "web", sticky: { kind: "header" as const, name: "X-User" } };
const edgeCookie = { name: "web", sticky: null };

describe("failed users (an incident's distinct users affected)", () => {
  it("keeps the hash of the manifest's sticky header, else the edge's cookie, and nothing for a request without a key", () => {
    const users = new FailedUsers();
    users.record("production", byHeader, 2, { "x-user": "alice" }, undefined);
    users.record("production", byHeader, 2, { "x-user": "alice" }, undefined);
    users.record("production", edgeCookie, 2, {}, "a=1; rampart_sticky=abc123");
    users.record("production", edgeCookie, 2, {}, undefined);
    users.record("production", edgeCookie, 2, {}, "rampart_sticky=not valid!");
    const drained = users.drain();
    const keys = drained.flatMap((s) => s.keys);
    assert.equal(keys.length, 3, "two for alice (one user, counted once later), one for the cookie");
    assert.equal(new Set(keys).size, 2);
    assert.ok(
      keys.every((k) => Number.isInteger(k) && k >= 0 && k < 2 ** 32),
      "a 32-bit hash, never the key",
    );
    assert.ok(!JSON.stringify(drained).includes("alice") && !JSON.stringify(drained).includes("abc123"));
    assert.deepEqual(users.drain(), [], "a drain starts over");
  });

  it("is bounded: past 20,000 keys between drains the rest are counted as dropped", () => {
    const users = new FailedUsers();
    for (let i = 0; i < 20_010; i++) users.record("p", byHeader, 1, { "x-user": `u${i}` }, undefined);
    assert.equal(users.dropped, 10);
    assert.equal(users.drain()[0]?.keys.length, 20_000);
  });

  it("workers' keys merge per env × app × release", () => {
    const acc = new StatsAccumulator();
    const a: FailedUserSeries = { env: "p", app: "web", release: 2, keys: [1, 2] };
    acc.add({ fromMs: 1, toMs: 2, series: [], failedUsers: [a] });
    acc.add({ fromMs: 1, toMs: 2, series: [], failedUsers: [{ ...a, keys: [2, 3] }] });
    const taken = acc.take().failedUsers;
    assert.deepEqual(taken, [{ env: "p", app: "web", release: 2, keys: [1, 2, 2, 3] }]);
    const into = new Map<string, FailedUserSeries>();
    mergeFailedUsers(into, taken);
    assert.equal(into.size, 1);
  });
});
