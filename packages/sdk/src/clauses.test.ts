import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RE2JS } from "re2js";
import { anchoredBody, compilePattern, MAX_MATCH_INPUT_LENGTH } from "./clauses.ts";
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

  it("runs a fully anchored ^X$ as a full match of X, with the same answers as the search", () => {
    assert.equal(anchoredBody("^[a-z]+@example\\.com$"), "[a-z]+@example\\.com");
    for (const source of ["^a|b$", "^a\\$", "^[$]", "(?m)^a$", "^(?i)a$", "^a$|^b$", "a$", "^a"])
      assert.equal(anchoredBody(source), undefined, source);
    assert.equal(anchoredBody("^(a|b)[|\\]]$"), "(a|b)[|\\]]");
    const token = fc.constantFrom(
      "a",
      "b",
      "|",
      "(",
      ")",
      "(?:",
      "*",
      "+",
      "?",
      "[ab]",
      "[^a]",
      "[|]",
      "[]a]",
      ".",
      "\\|",
      "\\$",
      "^",
      "$",
      "\\n",
      "{2}",
    );
    const pattern = fc.array(token, { minLength: 1, maxLength: 8 }).map((t) => `^${t.join("")}$`);
    const value = fc.stringMatching(/^[ab|$\n]{0,6}$/);
    fc.assert(
      fc.property(pattern, fc.array(value, { maxLength: 8 }), (source, values) => {
        let reference: RE2JS;
        try {
          reference = RE2JS.compile(source);
        } catch {
          return; // not a pattern
        }
        const compiled = compilePattern(source);
        assert.ok(typeof compiled !== "string", source);
        for (const v of values) assert.equal(compiled.test(v), reference.test(v), `${source} on ${JSON.stringify(v)}`);
      }),
      { numRuns: 3000 },
    );
  });
});
