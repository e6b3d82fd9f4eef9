import assert from "node:assert/strict";
import { test } from "node:test";
import { pickInstance, pickRelease, pickRetryInstance, type InstanceLoad } from "./balancer.ts";
import { compileTable, type CompiledApp } from "./compiled-table.ts";
import type { EdgeRelease } from "./routing-table.types.ts";

function compileApp(releases: EdgeRelease[]): CompiledApp {
  const table = compileTable({
    version: 1,
    environments: [
      {
        name: "e",
        bind: "b",
        port: 1,
        routes: [{ app: "a", hosts: null, prefix: "/" }],
        apps: [{ name: "a", upstreamTimeoutMs: 1, releases }],
      },
    ],
  });
  const app = table.environments[0]?.routes[0]?.app;
  assert.ok(app !== undefined);
  return app;
}

const instances = (...ids: string[]) => ids.map((id, i) => ({ id, host: "127.0.0.1", port: 1000 + i }));

function fakeLoad(outstanding: Record<string, number> = {}, down: string[] = [], answers: Record<string, number> = {}): InstanceLoad {
  return { outstanding: (id) => outstanding[id] ?? 0, isDown: (id) => down.includes(id), lastAnswer: (id) => answers[id] ?? 0 };
}

test("releases get traffic in proportion to their weights, weight 0 none", () => {
  const app = compileApp([
    { release: 1, weight: 95, instances: instances("a") },
    { release: 2, weight: 5, instances: instances("b") },
    { release: 3, weight: 0, instances: instances("c") },
  ]);
  const counts = new Map<number, number>();
  for (let i = 0; i < 1000; i++) {
    const r = pickRelease(app)?.release ?? -1;
    counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  assert.deepEqual(Object.fromEntries(counts), { 1: 950, 2: 50 });
});

test("a release without instances takes no traffic; none left means undefined", () => {
  assert.equal(pickRelease(compileApp([{ release: 1, weight: 1, instances: [] }])), undefined);
  assert.equal(pickRelease(compileApp([{ release: 1, weight: 0, instances: instances("a") }])), undefined);
});

test("fewest outstanding wins, ties go round-robin, down instances only as a last resort", () => {
  const app = compileApp([{ release: 1, weight: 1, instances: instances("a", "b", "c") }]);
  const release = app.weighted[0];
  assert.ok(release !== undefined);
  const ties = Array.from({ length: 6 }, () => pickInstance(release, fakeLoad())?.id);
  assert.deepEqual(ties, ["a", "b", "c", "a", "b", "c"]);
  for (let i = 0; i < 5; i++) assert.equal(pickInstance(release, fakeLoad({ a: 2, b: 1, c: 3 }))?.id, "b");
  for (let i = 0; i < 5; i++) assert.notEqual(pickInstance(release, fakeLoad({}, ["b"]))?.id, "b");
  assert.equal(pickInstance(release, fakeLoad({ a: 1, b: 0, c: 2 }, ["a", "b", "c"]))?.id, "b");
});

test("a retry goes to another instance: another release (taking traffic, then on standby), then the same release", () => {
  const app = compileApp([
    { release: 1, weight: 1, instances: instances("a", "b") },
    { release: 2, weight: 0, instances: instances("c") },
  ]);
  const [r1, r2] = app.all;
  assert.ok(r1 !== undefined && r2 !== undefined);
  const a = r1.instances[0];
  const c = r2.instances[0];
  assert.ok(a !== undefined && c !== undefined);
  // a failed: the standby release (c) first, its sibling only when c is down.
  for (let i = 0; i < 4; i++) assert.equal(pickRetryInstance(app, [a], fakeLoad())?.id, "c");
  assert.equal(pickRetryInstance(app, [a], fakeLoad({}, ["c"]))?.id, "b");
  assert.equal(pickRetryInstance(app, [c], fakeLoad({ a: 1 }))?.id, "b");
  const lone = compileApp([{ release: 1, weight: 1, instances: instances("x") }]);
  const x = lone.all[0]?.instances[0];
  assert.ok(x !== undefined);
  assert.equal(pickRetryInstance(lone, [x], fakeLoad()), undefined);
});

test("a retry within the release goes to the instance that answered most recently, not another dead one", () => {
  const app = compileApp([{ release: 1, weight: 1, instances: instances("a", "b", "c") }]);
  const a = app.all[0]?.instances[0];
  assert.ok(a !== undefined);
  // b died with a (its last answer is older); c is still answering.
  for (let i = 0; i < 5; i++) assert.equal(pickRetryInstance(app, [a], fakeLoad({ c: 3 }, [], { a: 5, b: 4, c: 9 }))?.id, "c");
  // Nothing answered yet: least outstanding.
  assert.equal(pickRetryInstance(app, [a], fakeLoad({ b: 2, c: 0 }))?.id, "c");
});

test("a retry skips every instance the request already failed on, then gives up", () => {
  const app = compileApp([{ release: 1, weight: 1, instances: instances("a", "b", "c") }]);
  const [a, b, c] = app.all[0]?.instances ?? [];
  assert.ok(a !== undefined && b !== undefined && c !== undefined);
  // a and b were killed together; b answered last before it died, and nothing marked it down yet.
  const load = fakeLoad({}, [], { a: 5, b: 9, c: 4 });
  assert.equal(pickRetryInstance(app, [a], load)?.id, "b");
  for (let i = 0; i < 5; i++) assert.equal(pickRetryInstance(app, [a, b], load)?.id, "c");
  assert.equal(pickRetryInstance(app, [a, b, c], load), undefined);
});
