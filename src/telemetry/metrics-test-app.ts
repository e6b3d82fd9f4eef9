/**
 * An app the metrics tests deploy that Rampart has never seen: plain node:http, counting what it serves in its
 * own Prometheus endpoint (a counter per path class and a latency histogram), so a test can compare what the
 * app says it served with what the edge measured and what the scraper stored.
 */
export const METRICS_TEST_APP = `
import { createServer } from "node:http";
const port = Number(process.env.PORT);
let served = 0;
let slowBucket = 0;
const server = createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  if (req.url === "/metrics") {
    res.setHeader("content-type", "text/plain; version=0.0.4");
    return res.end([
      "# HELP shop_served_total Requests this instance answered (not health checks or scrapes).",
      "# TYPE shop_served_total counter",
      'shop_served_total{handler="page",note="quote\\\\"and\\\\\\\\slash"} ' + served,
      "# TYPE shop_work_seconds histogram",
      'shop_work_seconds_bucket{le="0.01"} ' + served,
      'shop_work_seconds_bucket{le="+Inf"} ' + (served + slowBucket),
      "shop_work_seconds_sum " + served * 0.001,
      "shop_work_seconds_count " + (served + slowBucket),
      "# TYPE shop_up gauge",
      "shop_up 1",
      "this line is not valid exposition",
      "",
    ].join("\\n"));
  }
  served++;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ release: process.env.RAMPART_RELEASE, instance: process.env.RAMPART_INSTANCE }));
});
server.keepAliveTimeout = 65000;
server.listen(port, "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;
