import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compilePattern, MAX_MATCH_INPUT_LENGTH } from "./clauses.ts";
import { compileSnapshot, evaluateFlag } from "./evaluator.ts";
import { booleanFlag, snapshotOf } from "./flag-fixtures.ts";

// Backtracking engines take time exponential in the input on these; RE2 is linear. Each case would run for
// longer than the universe on V8's RegExp, so finishing within the test's normal timeout proves the engine.
const PATHOLOGICAL = ["^(a+)+$", "^(a|a)*$", "^(a|aa)+$", "(x+x+)+y", "^(\\w+\\s?)*$"];

function matchesFlag(pattern: string) {
  const flag = booleanFlag("f", {
    rules: [{ id: "r1", clauses: [{ attribute: "x", operator: "matches", values: [pattern] }], serve: { variation: "on" } }],
    fallthrough: { variation: "off" },
  });
  return compileSnapshot(snapshotOf([flag]));
}

describe("matches (RE2)", () => {
  it("runs pathological patterns in linear time on a 100k-character input", () => {
    const input = `${"a".repeat(100_000)}!`;
    for (const source of PATHOLOGICAL) {
      const re = compilePattern(source);
      assert.ok(typeof re !== "string", `${source}: ${String(re)}`);
      assert.equal(re.test(input), false, source);
      assert.equal(re.test("a".repeat(100_000)), source !== "(x+x+)+y", source);
    }
  });

  it("evaluates a pathological rule against the longest accepted input (10 KiB of a's is cut by the bound)", () => {
    const compiled = matchesFlag("^(a+)+$");
    assert.deepEqual(compiled.problems, []);
    const longest = `${"a".repeat(MAX_MATCH_INPUT_LENGTH - 1)}!`;
    assert.equal(evaluateFlag(compiled, "f", { x: longest }).value, false);
    assert.equal(evaluateFlag(compiled, "f", { x: "a".repeat(MAX_MATCH_INPUT_LENGTH) }).value, true);
    assert.equal(evaluateFlag(compiled, "f", { x: `${"a".repeat(10 * 1024)}!` }).value, false);
  });

  it("searches anywhere in the value, as RegExp#test did, with anchors, classes and case-insensitive groups", () => {
    const cases: [string, string, boolean][] = [
      ["@example\\.com$", "bob@example.com", true],
      ["@example\\.com$", "bob@example.com.evil", false],
      ["^[a-z]+@", "Bob@x", false],
      ["(?i)^bob@", "BOB@x", true],
      ["\\d{3}", "ab1234", true],
      ["^\\p{L}+$", "Zoë", true],
      ["^.$", "é", true],
    ];
    for (const [source, value, expected] of cases) {
      const re = compilePattern(source);
      assert.ok(typeof re !== "string", source);
      assert.equal(re.test(value), expected, `${source} on ${value}`);
    }
  });

  it("refuses what RE2 cannot run in linear time (backreferences, lookaround) and says why", () => {
    for (const source of ["(a)\\1", "(?<n>a)\\k<n>", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b"]) {
      const re = compilePattern(source);
      assert.equal(typeof re, "string", source);
      assert.match(String(re), /invalid regular expression for RE2/, source);
    }
    assert.match(String(compilePattern("(a)\\1")), /backreferences and lookaround cannot run in linear time/);
    const compiled = matchesFlag("(a)\\1");
    assert.match(compiled.problems[0]?.message ?? "", /x matches: invalid regular expression for RE2/);
    assert.equal(evaluateFlag(compiled, "f", { x: "aa" }).value, false);
  });
});
