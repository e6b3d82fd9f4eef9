import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { judge } from "../analysis/judge.ts";
import { emptySide } from "../analysis/window.ts";
import { analysisRows } from "./rollout.view.ts";

describe("the rollout table", () => {
  it("prints percentages, milliseconds and request counts, not raw fractions and a JSON column", () => {
    const latency = emptySide().latency;
    const verdict = judge(
      {
        canary: { requests: 138, errors: 48, latency },
        stable: { requests: 2610, errors: 5, latency },
        guards: { errorRate: { kind: "relative", ratio: 2 }, p99Latency: { kind: "absolute", ms: 500 }, p50Latency: null },
      },
      { now: () => 0 },
    );
    // As the CLI gets it: through JSON, typed as an unknown record.
    const stored: Record<string, unknown> = JSON.parse(JSON.stringify(verdict));
    const [errors, p99] = analysisRows(stored);
    assert.deepEqual(errors?.slice(0, 6), ["error_rate", "2x", "35%", "0.19%", "0.39%", "138 / 2,610"]);
    assert.match(errors?.[6] ?? "", /^\d+\.\d \(\d+\.\d\)$/);
    assert.equal(errors?.[7], "fail");
    assert.deepEqual(p99?.slice(0, 5), ["p99_latency", "500ms", "-", "-", "500 ms"]);
    assert.equal(
      analysisRows(stored)
        .flat()
        .some((cell) => cell.includes("{")),
      false,
    );
    assert.deepEqual(analysisRows(null), []);
    assert.deepEqual(analysisRows({ checks: "garbage" }), []);
  });
});
