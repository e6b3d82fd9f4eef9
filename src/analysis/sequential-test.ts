/**
 * Always-valid one-sided tests for a Bernoulli rate, the one statistical tool the analysis uses.
 *
 * For H0 "p <= p0", every exponential tilt exp(λ·x − n·ψ(λ)) with λ > 0 and ψ(λ) = ln(1 − p0 + p0·e^λ)
 * is a nonnegative supermartingale over the trials (it is the likelihood ratio of Bernoulli(p') against
 * Bernoulli(p0) with logit(p') = logit(p0) + λ). A fixed-weight mixture of them is one too, so by Ville's
 * inequality P(the mixture ever reaches 1/α) <= α: the test may be looked at after every request, every
 * second, forever, and still wrongly rejects with probability <= α. That is what makes checking a canary
 * every second safe, where a fixed-sample test checked repeatedly would fail healthy canaries by noise.
 *
 * A discrete grid over λ (log odds ratios) keeps it exact and cheap; the uniform weights cost ln(12) ≈ 2.5
 * nats of evidence compared with knowing the true effect, and cover small effects (slow drift found over
 * many samples) to huge ones (20% errors against a 1% ceiling, found in a few dozen requests).
 */
const LAMBDAS: readonly number[] = [0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8];
const LOG_WEIGHT = -Math.log(LAMBDAS.length);

/** ln of the mixture e-value; sign +1 tests "p <= p0" (evidence that p is above), −1 tests "p >= p0". */
function logMixture(events: number, trials: number, p0: number, sign: 1 | -1): number {
  const p = Math.min(1, Math.max(0, p0));
  let max = Number.NEGATIVE_INFINITY;
  const terms: number[] = [];
  for (const magnitude of LAMBDAS) {
    const lambda = sign * magnitude;
    const psi = Math.log1p(p * Math.expm1(lambda));
    const term = LOG_WEIGHT + lambda * events - trials * psi;
    terms.push(term);
    if (term > max) max = term;
  }
  let sum = 0;
  for (const term of terms) sum += Math.exp(term - max);
  return max + Math.log(sum);
}

/**
 * Evidence (ln of an e-value, nats) that the true rate is above p0, after `events` successes of `trials`.
 * Compare with ln(1/α). Increasing in events, decreasing in p0. `events` may be fractional (interpolated).
 */
export function evidenceAbove(events: number, trials: number, p0: number): number {
  return logMixture(events, trials, p0, 1);
}

/** Evidence that the true rate is below p0. Decreasing in events, increasing in p0. */
export function evidenceBelow(events: number, trials: number, p0: number): number {
  return logMixture(events, trials, p0, -1);
}

/** The always-valid p-value that goes with a piece of evidence: P(evidence this large | H0) <= p. */
export function alwaysValidP(evidence: number): number {
  return Math.min(1, Math.exp(-evidence));
}

const BISECTION_STEPS = 40;

/**
 * Time-uniform upper confidence bound on a rate: holds at every n at once with probability >= 1 − α,
 * so it can be recomputed every second. The largest p0 the lower-tail test cannot reject.
 */
export function rateUpperBound(events: number, trials: number, alpha: number): number {
  const bound = Math.log(1 / alpha);
  if (trials <= 0 || evidenceBelow(events, trials, 1) < bound) return 1;
  let lo = Math.min(1, events / trials);
  let hi = 1;
  for (let i = 0; i < BISECTION_STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (evidenceBelow(events, trials, mid) >= bound) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The most events (possibly fractional) out of `trials` that still give evidence >= ln(1/α) that the rate
 * is below p0; −1 when even zero events would not (too few trials to say anything).
 */
export function maxEventsBelow(trials: number, p0: number, alpha: number): number {
  const bound = Math.log(1 / alpha);
  if (trials <= 0 || evidenceBelow(0, trials, p0) < bound) return -1;
  let lo = 0;
  let hi = trials * p0;
  for (let i = 0; i < BISECTION_STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (evidenceBelow(mid, trials, p0) >= bound) lo = mid;
    else hi = mid;
  }
  return lo;
}
