import assert from "node:assert/strict";
import { test } from "node:test";
import { compileTable, type CompiledApp } from "./compiled-table.ts";
import { edgeStickyId, newStickyId, pickStickyRelease, readCookie, stickyPosition } from "./sticky-split.ts";

function canaryApp(canaryPercent: number): CompiledApp {
  const table = compileTable({
    version: 1,
    environments: [
      {
        name: "production",
        bind: "127.0.0.1",
        port: 8080,
        routes: [{ app: "web", hosts: null, prefix: "/" }],
        apps: [
          {
            name: "web",
            upstreamTimeoutMs: 1000,
            split: true,
            releases: [
              { release: 7, weight: 100 - canaryPercent, instances: [{ id: "a", host: "127.0.0.1", port: 1 }] },
              { release: 8, weight: canaryPercent, instances: [{ id: "b", host: "127.0.0.1", port: 2 }] },
            ],
          },
        ],
      },
    ],
  });
  const app = table.environments[0]?.routes[0]?.app;
  assert.ok(app !== undefined);
  return app;
}

test("positions spread evenly: each tenth of [0, 1) gets about a tenth of 100,000 keys", () => {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const p = stickyPosition(`user-${i}`);
    assert.ok(p >= 0 && p < 1);
    counts[Math.floor(p * 10)]!++;
  }
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `bucket count ${c}`);
});

test("the canary gets its share, and everyone on it stays as it grows 5 → 25 → 50 → 100 %", () => {
  const users = Array.from({ length: 20_000 }, (_, i) => `u${i}`);
  let previous = new Set<string>();
  for (const percent of [5, 25, 50, 100]) {
    const app = canaryApp(percent);
    assert.equal(app.split, percent < 100);
    const onCanary = new Set(users.filter((u) => pickStickyRelease(app, stickyPosition(u))?.release === 8));
    const share = (onCanary.size / users.length) * 100;
    assert.ok(Math.abs(share - percent) < 1.5, `${percent} %: got ${share.toFixed(2)} %`);
    for (const u of previous) assert.ok(onCanary.has(u), `${u} left the canary when it grew to ${percent} %`);
    previous = onCanary;
  }
});

test("the same key always lands on the same side", () => {
  const app = canaryApp(30);
  for (let i = 0; i < 1000; i++) {
    const key = `k${i}`;
    assert.equal(pickStickyRelease(app, stickyPosition(key)), pickStickyRelease(app, stickyPosition(key)));
  }
});

test("cookies are read by exact name; the edge's own id must look like one it made", () => {
  assert.equal(readCookie("a=1; session=abc; b=2", "session"), "abc");
  assert.equal(readCookie("xsession=1; session=two", "session"), "two");
  assert.equal(readCookie("a=1", "session"), undefined);
  assert.equal(readCookie(undefined, "session"), undefined);
  const id = newStickyId();
  assert.equal(edgeStickyId(`x=1; rampart_sticky=${id}`), id);
  assert.equal(edgeStickyId("rampart_sticky=<script>"), undefined);
});
