import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExprError, parseCondition } from "./alert-expr.parser.ts";

describe("alert expressions: good ones parse into an AST", () => {
  it("a windowed measurement against a number", () => {
    assert.deepEqual(parseCondition("error_ratio(5m) > 0.05"), {
      kind: "compare",
      op: ">",
      left: { kind: "windowed", measure: "error_ratio", windowMs: 300_000 },
      right: { kind: "number", value: 0.05 },
    });
  });

  it("a percentage is a ratio", () => {
    const node = parseCondition("error_ratio(1m) >= 5%");
    assert.deepEqual(node.kind === "compare" && node.right, { kind: "number", value: 0.05 });
  });

  it("arithmetic with a baseline, precedence * over +", () => {
    assert.deepEqual(parseCondition("latency_p99(5m) > 2 * baseline(latency_p99, 1d) + 0.1"), {
      kind: "compare",
      op: ">",
      left: { kind: "windowed", measure: "latency_p99", windowMs: 300_000 },
      right: {
        kind: "arith",
        op: "+",
        left: {
          kind: "arith",
          op: "*",
          left: { kind: "number", value: 2 },
          right: { kind: "baseline", measure: "latency_p99", windowMs: 86_400_000 },
        },
        right: { kind: "number", value: 0.1 },
      },
    });
  });

  it("instants, and/or with and binding tighter, parentheses", () => {
    const node = parseCondition("healthy_instances == 0 and instances() > 0 or (restarts(10m) >= 3)");
    assert.equal(node.kind, "logic");
    assert.equal(node.kind === "logic" && node.op, "or");
    assert.equal(node.kind === "logic" && node.left.kind === "logic" && node.left.op, "and");
  });

  it("a parenthesised condition inside and", () => {
    const node = parseCondition("(request_rate(5m) == 0 or error_ratio(5m) > 0.5) and instances > 0");
    assert.equal(node.kind === "logic" && node.op, "and");
    assert.equal(node.kind === "logic" && node.left.kind === "logic" && node.left.op, "or");
  });

  it("metric() with labels and check_failed() with and without a name", () => {
    assert.deepEqual(parseCondition('metric("queue_depth", {queue="mail", tier="1"}, 5m) > 100'), {
      kind: "compare",
      op: ">",
      left: { kind: "metric", name: "queue_depth", labels: { queue: "mail", tier: "1" }, windowMs: 300_000 },
      right: { kind: "number", value: 100 },
    });
    assert.deepEqual(parseCondition('metric("jobs_total", 1m) < 1').kind, "compare");
    assert.deepEqual(parseCondition('check_failed("home") > 0').kind, "compare");
    assert.deepEqual(parseCondition("check_failed() > 0").kind, "compare");
    assert.deepEqual(parseCondition("-request_rate(1m) < -1").kind, "compare");
  });

  it("status_ratio() with a status class or an exact code", () => {
    assert.deepEqual(parseCondition('status_ratio("4xx", 5m) > 25%'), {
      kind: "compare",
      op: ">",
      left: { kind: "status_ratio", status: "4xx", windowMs: 300_000 },
      right: { kind: "number", value: 0.25 },
    });
    const node = parseCondition('status_ratio("404", 1m) > 0.1');
    assert.deepEqual(node.kind === "compare" && node.left, { kind: "status_ratio", status: "404", windowMs: 60_000 });
  });
});

describe("alert expressions: bad ones say where and what was expected", () => {
  const cases: [string, number, RegExp][] = [
    ["error_ratio(5m)", 16, /expected a comparison/],
    ["error_ratio(5m) >", 18, /expected a number or a measurement/],
    ["error_rato(5m) > 1", 1, /expected a measurement \(error_ratio/],
    ["error_ratio(5) > 1", 13, /expected a duration such as 30s/],
    ["error_ratio(5x) > 1", 13, /expected a duration such as 30s/],
    ["error_ratio(2h) > 1", 13, /from 1s to 1h/],
    ["error_ratio(5m > 1", 16, /expected "\)"/],
    ["baseline(latency, 1d) > 1", 10, /windowed measurement/],
    ["metric(queue, 5m) > 1", 8, /metric name in double quotes/],
    ['metric("q", {a=1}, 5m) > 1', 16, /label value in double quotes/],
    ["request_rate(5m) > 1 and", 25, /expected a number or a measurement/],
    ["request_rate(5m) > 1 1", 22, /expected an operator/],
    ["request_rate(5m) > 5m", 20, /a duration only goes inside a function/],
    ['status_ratio("4x", 1m) > 0', 14, /a status class or code in double quotes/],
    ["status_ratio(4xx, 1m) > 0", 14, /a status class or code in double quotes/],
    ['status_ratio("6xx", 1m) > 0', 14, /a status class or code in double quotes/],
    ['status_ratio("4xx") > 0', 19, /expected ","/],
    ["request_rate(5m) # 1", 18, /expected a number, a name/],
    ['check_failed("x) > 1', 14, /closing "/],
    [`${"(".repeat(40)}1${")".repeat(40)} > 0`, 33, /at most 32 nested/],
    [`${"-".repeat(40)}1 > 0`, 33, /at most 32 nested/],
  ];
  for (const [source, position, message] of cases) {
    it(source, () => {
      assert.throws(
        () => parseCondition(source),
        (error: unknown) => {
          assert.ok(error instanceof ExprError, String(error));
          assert.match(error.message, message);
          assert.equal(error.position, position, error.message);
          assert.match(error.message, /^at character \d+ of ".*": expected .+, found .+$/);
          return true;
        },
      );
    });
  }
});
