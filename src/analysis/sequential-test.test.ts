import assert from "node:assert/strict";
import { test } from "node:test";
import { seededRandom } from "./random.ts";
import { alwaysValidP, evidenceAbove, evidenceBelow, maxEventsBelow, rateUpperBound } from "./sequential-test.ts";

test("evidence grows with events and shrinks as the null moves up (and the mirror for 'below')", () => {
  assert.ok(evidenceAbove(5, 100, 0.01) > evidenceAbove(4, 100, 0.01));
  assert.ok(evidenceAbove(5, 100, 0.01) > evidenceAbove(5, 100, 0.02));
  assert.ok(evidenceBelow(0, 1000, 0.01) > evidenceBelow(1, 1000, 0.01));
  assert.ok(evidenceBelow(1, 1000, 0.02) > evidenceBelow(1, 1000, 0.01));
  // No data, no evidence: the mixture of likelihood ratios starts at exactly 1.
  assert.equal(evidenceAbove(0, 0, 0.3), 0);
  assert.ok(Math.abs(alwaysValidP(Math.log(400)) - 1 / 400) < 1e-12);
});

test("known case: 6 failures in 30 requests is conclusive against a 1% ceiling, 1 in 30 is not", () => {
  const boundary = Math.log(1 / 0.0025);
  assert.ok(evidenceAbove(6, 30, 0.01) >= boundary);
  assert.ok(evidenceAbove(1, 30, 0.01) < 0);
});

test("0 events in n trials bounds the rate near (ln(1/α) + ln 12) / n, and the bound shrinks with n", () => {
  const alpha = 0.001;
  const at1000 = rateUpperBound(0, 1000, alpha);
  assert.ok(at1000 > Math.log(1 / alpha) / 1000 && at1000 < (Math.log(1 / alpha) + Math.log(12) + 1) / 1000, `${at1000}`);
  assert.ok(rateUpperBound(0, 10_000, alpha) < at1000);
  assert.equal(rateUpperBound(0, 0, alpha), 1);
  assert.equal(maxEventsBelow(10, 0.01, alpha), -1);
  const most = maxEventsBelow(100_000, 0.01, alpha);
  assert.ok(most > 800 && most < 1000, `${most}`);
});

/** Runs `sequences` Bernoulli(p) streams of `trials`, looking after every trial; how many ever trip `tripped`. */
function everTripped(p: number, sequences: number, trials: number, tripped: (events: number, n: number) => boolean): number {
  const rng = seededRandom(42);
  let count = 0;
  for (let s = 0; s < sequences; s++) {
    let events = 0;
    for (let n = 1; n <= trials; n++) {
      if (rng.next() < p) events++;
      if (tripped(events, n)) {
        count++;
        break;
      }
    }
  }
  return count;
}

test("monitoring after every single trial, a true null is rejected at most α of the time (Ville)", () => {
  const alpha = 0.05;
  const boundary = Math.log(1 / alpha);
  const sequences = 400;
  const rejected = everTripped(0.02, sequences, 3000, (events, n) => evidenceAbove(events, n, 0.02) >= boundary);
  assert.ok(rejected / sequences <= alpha, `${rejected}/${sequences}`);
  // The confidence bound, recomputed every 50 trials, stays above the truth just as often.
  const missed = everTripped(0.02, sequences, 3000, (events, n) => n % 50 === 0 && rateUpperBound(events, n, alpha) < 0.02);
  assert.ok(missed / sequences <= alpha, `${missed}/${sequences}`);
});

test("a clearly worse rate is caught within a few dozen trials", () => {
  const boundary = Math.log(1 / 0.0025);
  const rng = seededRandom(7);
  const firstRejections: number[] = [];
  for (let s = 0; s < 200; s++) {
    let events = 0;
    for (let n = 1; n <= 1000; n++) {
      if (rng.next() < 0.2) events++;
      if (evidenceAbove(events, n, 0.01) >= boundary) {
        firstRejections.push(n);
        break;
      }
    }
  }
  assert.equal(firstRejections.length, 200);
  firstRejections.sort((a, b) => a - b);
  assert.ok((firstRejections[100] as number) <= 40, `median ${firstRejections[100]}`);
});
