import { createHistogram } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { Pool } from "undici";

/**
 * Open-loop load at a fixed rate (what wrk2 does; wrk2 is not in Debian). Requests are issued in batches
 * every 0.25 ms, and each latency is counted from its batch's *scheduled* time, not from when it was
 * sent: a late timer or a server that makes requests queue counts against the target instead of
 * silently slowing the generator down (no coordinated omission). libuv timers only have millisecond
 * resolution, which would charge up to 1 ms of the generator's own lateness to every request, so a
 * worker thread sleeping in Atomics.wait (sub-millisecond) wakes the main loop for each batch.
 *
 * `node fixed-rate.ts --url http://127.0.0.1:PORT/ --rate 5000 --seconds 8 --warmup 2`
 * prints one JSON line: { rate, sent, ok, errors, p50Ms, p90Ms, p99Ms, maxMs, behindMs }.
 */
const { values } = parseArgs({
  options: {
    url: { type: "string" },
    rate: { type: "string" },
    seconds: { type: "string", default: "8" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "64" },
  },
});
if (values.url === undefined || values.rate === undefined) {
  process.stderr.write("usage: fixed-rate.ts --url URL --rate N [--seconds S] [--warmup S] [--connections C]\n");
  process.exit(2);
}
const url = new URL(values.url);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const pool = new Pool(url.origin, { connections: Number(values.connections), pipelining: 1, keepAliveTimeout: 60_000 });
const path = url.pathname + url.search;

// Nanosecond HDR histogram (node's built-in), only for requests scheduled after the warm-up.
const histogram = createHistogram({ lowest: 1, highest: 60_000_000_000, figures: 3 });
let sent = 0;
let ok = 0;
let errors = 0;
let outstanding = 0;
let maxBehindMs = 0;

const start = performance.now();
const measureFrom = start + warmup * 1000;
const end = measureFrom + seconds * 1000;
const SLOT_MS = 0.25;
const perSlot = (rate / 1000) * SLOT_MS;
let issuedUpTo = 0; // total requests issued; the schedule stays exact over time even at fractional per-ms rates
let nextSlot = 0; // the next batch to issue

function issue(scheduledAt: number): void {
  const measured = scheduledAt >= measureFrom;
  outstanding++;
  if (measured) sent++;
  pool.request({ path, method: "GET" }).then(
    async (res) => {
      await res.body.dump();
      outstanding--;
      if (!measured) return;
      if (res.statusCode === 200) ok++;
      else errors++;
      histogram.record(Math.max(1, Math.round((performance.now() - scheduledAt) * 1e6)));
    },
    () => {
      outstanding--;
      if (measured) errors++;
    },
  );
}

function tick(): void {
  const now = performance.now();
  // Every batch whose time has come, each stamped with its own scheduled time.
  while (start + nextSlot * SLOT_MS <= now && start + nextSlot * SLOT_MS < end) {
    const scheduledAt = start + nextSlot * SLOT_MS;
    const due = Math.floor((nextSlot + 1) * perSlot);
    while (issuedUpTo < due) {
      issue(scheduledAt);
      issuedUpTo++;
    }
    if (scheduledAt >= measureFrom) maxBehindMs = Math.max(maxBehindMs, now - scheduledAt);
    nextSlot++;
  }
  if (start + nextSlot * SLOT_MS >= end) {
    void ticker.terminate();
    finish();
  }
}

// The ticker only wakes the main thread; the schedule itself is computed from performance.now() above.
const ticker = new Worker(
  `const { parentPort, workerData } = require("node:worker_threads");
   const cell = new Int32Array(new SharedArrayBuffer(4));
   for (;;) { Atomics.wait(cell, 0, 0, workerData); parentPort.postMessage(0); }`,
  { eval: true, workerData: SLOT_MS },
);
ticker.on("message", tick);

function finish(): void {
  // Stragglers get 5 s; whatever is still outstanding then counts as an error.
  const deadline = performance.now() + 5_000;
  const wait = (): void => {
    if (outstanding > 0 && performance.now() < deadline) return void setTimeout(wait, 5);
    const ms = (p: number): number => Number(histogram.percentile(p)) / 1e6;
    const result = {
      rate,
      sent,
      ok,
      errors: errors + Math.max(0, sent - ok - errors),
      p50Ms: ms(50),
      p90Ms: ms(90),
      p99Ms: ms(99),
      maxMs: Number(histogram.max) / 1e6,
      behindMs: maxBehindMs,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    void pool.destroy().then(() => process.exit(0));
  };
  wait();
}

