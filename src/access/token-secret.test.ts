import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashSecret, issueSecret, sameDigest, secretKind } from "./token-secret.ts";

describe("bearer secrets", () => {
  it("are 256 random bits behind a kind prefix, stored as SHA-256, with a short listing hint", () => {
    const a = issueSecret("svc");
    const b = issueSecret("svc");
    assert.match(a.secret, /^rampart_svc_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.secret, b.secret);
    assert.equal(a.hash, hashSecret(a.secret));
    assert.equal(a.hash.length, 64);
    assert.ok(!a.hint.includes(a.secret.slice(20)), "the hint does not give the secret away");
    assert.equal(secretKind(a.secret), "svc");
  });

  it("refuses malformed candidates before any lookup", () => {
    const good = issueSecret("pat").secret;
    for (const bad of [
      "",
      "Bearer x",
      good.slice(0, -1),
      `${good}x`,
      good.replace("pat", "xyz"),
      `${good}\n`,
      `rampart_pat_${"a".repeat(42)}!`,
    ]) {
      assert.equal(secretKind(bad), null, JSON.stringify(bad));
    }
  });

  it("compares digests in constant time and never equates empty or unequal lengths", () => {
    const h = hashSecret("x");
    assert.equal(sameDigest(h, h), true);
    assert.equal(sameDigest(h, hashSecret("y")), false);
    assert.equal(sameDigest("", ""), false);
    assert.equal(sameDigest(h, h.slice(0, 62)), false);
  });
});
