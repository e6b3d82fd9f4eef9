/**
 * Experiment events: SDK overhead per `track` call and per evaluation with exposure recording, and the
 * server's event ingest throughput (in process, SQLite, through the experiment service: the route adds only
 * JSON parsing and validation). Run: node bench/flags/experiments.ts
 */
import { FlagsClient } from "../../packages/sdk/src/flags-client.ts";
import { EventTracker } from "../../packages/sdk/src/event-tracker.ts";
import { userHash } from "../../packages/sdk/src/user-hash.ts";
import { flagsFixture } from "../../src/flags/flag.fixture.ts";

function perCall(label: string, n: number, body: (i: number) => void): number {
  for (let i = 0; i < Math.min(n, 20_000); i++) body(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) body(i);
  const ns = Number(process.hrtime.bigint() - start) / n;
  process.stdout.write(`${label}: ${ns.toFixed(0)} ns/call\n`);
  return ns;
}

const tracker = new EventTracker(Date.now, { maxQueued: 1_000_000 });
perCall("SDK track() (hash + queue), distinct users", 200_000, (i) => {
  tracker.track("purchase", { userId: `user-${i}` }, { value: 42.5 } as never);
  if (i % 10_000 === 9_999) tracker.take();
});

const f = await flagsFixture();
await f.service.create({ key: "reco", type: "boolean", kind: "experiment", description: "" }, "bench");
await f.service.percentRollout("reco", "staging", { percentage: 50, by: "userId" }, "bench");
const snapshot = await f.snapshots.snapshot("staging");
const fakeFetch = (async () => new Response(null, { status: 202 })) as typeof fetch;
const plain = new FlagsClient({ bootstrap: snapshot });
const counted = new FlagsClient({
  url: "http://x",
  sdkToken: "rsdk_x",
  streaming: false,
  pollIntervalMs: 3_600_000,
  metricsIntervalMs: 3_600_000,
  exposures: false,
  fetch: fakeFetch,
  bootstrap: snapshot,
});
const exposed = new FlagsClient({
  url: "http://x",
  sdkToken: "rsdk_x",
  streaming: false,
  pollIntervalMs: 3_600_000,
  metricsIntervalMs: 3_600_000,
  fetch: fakeFetch,
  bootstrap: snapshot,
});
const users = 1000;
perCall("evaluation, offline client (no counting)", 500_000, (i) => plain.boolean("reco", { userId: `u${i % users}` }, false));
perCall("evaluation, counting only", 500_000, (i) => counted.boolean("reco", { userId: `u${i % users}` }, false));
perCall("evaluation, counting + exposures (1,000 returning users)", 500_000, (i) =>
  exposed.boolean("reco", { userId: `u${i % users}` }, false),
);
perCall("client.track()", 200_000, (i) => {
  exposed.track("purchase", { userId: `u${i % users}` }, { value: 10 });
  if (i % 5_000 === 4_999) void exposed.flushMetrics();
});
await Promise.all([plain.close(), counted.close(), exposed.close()]);

// Ingest: 20,000 exposed users, then batches of 1,000 events from them.
const now = f.clock.now();
const total = 20_000;
let start = performance.now();
for (let b = 0; b < total; b += 1000) {
  const exposures = Array.from({ length: 1000 }, (_, i) => ({
    flag: "reco",
    variation: i % 2 ? "on" : "off",
    user: userHash(`u${b + i}`),
    atMs: now,
  }));
  await f.experiments.ingestSdk("staging", { exposures, events: [] });
}
let s = (performance.now() - start) / 1000;
process.stdout.write(`ingest exposures: ${total} in ${s.toFixed(2)} s = ${Math.round(total / s)}/s\n`);
start = performance.now();
for (let b = 0; b < total; b += 1000) {
  const events = Array.from({ length: 1000 }, (_, i) => ({
    key: "purchase",
    user: userHash(`u${(b + i * 7) % total}`),
    atMs: now,
    value: 42.5,
  }));
  await f.experiments.ingestSdk("staging", { exposures: [], events });
}
s = (performance.now() - start) / 1000;
process.stdout.write(`ingest events (each attributed to 1 flag): ${total} in ${s.toFixed(2)} s = ${Math.round(total / s)}/s\n`);
// The next day every user comes back: each SDK reports its exposure again (the day's first evaluation), which
// only updates when the user was last seen (retention).
f.clock.advance(86_400_000);
const nextDay = f.clock.now();
start = performance.now();
for (let b = 0; b < total; b += 1000) {
  const exposures = Array.from({ length: 1000 }, (_, i) => ({
    flag: "reco",
    variation: i % 2 ? "on" : "off",
    user: userHash(`u${b + i}`),
    atMs: nextDay,
  }));
  await f.experiments.ingestSdk("staging", { exposures, events: [] });
}
s = (performance.now() - start) / 1000;
process.stdout.write(`ingest returning users' exposures (seen updates): ${total} in ${s.toFixed(2)} s = ${Math.round(total / s)}/s\n`);
f.clock.advance(86_400_000);
start = performance.now();
const results = await f.experiments.results("reco", "staging", { metric: "purchase", alpha: 0.05, targetEffect: 0.05 });
process.stdout.write(`results with retention 1d/7d: ${(performance.now() - start).toFixed(0)} ms (${results.days.length} day)\n`);
start = performance.now();
const report = await f.reports.report("reco", "staging");
process.stdout.write(`weekly report (Markdown): ${(performance.now() - start).toFixed(0)} ms, ${report.markdown.length} characters\n`);
await f.close();
