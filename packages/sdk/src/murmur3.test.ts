import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { bucketOf, murmur3, murmur3Salted } from "./murmur3.ts";

describe("murmur3", () => {
  it("hashes salt and value exactly like the concatenated string, on the ASCII fast path and off it", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), fc.integer(), (salt, value, seed) => {
        assert.equal(murmur3Salted(salt, value, seed), murmur3(`${salt}:${value}`, seed));
      }),
      { numRuns: 2000 },
    );
  });

  it("reduces to buckets 0..99999 by multiply-shift", () => {
    assert.equal(bucketOf(0), 0);
    assert.equal(bucketOf(0xffffffff), 99999);
    assert.equal(bucketOf(0x80000000), 50000);
  });
});
