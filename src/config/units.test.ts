import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_WINDOW_MS, formatDuration, parseDuration, parsePercent, parseRate, parseRatio, parseSize } from "./units.ts";

function value(result: ReturnType<typeof parseDuration>): number {
  assert.ok(result.ok, result.ok ? "" : result.message);
  return result.value;
}

function message(result: ReturnType<typeof parseDuration>): string {
  assert.ok(!result.ok, "expected a parse error");
  return result.message;
}

describe("parseDuration", () => {
  it("reads every unit and combinations, largest first", () => {
    assert.equal(value(parseDuration("500ms")), 500);
    assert.equal(value(parseDuration("30s")), 30_000);
    assert.equal(value(parseDuration("5m")), 300_000);
    assert.equal(value(parseDuration("1h")), 3_600_000);
    assert.equal(value(parseDuration("1m30s")), 90_000);
    assert.equal(value(parseDuration("1h2m3s4ms")), 3_723_004);
    assert.equal(value(parseDuration("1.5s")), 1_500);
    assert.equal(value(parseDuration("0s")), 0);
    assert.equal(value(parseDuration("7d")), 7 * 86_400_000);
    assert.equal(value(parseDuration("1d12h")), 36 * 3_600_000);
  });

  it("is bounded by what a timer holds unless a longer window is allowed", () => {
    assert.match(message(parseDuration("30d")), /"30d" is too long: at most 24d20h/);
    assert.equal(value(parseDuration("30d", { maxMs: MAX_WINDOW_MS })), 30 * 86_400_000);
    assert.match(message(parseDuration("401d", { maxMs: MAX_WINDOW_MS })), /at most 400d/);
  });

  it("says what was given and what is expected", () => {
    assert.equal(message(parseDuration("1 sec")), '"1 sec" is not a duration, e.g. 1s');
    assert.match(message(parseDuration("30s1m")), /"30s1m" is not a duration/);
    assert.match(message(parseDuration("")), /"" is not a duration/);
    assert.match(message(parseDuration(null)), /nothing is not a duration/);
  });

  it("rejects a bare number with a hint to add a unit", () => {
    assert.equal(message(parseDuration(30)), "30 is not a duration: add a unit, e.g. 30s");
  });

  it("formats milliseconds back", () => {
    assert.equal(formatDuration(90_000), "1m30s");
    assert.equal(formatDuration(500), "500ms");
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(7 * 86_400_000), "7d");
  });
});

describe("parsePercent", () => {
  it("turns percentages into fractions", () => {
    assert.equal(value(parsePercent("1%")), 0.01);
    assert.equal(value(parsePercent("0.5%")), 0.005);
    assert.equal(value(parsePercent("100%")), 1);
  });

  it("rejects numbers without %, words and more than 100%", () => {
    assert.equal(message(parsePercent(1)), "1 is not a percentage: add a %, e.g. 1%");
    assert.equal(message(parsePercent("one")), '"one" is not a percentage, e.g. 1% or 0.5%');
    assert.match(message(parsePercent("150%")), /more than 100%/);
  });
});

describe("parseRatio", () => {
  it("reads 1.5x", () => {
    assert.equal(value(parseRatio("1.5x")), 1.5);
    assert.equal(value(parseRatio("2x")), 2);
  });

  it("rejects a missing x", () => {
    assert.equal(message(parseRatio(1.5)), "1.5 is not a ratio: add an x, e.g. 1.5x");
    assert.equal(message(parseRatio("x1.5")), '"x1.5" is not a ratio, e.g. 1.5x');
  });
});

describe("values too large to keep", () => {
  it("refuses durations no timer can wait (they would fire at once) and numbers beyond a double", () => {
    assert.equal(value(parseDuration("596h")), 596 * 3_600_000);
    assert.equal(message(parseDuration("1000h")), '"1000h" is too long: at most 24d20h');
    assert.match(message(parseDuration(`${"9".repeat(400)}s`)), /is too long/);
    assert.match(message(parseRatio(`${"9".repeat(400)}x`)), /is too large/);
    assert.match(message(parseSize(`${"9".repeat(400)}kb`)), /is too large/);
    assert.match(message(parseRate(`${"9".repeat(400)}/s`)), /is too large/);
  });
});
