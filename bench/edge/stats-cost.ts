import { compileTable } from "../../src/edge/compiled-table.ts";
import { RequestStats, type SeriesSlot } from "../../src/edge/request-stats.ts";

/**
 * Micro-benchmark of the edge's per-request measurement, exactly what a finished request costs
 * (a performance.now() and the fold into its slot), with a realistic mix: four instances, 1 % 503s,
 * latencies spread over the buckets, a drain every 100k requests. Prints JSON.
 */
const REQUESTS = 5_000_000;
const instances = [1, 2, 3, 4].map((n) => ({ id: `web-${n}`, host: "127.0.0.1", port: 3000 + n }));
const table = compileTable({
  version: 1,
  environments: [
    {
      name: "production",
      bind: "127.0.0.1",
      port: 8080,
      routes: [{ app: "web", hosts: null, prefix: "/" }],
      apps: [{ name: "web", upstreamTimeoutMs: 1000, releases: [{ release: 3, weight: 1, instances }] }],
    },
  ],
});
const app = table.environments[0]?.routes[0]?.app;
if (app === undefined) throw new Error("bench table did not compile");
const slots: SeriesSlot[] = (app.all[0]?.instances ?? []).flatMap((i) => i.series);
const stats = new RequestStats();

function run(n: number): number {
  let drained = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const status = i % 100 === 0 ? 503 : 200;
    const now = performance.now();
    stats.record(slots[i & 3] as SeriesSlot, status, (i % 997) * 0.05, now);
    if (i % 100_000 === 0) drained += stats.drain().series.length;
  }
  const ns = Number(process.hrtime.bigint() - started) / n;
  if (drained === 0) throw new Error("nothing was folded");
  return ns;
}

run(REQUESTS / 10); // warm-up: let the JIT settle before measuring
const ns = run(REQUESTS);
process.stdout.write(`${JSON.stringify({ nsPerRequest: ns, requests: REQUESTS })}\n`);
