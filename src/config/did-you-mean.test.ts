import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { didYouMean, levenshtein } from "./did-you-mean.ts";

describe("didYouMean", () => {
  it("measures edit distance", () => {
    assert.equal(levenshtein("helth", "health"), 1);
    assert.equal(levenshtein("kitten", "sitting"), 3);
    assert.equal(levenshtein("", "abc"), 3);
  });

  it("suggests the closest key within distance 2 or by prefix", () => {
    const keys = ["health", "hosts", "routes", "release", "start_timeout"];
    assert.equal(didYouMean("helth", keys), "health");
    assert.equal(didYouMean("route", keys), "routes");
    assert.equal(didYouMean("start", keys), "start_timeout");
    assert.equal(didYouMean("Health", keys), "health");
    assert.equal(didYouMean("banana", keys), undefined);
  });
});
