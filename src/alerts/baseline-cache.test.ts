import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FakeClock } from "../shared/fake-clock.ts";
import type { MetricsQueryParams, MetricsQueryResult } from "../telemetry/metrics.view.ts";
import { BASELINE_EXCLUDES_RECENT_MS, BASELINE_TTL_MS, BaselineCache } from "./baseline-cache.ts";

const web = { env: "production", app: "web" };
const DAY = 86_400_000;

describe("BaselineCache", () => {
  it("reads the long window up to two minutes ago, so a regression is not its own baseline; null until known, then cached", async () => {
    const clock = new FakeClock();
    const asked: Pick<MetricsQueryParams, "from" | "to" | "fn">[] = [];
    const query = async (params: MetricsQueryParams): Promise<MetricsQueryResult> => {
      asked.push({ from: params.from, to: params.to, fn: params.fn });
      const to = params.to ?? clock.now();
      return {
        metric: params.metric,
        fn: params.fn,
        from: params.from ?? 0,
        to,
        stepMs: 1000,
        windowMs: 1000,
        source: "memory",
        series: [{ labels: {}, points: [[to, 0.03]] }],
      };
    };
    const cache = new BaselineCache(query, clock);
    assert.equal(cache.get(web, "latency_p99", DAY), null, "not known before the first refresh");
    await cache.refresh();
    assert.equal(cache.get(web, "latency_p99", DAY), 0.03);
    const now = clock.now();
    assert.deepEqual(asked, [{ fn: "quantile", from: now - DAY, to: now - BASELINE_EXCLUDES_RECENT_MS }]);
    clock.advance(BASELINE_TTL_MS - 1);
    await cache.refresh();
    assert.equal(asked.length, 1, "reused within its TTL");
  });
});
