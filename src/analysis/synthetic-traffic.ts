import { addBuckets, LATENCY_BUCKETS_MS } from "../shared/measurement.ts";
import type { Random } from "./random.ts";
import { sampleBinomial, sampleMultinomial } from "./random.ts";
import type { SideCounts } from "./window.ts";

/**
 * A release's behaviour for tests and the simulation: each request fails with `errorRate`, and the others
 * take a log-normal time (the usual shape of service latency: a body and a long right tail).
 */
export interface ReleaseModel {
  errorRate: number;
  medianMs: number;
  /** Log-space standard deviation; 0.47 gives p99 ≈ 3 × median. */
  sigma: number;
}

/** Standard normal CDF via erfc (Numerical Recipes' erfcc, relative error < 1.2e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -x * x -
    1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(poly);
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** P(latency falls in each edge bucket) under the model. */
export function bucketProbabilities(model: ReleaseModel): number[] {
  const mu = Math.log(model.medianMs);
  const cdf = (ms: number): number => (ms === Number.POSITIVE_INFINITY ? 1 : normalCdf((Math.log(ms) - mu) / model.sigma));
  let previous = 0;
  return LATENCY_BUCKETS_MS.map((bound) => {
    const here = cdf(bound);
    const p = Math.max(0, here - previous);
    previous = here;
    return p;
  });
}

/** The true q-quantile of the model's latency, ms (for checking estimates against). */
export function modelQuantile(model: ReleaseModel, z: number): number {
  return model.medianMs * Math.exp(model.sigma * z);
}

/** What `requests` requests to a release look like to the analysis. */
export function sampleSide(rng: Random, requests: number, model: ReleaseModel, probabilities: readonly number[]): SideCounts {
  const errors = sampleBinomial(rng, requests, model.errorRate);
  return { requests, errors, latency: sampleMultinomial(rng, requests - errors, probabilities) };
}

/** Adds a sampled second into a side in place: the simulation's hot path, so no allocation per bucket. */
export function addSampledSecond(
  side: SideCounts,
  rng: Random,
  requests: number,
  model: ReleaseModel,
  probabilities: readonly number[],
): void {
  const second = sampleSide(rng, requests, model, probabilities);
  side.requests += second.requests;
  side.errors += second.errors;
  addBuckets(side.latency, second.latency);
}
