import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import semver from "semver";
import { compareSemver, compareSemverText, parseSemver } from "./semver.ts";

const number = fc.oneof(fc.nat(20), fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER));
const numericId = number.map(String);
const alnumId = fc.stringMatching(/^[0-9A-Za-z-]{1,8}$/).filter((s) => !/^\d+$/.test(s));
const prerelease = fc.array(fc.oneof(numericId, alnumId), { minLength: 1, maxLength: 4 }).map((ids) => ids.join("."));
const build = fc.array(fc.stringMatching(/^[0-9A-Za-z-]{1,6}$/), { minLength: 1, maxLength: 3 }).map((ids) => ids.join("."));
/** Valid SemVer 2.0 versions; few distinct parts, so equal and near versions are frequent. */
const version = fc
  .record({
    v: fc.boolean(),
    major: fc.nat(3),
    minor: fc.oneof(fc.nat(3), number),
    patch: fc.nat(3),
    pre: fc.option(fc.oneof(prerelease, fc.constantFrom("alpha", "alpha.1", "beta.2", "rc.1", "0", "1"))),
    build: fc.option(build),
  })
  .map(
    (p) => `${p.v ? "v" : ""}${p.major}.${p.minor}.${p.patch}${p.pre === null ? "" : `-${p.pre}`}${p.build === null ? "" : `+${p.build}`}`,
  );

// Near-versions: valid parts and the usual mistakes (leading zeros, empty identifiers, stray characters).
const piece = fc.constantFrom("0", "1", "01", "00", "10", ".", "-", "+", "v", "V", "a", "rc", "_", " ", "..", "-0", "=");
const nearVersion = fc.oneof(
  fc.array(piece, { maxLength: 12 }).map((p) => p.join("")),
  fc.tuple(version, fc.array(piece, { minLength: 1, maxLength: 3 })).map(([v, p]) => v + p.join("")),
);

describe("semver (held to the semver package)", () => {
  it("refuses what the semver package refuses, e.g. leading zeros and empty identifiers", () => {
    for (const text of [
      "01.2.3",
      "1.02.3",
      "1.2.03",
      "1.2.3-01",
      "1.2.3-a.01",
      "1.2.3-",
      "1.2.3+",
      "1.2.3-a..b",
      "1.2.3+a..b",
      "1.2.3-a_b",
      "1.2.3+a+b",
      "1.2",
      "1.2.3.4",
      "V1.2.3",
    ]) {
      assert.equal(semver.valid(text), null, `semver accepts ${text}`);
      assert.equal(parseSemver(text), undefined, `parseSemver accepts ${text}`);
    }
    for (const text of ["0.0.0", "1.2.3-0", "1.2.3-0a", "1.2.3-a.0.b", "1.2.3+001", "1.2.3-x-y--z", "v1.2.3-rc.1+sha.5"]) {
      assert.notEqual(semver.valid(text), null, text);
      assert.ok(parseSemver(text), text);
    }
  });

  it("accepts only what the semver package accepts (generated near-versions)", () => {
    fc.assert(
      fc.property(nearVersion, (text) => {
        if (parseSemver(text) !== undefined)
          assert.notEqual(semver.valid(text), null, `${JSON.stringify(text)} accepted, semver refuses it`);
      }),
      { numRuns: 5000 },
    );
  });

  it("accepts and orders every valid version as the semver package does", () => {
    fc.assert(
      fc.property(version, version, (a, b) => {
        const pa = parseSemver(a);
        const pb = parseSemver(b);
        assert.ok(pa && pb, `${a} / ${b} refused`);
        const expected = semver.compare(a, b);
        assert.equal(compareSemver(pa, pb), expected, `${a} vs ${b}`);
        assert.equal(compareSemverText(a, pb), expected, `${a} vs ${b} (text)`);
      }),
      { numRuns: 5000 },
    );
  });
});
