import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { summarize } from "./load-result.ts";
import { quantile, runOpenLoop } from "./open-loop.ts";
import { parseThreshold } from "./thresholds.ts";

describe("open-loop load and thresholds", () => {
  let server: Server;
  let url: string;
  /** While set, the server holds every answer until this time (a stall). */
  let stallUntil = 0;

  before(async () => {
    server = createServer((req, res) => {
      const wait = Math.max(0, stallUntil - Date.now());
      setTimeout(() => res.end(req.url === "/fail" ? void (res.statusCode = 500) : "ok"), wait);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("keeps its schedule through a stall and counts the stall in every request due meanwhile (no coordinated omission)", async () => {
    const rate = 100;
    const started = Date.now();
    setTimeout(() => (stallUntil = Date.now() + 500), 300);
    const m = await runOpenLoop({ url: `${url}/`, rate, durationMs: 1500 });
    stallUntil = 0;
    assert.equal(m.sent, 150);
    assert.equal(m.errors, 0);
    // ~50 requests were due during the 500 ms stall; a closed-loop generator would have sent ~1 and hidden the rest.
    const slow = m.latencies.filter((l) => l >= 200).length;
    assert.ok(slow >= 25, `only ${slow} requests saw the stall`);
    assert.ok((m.latencies.at(-1) ?? 0) >= 400);
    const result = summarize(m, { url, rate, durationMs: 1500 }, [parseThreshold("p99<100ms"), parseThreshold("errors<1%")]);
    assert.equal(result.passed, false);
    assert.deepEqual(
      result.thresholds.map((t) => [t.threshold, t.ok]),
      [
        ["p99<100ms", false],
        ["errors<1%", true],
      ],
    );
    assert.ok(Date.now() - started < 5000);
  });

  it("counts 5xx as errors and fails an error threshold", async () => {
    const m = await runOpenLoop({ url: `${url}/fail`, rate: 50, durationMs: 400 });
    const result = summarize(m, { url, rate: 50, durationMs: 400 }, [parseThreshold("errors<1%")]);
    assert.equal(result.errors, 20);
    assert.equal(result.statuses["500"], 20);
    assert.equal(result.passed, false);
  });

  it("parses thresholds in k6's spirit and says what a bad one should look like", () => {
    assert.deepEqual(parseThreshold("p99<300ms"), { text: "p99<300ms", metric: "p99", op: "<", value: 300 });
    assert.deepEqual(parseThreshold("errors<1%"), { text: "errors<1%", metric: "errors", op: "<", value: 0.01 });
    assert.deepEqual(parseThreshold("rps>=450"), { text: "rps>=450", metric: "rps", op: ">=", value: 450 });
    assert.throws(() => parseThreshold("p99 under 300"), /not a threshold: use METRIC<VALUE/);
    assert.throws(() => parseThreshold("errors<1"), /percentage/);
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
    assert.equal(quantile([], 0.99), 0);
  });
});
