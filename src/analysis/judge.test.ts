import assert from "node:assert/strict";
import { test } from "node:test";
import type { Clock } from "../shared/clock.ts";
import type { AnalysisGuards } from "./guards.ts";
import { DEFAULT_GUARDS, guardsFromManifest } from "./guards.ts";
import { judge } from "./judge.ts";
import type { Random } from "./random.ts";
import { samplePoisson, seededRandom } from "./random.ts";
import type { ReleaseModel } from "./synthetic-traffic.ts";
import { addSampledSecond, bucketProbabilities, sampleSide } from "./synthetic-traffic.ts";
import type { Verdict } from "./verdict.types.ts";
import type { SideCounts } from "./window.ts";
import { emptySide } from "./window.ts";

const clock: Clock = { now: () => 1_700_000_000_000 };
const STABLE: ReleaseModel = { errorRate: 0.001, medianMs: 40, sigma: 0.47 };
const ERRORS_ONLY: AnalysisGuards = { errorRate: { kind: "relative", ratio: 2 }, p99Latency: null, p50Latency: null };

function side(requests: number, errors: number, model: ReleaseModel = STABLE, seed = 1): SideCounts {
  const rng = seededRandom(seed);
  return { ...sampleSide(rng, requests - errors, { ...model, errorRate: 0 }, bucketProbabilities(model)), requests, errors };
}

/** Judges once per simulated second; returns the first fail, or the last verdict. */
function monitor(
  rng: Random,
  seconds: number,
  rates: { canary: number; stable: number },
  canary: ReleaseModel,
  guards: AnalysisGuards,
): { verdict: Verdict; second: number } {
  const c = emptySide();
  const s = emptySide();
  const cp = bucketProbabilities(canary);
  const sp = bucketProbabilities(STABLE);
  let verdict: Verdict | undefined;
  for (let second = 1; second <= seconds; second++) {
    addSampledSecond(c, rng, samplePoisson(rng, rates.canary), canary, cp);
    addSampledSecond(s, rng, samplePoisson(rng, rates.stable), STABLE, sp);
    verdict = judge({ canary: c, stable: s, guards }, clock);
    if (verdict.decision === "fail") return { verdict, second };
  }
  assert.ok(verdict !== undefined);
  return { verdict, second: seconds };
}

test("a canary identical to stable, judged every second for a minute, is never failed (300 seeded runs)", () => {
  const rng = seededRandom(11);
  let fails = 0;
  for (let run = 0; run < 300; run++) {
    const { verdict } = monitor(rng, 60, { canary: 10, stable: 190 }, STABLE, DEFAULT_GUARDS);
    if (verdict.decision === "fail") fails++;
  }
  assert.equal(fails, 0);
});

