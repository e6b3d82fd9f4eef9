/**
 * Seeded randomness for the analysis's tests and its simulation (bench/canary/simulate.ts), so every
 * result is reproducible from its seed. Not for anything security-related.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/** sfc32 (Chris Doty-Humphrey's small fast counter): fast, passes PractRand, 128-bit state. */
export function seededRandom(seed: number): Random {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // mix the seed through the state
  return { next };
}

export function sampleNormal(rng: Random): number {
  // Box–Muller; 1 − u keeps the logarithm finite.
  const u = 1 - rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * Exact by inversion while the expected count is small (where errors and latency tails live and where
 * exactness matters); the normal approximation above that, where it is accurate to well under 1%.
 */
const EXACT_BELOW = 30;

export function samplePoisson(rng: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean >= EXACT_BELOW) return Math.max(0, Math.round(mean + Math.sqrt(mean) * sampleNormal(rng)));
  let k = 0;
  let p = Math.exp(-mean);
  let cdf = p;
  const u = rng.next();
  while (u > cdf && k < 1000) {
    k++;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

export function sampleBinomial(rng: Random, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - sampleBinomial(rng, n, 1 - p);
  if (n * p >= EXACT_BELOW) {
    const draw = Math.round(n * p + Math.sqrt(n * p * (1 - p)) * sampleNormal(rng));
    return Math.min(n, Math.max(0, draw));
  }
  const ratio = p / (1 - p);
  let k = 0;
  let prob = (1 - p) ** n;
  let cdf = prob;
  const u = rng.next();
  while (u > cdf && k < n) {
    prob *= (ratio * (n - k)) / (k + 1);
    k++;
    cdf += prob;
  }
  return k;
}

/** Splits n draws over categories with the given probabilities (summing to 1), by conditional binomials. */
export function sampleMultinomial(rng: Random, n: number, probabilities: readonly number[]): number[] {
  const out = new Array<number>(probabilities.length).fill(0);
  let left = n;
  let mass = 1;
  for (let i = 0; i < probabilities.length && left > 0; i++) {
    const p = probabilities[i] ?? 0;
    const drawn = i === probabilities.length - 1 || mass <= p ? left : sampleBinomial(rng, left, p / mass);
    out[i] = drawn;
    left -= drawn;
    mass -= p;
  }
  return out;
}
