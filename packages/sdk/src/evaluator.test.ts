import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compileSnapshot, evaluateFlag } from "./evaluator.ts";
import { booleanFlag, snapshotOf } from "./flag-fixtures.ts";
import type { Clause, FlagDefinition } from "./flag-data.ts";

function withRule(clauses: Clause[]): FlagDefinition {
  return booleanFlag("f", { rules: [{ id: "r1", clauses, serve: { variation: "on" } }], fallthrough: { variation: "off" } });
}

function matches(clause: Clause, context: Record<string, string | number | boolean | null | undefined>): boolean {
  const compiled = compileSnapshot(snapshotOf([withRule([clause])]));
  assert.deepEqual(compiled.problems, []);
  return evaluateFlag(compiled, "f", context).value === true;
}

describe("evaluator", () => {
  it("serves a plain flag statically and the off variation with DISABLED when killed", () => {
    const compiled = compileSnapshot(snapshotOf([booleanFlag("a"), booleanFlag("b", { enabled: false })]));
    assert.deepEqual({ ...evaluateFlag(compiled, "a", {}) }, { key: "a", value: true, variation: "on", reason: "STATIC" });
    assert.deepEqual({ ...evaluateFlag(compiled, "b", {}) }, { key: "b", value: false, variation: "off", reason: "DISABLED" });
  });

  it("returns the same frozen result object for repeated evaluations (no allocation per call)", () => {
    const compiled = compileSnapshot(snapshotOf([withRule([{ attribute: "country", operator: "in", values: ["de", "fr"] }])]));
    const a = evaluateFlag(compiled, "f", { country: "de" });
    assert.equal(evaluateFlag(compiled, "f", { country: "fr" }), a);
    assert.ok(Object.isFrozen(a));
    assert.equal(a.reason, "TARGETING_MATCH");
    assert.equal(evaluateFlag(compiled, "f", { country: "us" }).reason, "DEFAULT");
  });

  it("reports FLAG_NOT_FOUND and TYPE_MISMATCH with the default value", () => {
    const compiled = compileSnapshot(snapshotOf([booleanFlag("a")]));
    const missing = evaluateFlag(compiled, "nope", {}, false);
    assert.equal(missing.errorCode, "FLAG_NOT_FOUND");
    assert.equal(missing.reason, "ERROR");
    assert.equal(missing.value, false);
    const mismatch = evaluateFlag(compiled, "a", {}, "x");
    assert.equal(mismatch.errorCode, "TYPE_MISMATCH");
    assert.equal(mismatch.value, "x");
  });

  it("implements every operator", () => {
    assert.ok(matches({ attribute: "plan", operator: "in", values: ["pro", "team"] }, { plan: "pro" }));
    assert.ok(!matches({ attribute: "plan", operator: "in", values: ["pro"] }, {}));
    assert.ok(matches({ attribute: "age", operator: "in", values: ["42"] }, { age: 42 }));
    assert.ok(matches({ attribute: "plan", operator: "not_in", values: ["free"] }, { plan: "pro" }));
    assert.ok(matches({ attribute: "plan", operator: "not_in", values: ["free"] }, {}), "a missing attribute is not in any list");
    assert.ok(!matches({ attribute: "plan", operator: "not_in", values: ["free"] }, { plan: "free" }));
    assert.ok(matches({ attribute: "beta", operator: "equals", values: [true] }, { beta: true }));
    assert.ok(matches({ attribute: "beta", operator: "not_equals", values: [true] }, { beta: false }));
    assert.ok(matches({ attribute: "email", operator: "ends_with", values: ["@acme.com"] }, { email: "a@acme.com" }));
    assert.ok(matches({ attribute: "path", operator: "starts_with", values: ["/api"] }, { path: "/api/x" }));
    assert.ok(matches({ attribute: "ua", operator: "contains", values: ["Firefox"] }, { ua: "Mozilla Firefox 1" }));
    assert.ok(!matches({ attribute: "ua", operator: "contains", values: ["Firefox"] }, { ua: 5 }));
    assert.ok(matches({ attribute: "n", operator: "lt", values: [10] }, { n: 9 }));
    assert.ok(!matches({ attribute: "n", operator: "lt", values: [10] }, { n: 10 }));
    assert.ok(matches({ attribute: "n", operator: "lte", values: [10] }, { n: 10 }));
    assert.ok(matches({ attribute: "n", operator: "gt", values: [10] }, { n: "11" }));
    assert.ok(matches({ attribute: "n", operator: "gte", values: [10] }, { n: 10 }));
    assert.ok(!matches({ attribute: "n", operator: "gte", values: [10] }, { n: "abc" }));
    assert.ok(matches({ attribute: "v", operator: "semver_eq", values: ["1.2.3"] }, { v: "v1.2.3+build.5" }));
    assert.ok(matches({ attribute: "v", operator: "semver_lt", values: ["1.10.0"] }, { v: "1.9.9" }));
    assert.ok(matches({ attribute: "v", operator: "semver_lt", values: ["1.0.0"] }, { v: "1.0.0-rc.1" }));
    assert.ok(matches({ attribute: "v", operator: "semver_gt", values: ["1.0.0-alpha.2"] }, { v: "1.0.0-alpha.10" }));
    assert.ok(!matches({ attribute: "v", operator: "semver_gt", values: ["1.0.0"] }, { v: "not-a-version" }));
    assert.ok(matches({ attribute: "email", operator: "matches", values: ["^[a-z]+@example\\.com$"] }, { email: "bob@example.com" }));
    assert.ok(!matches({ attribute: "email", operator: "matches", values: ["^[a-z]+@example\\.com$"] }, { email: "Bob@example.com" }));
  });

  it("bounds regular expressions: long patterns are refused, long inputs never match", () => {
    const long = compileSnapshot(snapshotOf([withRule([{ attribute: "x", operator: "matches", values: ["a".repeat(257)] }])]));
    assert.match(long.problems[0]?.message ?? "", /longer than 256/);
    const bad = compileSnapshot(snapshotOf([withRule([{ attribute: "x", operator: "matches", values: ["("] }])]));
    assert.match(bad.problems[0]?.message ?? "", /invalid regular expression/);
    assert.ok(matches({ attribute: "x", operator: "matches", values: ["^a+$"] }, { x: "a".repeat(1024) }));
    assert.ok(!matches({ attribute: "x", operator: "matches", values: ["^a+$"] }, { x: "a".repeat(1025) }));
  });

  it("evaluates segments by inclusion, exclusion and rules, nested and cyclic", () => {
    const flag = withRule([{ attribute: "userId", operator: "in_segment", values: ["beta"] }]);
    const compiled = compileSnapshot(
      snapshotOf(
        [flag],
        [
          {
            key: "beta",
            by: "userId",
            included: ["u1"],
            excluded: ["u2"],
            rules: [{ clauses: [{ attribute: "userId", operator: "in_segment", values: ["staff"] }] }],
          },
          {
            key: "staff",
            by: "userId",
            included: [],
            excluded: [],
            rules: [{ clauses: [{ attribute: "email", operator: "ends_with", values: ["@us.com"] }] }],
          },
          {
            key: "loop",
            by: "userId",
            included: [],
            excluded: [],
            rules: [{ clauses: [{ attribute: "userId", operator: "in_segment", values: ["loop"] }] }],
          },
        ],
      ),
    );
    assert.equal(evaluateFlag(compiled, "f", { userId: "u1" }).value, true);
    assert.equal(evaluateFlag(compiled, "f", { userId: "u2", email: "x@us.com" }).value, false, "excluded wins");
    assert.equal(evaluateFlag(compiled, "f", { userId: "u3", email: "x@us.com" }).value, true);
    assert.equal(evaluateFlag(compiled, "f", { userId: "u4" }).value, false);
    assert.ok(compiled.problems.some((p) => /refers to itself/.test(p.message)));
  });

  it("serves the off variation with PREREQUISITE_FAILED when a prerequisite is not met, and survives cycles", () => {
    const compiled = compileSnapshot(
      snapshotOf([
        booleanFlag("parent", {
          rules: [{ id: "r", clauses: [{ attribute: "plan", operator: "in", values: ["pro"] }], serve: { variation: "on" } }],
          fallthrough: { variation: "off" },
        }),
        booleanFlag("child", { prerequisites: [{ flag: "parent", variation: "on" }] }),
        booleanFlag("orphan", { prerequisites: [{ flag: "missing", variation: "on" }] }),
        booleanFlag("x", { prerequisites: [{ flag: "y", variation: "on" }] }),
        booleanFlag("y", { prerequisites: [{ flag: "x", variation: "on" }] }),
      ]),
    );
    assert.equal(evaluateFlag(compiled, "child", { plan: "pro" }).value, true);
    assert.equal(evaluateFlag(compiled, "child", { plan: "free" }).reason, "PREREQUISITE_FAILED");
    assert.equal(evaluateFlag(compiled, "orphan", {}).reason, "PREREQUISITE_FAILED");
    assert.equal(evaluateFlag(compiled, "x", {}).reason, "PREREQUISITE_FAILED");
  });

  it("serves typed variations and marks a flag naming an unknown variation as broken", () => {
    const flag: FlagDefinition = {
      ...booleanFlag("cfg"),
      type: "json",
      variations: [
        { key: "a", value: { limit: 5, tags: ["x"] } },
        { key: "b", value: null },
      ],
      offVariation: "b",
      fallthrough: { variation: "a" },
    };
    const broken = { ...booleanFlag("broken"), fallthrough: { variation: "nope" } };
    const compiled = compileSnapshot(snapshotOf([flag, broken]));
    const r = evaluateFlag(compiled, "cfg", {}, {});
    assert.deepEqual(r.value, { limit: 5, tags: ["x"] });
    assert.ok(Object.isFrozen(r.value), "shared JSON values are frozen so one caller cannot change another's");
    const b = evaluateFlag(compiled, "broken", {}, true);
    assert.equal(b.errorCode, "PARSE_ERROR");
    assert.equal(b.value, true);
  });

  it("rolls out by a sticky key: about the configured share, monotonic when the percentage rises", () => {
    const at = (percentage: number) =>
      compileSnapshot(
        snapshotOf([
          booleanFlag("r", {
            fallthrough: { rollout: { by: "userId", percentage, variations: [{ variation: "on", weight: 1 }], outVariation: "off" } },
          }),
        ]),
      );
    const half = at(50);
    let on = 0;
    for (let i = 0; i < 20000; i++) if (evaluateFlag(half, "r", { userId: `user-${i}` }).value === true) on++;
    assert.ok(Math.abs(on / 20000 - 0.5) < 0.02, `share ${on / 20000}`);
    assert.equal(evaluateFlag(half, "r", {}).reason, "DEFAULT", "no sticky key: out, not split");
    assert.equal(evaluateFlag(half, "r", { userId: "u" }).reason, "SPLIT");
    fc.assert(
      fc.property(fc.string(), fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (id, p1, p2) => {
        fc.pre(id !== "");
        const [lo, hi] = p1 <= p2 ? [p1, p2] : [p2, p1];
        if (evaluateFlag(at(lo), "r", { userId: id }).value === true) assert.equal(evaluateFlag(at(hi), "r", { userId: id }).value, true);
      }),
      { numRuns: 300 },
    );
  });

  it("splits the users in a rollout by weight, independently of the in/out hash", () => {
    const compiled = compileSnapshot(
      snapshotOf([
        {
          ...booleanFlag("m"),
          type: "string",
          variations: [
            { key: "control", value: "c" },
            { key: "a", value: "A" },
            { key: "b", value: "B" },
          ],
          offVariation: "control",
          fallthrough: {
            rollout: {
              by: "userId",
              percentage: 100,
              variations: [
                { variation: "a", weight: 1 },
                { variation: "b", weight: 3 },
              ],
              outVariation: "control",
            },
          },
        },
      ]),
    );
    const counts: Record<string, number> = { a: 0, b: 0, control: 0 };
    for (let i = 0; i < 20000; i++) counts[evaluateFlag(compiled, "m", { userId: `u${i}` }).variation]!++;
    assert.equal(counts.control, 0);
    assert.ok(Math.abs(counts.b! / 20000 - 0.75) < 0.02, JSON.stringify(counts));
  });
});
