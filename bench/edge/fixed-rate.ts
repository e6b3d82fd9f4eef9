import { createHistogram } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { UpstreamPool, type UpstreamConnection, type UpstreamExchange } from "../../src/edge/upstream-connection.ts";

/**
 * Open-loop load at a fixed rate (what wrk2 does; wrk2 is not in Debian). Requests are issued in batches
 * every 0.25 ms, and each latency is counted from its batch's *scheduled* time, not from when it was
 * sent: a late timer or a server that makes requests queue counts against the target instead of
 * silently slowing the generator down (no coordinated omission). libuv timers only have millisecond
 * resolution, which would charge up to 1 ms of the generator's own lateness to every request, so a
 * worker thread sleeping in Atomics.wait (sub-millisecond) wakes the main loop for each batch.
 * The client is the edge's own keep-alive client (src/edge/upstream-connection.ts): it costs about a
 * third of undici's CPU per request, and on a 2-core machine every microsecond the generator spends is
 * taken from the target. Connections are opened on demand, one per request in flight, at most 64 (as
 * wrk's -c): beyond that requests wait for a connection, and the wait counts in their latency.
 *
 * `node fixed-rate.ts --url http://127.0.0.1:PORT/ --rate 5000 --seconds 8 --warmup 2`
 * prints one JSON line: { rate, sent, ok, errors, non200, failed, unfinished, p50Ms, p90Ms, p99Ms, maxMs, behindMs }
 * (errors = non-200 answers + connection failures + requests still unanswered 5 s after the end).
 */
const { values } = parseArgs({
  options: {
    url: { type: "string" },
    rate: { type: "string" },
    seconds: { type: "string", default: "8" },
    warmup: { type: "string", default: "2" },
  },
});
if (values.url === undefined || values.rate === undefined) {
  process.stderr.write("usage: fixed-rate.ts --url URL --rate N [--seconds S] [--warmup S]\n");
  process.exit(2);
}
const url = new URL(values.url);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const pool = new UpstreamPool(url.hostname, Number(url.port || 80));
const head = `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\nuser-agent: rampart-bench\r\n\r\n`;

// Nanosecond HDR histogram (node's built-in), only for requests scheduled after the warm-up.
const histogram = createHistogram({ lowest: 1, highest: 60_000_000_000, figures: 3 });
let sent = 0;
let ok = 0;
let non200 = 0;
let failed = 0;
let outstanding = 0;
let maxBehindMs = 0;

const start = performance.now();
const measureFrom = start + warmup * 1000;
const end = measureFrom + seconds * 1000;
const SLOT_MS = 0.25;
const perSlot = (rate / 1000) * SLOT_MS;
let issuedUpTo = 0; // total requests issued; the schedule stays exact over time even at fractional per-ms rates
let nextSlot = 0; // the next batch to issue
let finished = false;

/** One request in flight: remembers when it was scheduled (the edge's client calls these methods). */
class Pending implements UpstreamExchange {
  upstream: UpstreamConnection | undefined;
  private readonly scheduledAt: number;
  private status = 0;

  constructor(scheduledAt: number) {
    this.scheduledAt = scheduledAt;
  }

  onUpstreamHead(status: number): void {
    this.status = status;
  }

  onUpstreamData(): boolean {
    return true;
  }

  onUpstreamEnd(): void {
    if (this.scheduledAt >= measureFrom) {
      if (this.status === 200) ok++;
      else non200++;
      histogram.record(Math.max(1, Math.round((performance.now() - this.scheduledAt) * 1e6)));
    }
    done();
  }

  onUpstreamError(): void {
    if (this.scheduledAt >= measureFrom) failed++;
    done();
  }
}

const MAX_CONNECTIONS = 64;
const waiting: Pending[] = [];

function issue(scheduledAt: number): void {
  if (scheduledAt >= measureFrom) sent++;
  const pending = new Pending(scheduledAt);
  if (outstanding >= MAX_CONNECTIONS) return void waiting.push(pending);
  outstanding++;
  pool.request(pending, head, false, 30_000, false);
}

/** A connection is free again: the longest-waiting request takes it. */
function done(): void {
  const next = waiting.shift();
  if (next === undefined) outstanding--;
  else pool.request(next, head, false, 30_000, false);
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
  if (start + nextSlot * SLOT_MS >= end && !finished) {
    // Wake-ups already queued by the ticker may still arrive: finish exactly once.
    finished = true;
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
    if ((outstanding > 0 || waiting.length > 0) && performance.now() < deadline) return void setTimeout(wait, 5);
    const ms = (p: number): number => Number(histogram.percentile(p)) / 1e6;
    const result = {
      rate,
      sent,
      ok,
      errors: sent - ok,
      non200,
      failed,
      unfinished: sent - ok - non200 - failed,
      p50Ms: ms(50),
      p90Ms: ms(90),
      p99Ms: ms(99),
      maxMs: Number(histogram.max) / 1e6,
      behindMs: maxBehindMs,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    pool.destroy();
    process.exit(0);
  };
  wait();
}
