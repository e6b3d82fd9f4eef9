import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { bucketOf, murmur3, murmur3Salted } from "./murmur3.ts";
import { ROLLOUT_SEED, VARIANT_SEED } from "./flag-data.ts";
import { compileSnapshot, evaluateFlag } from "./evaluator.ts";
import { booleanFlag, snapshotOf } from "./flag-fixtures.ts";

interface Vectors {
  rolloutSeed: number;
  variantSeed: number;
  murmur3: Array<{ input: string; seed: number; hash: number }>;
  buckets: Array<{ salt: string; value: string; seed: number; hash: number; bucket: number }>;
  rollouts: Array<{
    salt: string;
    percentage: number;
    variations: Array<{ variation: string; weight: number }>;
    outVariation: string;
    value: string;
    expected: string;
  }>;
}

const vectors = JSON.parse(readFileSync(new URL("../test-vectors.json", import.meta.url), "utf8")) as Vectors;
// An independent murmur3 (unleash-client's dependency) over TextEncoder's bytes, so the vectors are not only self-consistent.
const reference = (createRequire(import.meta.url)("murmurhash3js") as { x86: { hash32(latin1: string, seed: number): number } }).x86;
const referenceHash = (text: string, seed: number) =>
  reference.hash32(Buffer.from(new TextEncoder().encode(text)).toString("latin1"), seed) >>> 0;

describe("published hashing test vectors (packages/sdk/test-vectors.json)", () => {
  it("uses the seeds the vectors were made with", () => {
    assert.equal(vectors.rolloutSeed, ROLLOUT_SEED);
    assert.equal(vectors.variantSeed, VARIANT_SEED);
  });

  it("matches murmur3 x86_32 vectors, and an independent implementation", () => {
    assert.ok(vectors.murmur3.length > 0);
    for (const v of vectors.murmur3) {
      assert.equal(murmur3(v.input, v.seed), v.hash, `murmur3(${JSON.stringify(v.input)}, ${v.seed})`);
      assert.equal(referenceHash(v.input, v.seed), v.hash, `reference murmur3(${JSON.stringify(v.input)}, ${v.seed})`);
    }
  });

  it("matches the salted hash and multiply-shift bucket vectors", () => {
    for (const v of vectors.buckets) {
      assert.equal(murmur3Salted(v.salt, v.value, v.seed), v.hash);
      assert.equal(referenceHash(`${v.salt}:${v.value}`, v.seed), v.hash);
      assert.equal(bucketOf(v.hash), v.bucket);
      assert.equal(Math.floor(Number((BigInt(v.hash) * 100000n) >> 32n)), v.bucket, "bucket is (hash * 100000) >> 32");
    }
  });

  it("matches the rollout vectors, through the evaluator and through the documented algorithm", () => {
    for (const v of vectors.rollouts) {
      const flag = {
        ...booleanFlag("f"),
        type: "string" as const,
        salt: v.salt,
        variations: ["off", "on", "a", "b", "c"].map((key) => ({ key, value: key })),
        fallthrough: { rollout: { by: "userId", percentage: v.percentage, variations: v.variations, outVariation: v.outVariation } },
      };
      assert.equal(evaluateFlag(compileSnapshot(snapshotOf([flag])), "f", { userId: v.value }).variation, v.expected, JSON.stringify(v));
      // docs/flags-hashing.md, written out plainly:
      const bucket = (seed: number) => Number((BigInt(referenceHash(`${v.salt}:${v.value}`, seed)) * 100000n) >> 32n);
      let expected = v.outVariation;
      if (bucket(ROLLOUT_SEED) < Math.round(v.percentage * 1000)) {
        const total = v.variations.reduce((s, w) => s + w.weight, 0);
        const b = bucket(VARIANT_SEED);
        let cumulative = 0;
        expected = v.variations.find((w) => b < Math.round(((cumulative += w.weight) / total) * 100000))!.variation;
      }
      assert.equal(expected, v.expected, JSON.stringify(v));
    }
  });
});
