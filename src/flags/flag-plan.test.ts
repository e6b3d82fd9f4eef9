import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RampartError } from "../shared/errors.ts";
import { guardsFromFlags, parseBusinessGuard, parsePlan } from "./flag-plan.ts";
import { planBodySchema } from "./flag.types.ts";

const sides = { variation: "on", outVariation: "off" };

describe("guarded rollout plans", () => {
  it("reuses the canary guards: relative and absolute error and latency limits, defaults for the rest", () => {
    const plan = parsePlan(planBodySchema.parse({ steps: [5, 25, 50], every: "1h", guards: { errors: "1%", p99: "300ms" } }), sides);
    assert.deepEqual(plan.steps, [5, 25, 50, 100], "100 is appended: a plan ends with everyone");
    assert.equal(plan.everyMs, 3_600_000);
    assert.deepEqual(plan.guards, {
      errorRate: { kind: "absolute", rate: 0.01 },
      p99Latency: { kind: "absolute", ms: 300 },
      p50Latency: null,
    });
    assert.deepEqual(parsePlan(planBodySchema.parse({ steps: [10], every: "5s" }), sides).guards.errorRate, { kind: "relative", ratio: 2 });
  });

  it("names every bad field", () => {
    try {
      parsePlan(planBodySchema.parse({ steps: [10], every: "200ms", guards: { errors: "0.5x", p99: "fast" } }), sides);
      assert.fail("expected a 400");
    } catch (error) {
      assert.ok(error instanceof RampartError);
      assert.deepEqual(
        (error.details as Array<{ field: string }>).map((d) => d.field),
        ["body.every", "body.guards.errors", "body.guards.p99"],
      );
    }
    assert.equal(planBodySchema.safeParse({ steps: [50, 25], every: "1h" }).error?.issues[0]?.path.join("."), "steps");
  });

  it("reads the CLI's --guard metric=limit", () => {
    assert.deepEqual(guardsFromFlags(["errors=2x", "p99=1.5x"]), { guards: { errors: "2x", p99: "1.5x" }, issues: [] });
    assert.equal(guardsFromFlags(["latency=2x"]).issues.length, 1);
  });

  it("reads business guards: METRIC:EVENT>=RATIOx, from --guard and from the body", () => {
    assert.deepEqual(guardsFromFlags(["errors=2x", "conversion:purchase>=0.98x", "value:purchase>=0.95x"]), {
      guards: { errors: "2x", business: ["conversion:purchase>=0.98x", "value:purchase>=0.95x"] },
      issues: [],
    });
    assert.deepEqual(parseBusinessGuard("events:page.view>=1x"), {
      metric: "events",
      event: "page.view",
      ratio: 1,
      text: "events:page.view>=1x",
    });
    assert.match(String(parseBusinessGuard("clicks:purchase>=0.9x")), /not METRIC:EVENT>=RATIOx; e\.g\. conversion:purchase>=0\.98x/);
    assert.match(String(parseBusinessGuard("conversion:purchase>=0x")), /ratio must be above 0/);
    const plan = parsePlan(planBodySchema.parse({ steps: [5], every: "1h", guards: { business: ["conversion:purchase>=0.98x"] } }), sides);
    assert.deepEqual(plan.businessGuards, [{ metric: "conversion", event: "purchase", ratio: 0.98, text: "conversion:purchase>=0.98x" }]);
    assert.deepEqual(plan.guardText, ["conversion:purchase>=0.98x"]);
    try {
      parsePlan(planBodySchema.parse({ steps: [5], every: "1h", guards: { business: ["ok", "conversion:buy>=0.9x"] } }), sides);
      assert.fail("expected a 400");
    } catch (error) {
      assert.ok(error instanceof RampartError);
      assert.deepEqual(
        (error.details as Array<{ field: string }>).map((d) => d.field),
        ["body.guards.business.0"],
      );
    }
  });
});