test("20% errors at 10 req/s against 0.1% on stable fails in seconds (median <= 6 s), with its evidence", () => {
  const rng = seededRandom(5);
  const seconds: number[] = [];
  for (let run = 0; run < 50; run++) {
    const { verdict, second } = monitor(rng, 30, { canary: 10, stable: 190 }, { ...STABLE, errorRate: 0.2 }, DEFAULT_GUARDS);
    assert.equal(verdict.decision, "fail");
    seconds.push(second);
    const check = verdict.checks.find((c) => c.metric === "error_rate");
    assert.ok(check !== undefined && check.decision === "fail");
    assert.ok(
      check.statistic >= check.boundary && check.canary !== null && check.testedAgainst !== null && check.canary > check.testedAgainst,
    );
    assert.match(
      verdict.reason,
      /^error_rate: canary failed [\d.]+% of [\d,]+ requests, stable [\d.]+% of [\d,]+; the guard allows 2x stable \([\d.]+%\) \[evidence/,
    );
  }
  seconds.sort((a, b) => a - b);
  assert.ok((seconds[25] as number) <= 6 && (seconds[49] as number) <= 20, seconds.join(" "));
});

test("a 3x slower canary fails its relative p99 guard, judged on the histograms", () => {
  const { verdict, second } = monitor(seededRandom(9), 60, { canary: 10, stable: 190 }, { ...STABLE, medianMs: 120 }, DEFAULT_GUARDS);
  assert.equal(verdict.decision, "fail");
  assert.ok(second <= 20, `${second} s`);
  const p99 = verdict.checks.find((c) => c.metric === "p99_latency");
  assert.ok(p99 !== undefined && p99.decision === "fail" && p99.canary !== null && p99.stable !== null);
  assert.ok(p99.canary > 2 * p99.stable);
});

test("a failed verdict reads as a sentence with units before its statistics", () => {
  const verdict = judge({ canary: side(138, 48), stable: side(2610, 5), guards: ERRORS_ONLY }, clock);
  assert.equal(verdict.decision, "fail");
  assert.match(
    verdict.reason,
    /^error_rate: canary failed 35% of 138 requests, stable 0\.19% of 2,610; the guard allows 2x stable \(0\.39%\) \[evidence \d+\.\d >= \d+\.\d, p <= [\d.e-]+\]$/,
  );
  const absolute = judge(
    { canary: side(138, 48), stable: side(2610, 5), guards: { ...ERRORS_ONLY, errorRate: { kind: "absolute", rate: 0.01 } } },
    clock,
  );
  assert.match(absolute.reason, /^error_rate: canary failed 35% of 138 requests, stable 0\.19% of 2,610; the guard allows 1% \[/);
  const slow = judge({ canary: side(400, 0, { ...STABLE, medianMs: 400 }), stable: side(5000, 0), guards: DEFAULT_GUARDS }, clock);
  assert.match(
    slow.reason,
    /p99_latency: canary p99 [\d,]+ ms over 400 requests, stable \d+ ms over 5,000; the guard allows 1\.5x stable \(\d+ ms\) \[/,
  );
});

test("too little traffic holds, naming the counts needed and seen; a bad-enough canary still fails", () => {
  const verdict = judge({ canary: side(37, 0), stable: side(700, 1), guards: DEFAULT_GUARDS }, clock);
  assert.equal(verdict.decision, "hold");
  assert.match(verdict.reason, /canary 37 of the 100 requests needed/);
  const noStable = judge({ canary: side(500, 0), stable: emptySide(), guards: ERRORS_ONLY }, clock);
  assert.equal(noStable.decision, "hold");
  assert.match(noStable.reason, /stable 0 of the 100 needed/);
  assert.equal(judge({ canary: side(30, 30), stable: side(600, 0), guards: DEFAULT_GUARDS }, clock).decision, "fail");
});

test("absolute and relative error guards ask different questions", () => {
  const canary = side(2000, 60); // 3%
  const stable = side(20_000, 500); // 2.5%
  const absolute: AnalysisGuards = { ...ERRORS_ONLY, errorRate: { kind: "absolute", rate: 0.01 } };
  assert.equal(judge({ canary, stable, guards: absolute }, clock).decision, "fail");
  const relative = judge({ canary, stable, guards: ERRORS_ONLY }, clock);
  assert.equal(relative.decision, "pass");
  assert.equal(relative.checks[0]?.threshold, 0.05);
});

test("the floor: 1 error against none on stable is not infinitely worse", () => {
  const verdict = judge({ canary: side(600, 1), stable: side(12_000, 0), guards: ERRORS_ONLY }, clock);
  assert.equal(verdict.decision, "pass");
  assert.equal(verdict.checks[0]?.threshold, 0.002);
});

test("above the ceiling but not conclusively: continue, never pass", () => {
  const verdict = judge({ canary: side(200, 2), stable: side(4000, 4), guards: ERRORS_ONLY }, clock);
  assert.equal(verdict.decision, "continue");
  assert.match(verdict.reason, /not conclusively/);
});

test("an absolute p99 guard passes a canary well under it and fails one over it", () => {
  const guards: AnalysisGuards = { errorRate: null, p99Latency: { kind: "absolute", ms: 250 }, p50Latency: { kind: "absolute", ms: 60 } };
  const fast = judge({ canary: side(3000, 0), stable: emptySide(), guards }, clock);
  assert.equal(fast.decision, "pass");
  const slow = judge({ canary: side(3000, 0, { ...STABLE, medianMs: 200 }), stable: emptySide(), guards }, clock);
  assert.equal(slow.decision, "fail");
  assert.deepEqual(
    slow.checks.map((c) => c.decision),
    ["fail", "fail"],
  );
});

test("a verdict carries every piece of evidence and survives JSON unchanged", () => {
  const verdict = judge(
    {
      canary: side(1000, 1),
      stable: side(19_000, 19, STABLE, 2),
      guards: { ...DEFAULT_GUARDS, p50Latency: { kind: "relative", ratio: 2 } },
    },
    clock,
  );
  assert.equal(verdict.at, clock.now());
  assert.deepEqual(
    verdict.checks.map((c) => c.metric),
    ["error_rate", "p99_latency", "p50_latency"],
  );
  for (const check of verdict.checks) {
    for (const key of ["canary", "stable", "threshold", "testedAgainst", "statistic", "boundary"] as const)
      assert.equal(typeof check[key], "number", `${check.metric}.${key}`);
    assert.ok(check.samples.canary > 0 && check.samples.stable > 0 && check.detail.length > 0);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(verdict)), verdict);
  // Before stable's p99 can be bounded, the tested threshold is null, not Infinity (which JSON would lose).
  const early = judge({ canary: side(120, 0), stable: side(150, 0), guards: DEFAULT_GUARDS }, clock);
  assert.equal(early.checks[1]?.testedAgainst, null);
  assert.deepEqual(JSON.parse(JSON.stringify(early)), early);
  assert.deepEqual(guardsFromManifest({ errorRate: { kind: "relative", ratio: 3 }, p99Latency: null, p50Latency: null }).errorRate, {
    kind: "relative",
    ratio: 3,
  });
});

test("a manifest without guards gets the defaults; a set guard replaces only its own default", () => {
  assert.deepEqual(guardsFromManifest({ errorRate: null, p99Latency: null, p50Latency: null }), DEFAULT_GUARDS);
  const some = guardsFromManifest({
    errorRate: { kind: "absolute", rate: 0.01 },
    p99Latency: null,
    p50Latency: { kind: "absolute", ms: 80 },
  });
  assert.deepEqual(some, {
    errorRate: { kind: "absolute", rate: 0.01 },
    p99Latency: DEFAULT_GUARDS.p99Latency,
    p50Latency: { kind: "absolute", ms: 80 },
  });
});
